import type { HttpClient } from '../http-client.js';
import type { IncidentBatch } from './sink.js';
import { foundIds, SEARCH_IDS_PER_QUERY, searchBody } from './xsoar-requests.js';
import type { SearchTarget } from './xsoar-targets.js';

/** An incident whose create had no known outcome: its key and the source id it was sent with. */
export interface InDoubt {
  readonly key: string;
  readonly dbotMirrorId: string;
}

/**
 * Asks XSOAR which of the incidents in doubt it holds: `POST /incidents/search` with
 * `sourceInstance:"<instance>" and (dbotMirrorId:"a" or dbotMirrorId:"b" …)`, up to
 * {@link SEARCH_IDS_PER_QUERY} ids a request. Returns the incident id of each key found; a key not
 * in the map was not created and is safe to create. The search is idempotent, so the client retries it.
 */
export const resolveBySourceId = async (
  http: HttpClient,
  search: SearchTarget,
  batch: IncidentBatch,
  inDoubt: readonly InDoubt[],
): Promise<{ found: Map<string, string>; requests: number }> => {
  const found = new Map<string, string>();
  let requests = 0;
  for (let start = 0; start < inDoubt.length; start += SEARCH_IDS_PER_QUERY) {
    const chunk = inDoubt.slice(start, start + SEARCH_IDS_PER_QUERY);
    requests++;
    const { body } = await http.request<unknown>({
      url: search.url,
      method: 'POST',
      headers: search.headers(),
      body: searchBody(
        search.sourceInstance(batch),
        chunk.map((item) => item.dbotMirrorId),
      ),
    });
    const byMirrorId = foundIds(body);
    for (const item of chunk) {
      const id = byMirrorId.get(item.dbotMirrorId);
      if (id !== undefined) found.set(item.key, id);
    }
  }
  return { found, requests };
};
