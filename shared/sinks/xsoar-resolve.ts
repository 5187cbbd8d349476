import { ErrorCodes, SourceError } from '../errors.js';
import type { HttpClient } from '../http-client.js';
import { type BackoffOptions, backoffDelay, sleep } from '../retry.js';
import type { IncidentBatch } from './sink.js';
import { foundIds, SEARCH_IDS_PER_QUERY, searchBody } from './xsoar-requests.js';
import type { SearchTarget } from './xsoar-targets.js';

/** An incident whose create had no known outcome: its key and the source id it was sent with. */
export interface InDoubt {
  readonly key: string;
  readonly dbotMirrorId: string;
}

/** How the searches are retried: here, not by the client, so that each attempt is signed anew. */
export interface SearchRetry extends BackoffOptions {
  /** @default 3 */
  readonly retries?: number;
  readonly signal?: AbortSignal;
}

const retryable = (error: unknown) =>
  error instanceof SourceError &&
  (error.code === ErrorCodes.SOURCE_TIMEOUT ||
    error.code === ErrorCodes.SOURCE_UNREACHABLE ||
    error.code === ErrorCodes.SOURCE_RATE_LIMITED ||
    (error.details.status !== undefined && (error.details.status === 429 || error.details.status >= 500)));

/**
 * Asks XSOAR which of the incidents in doubt it holds: `POST /incidents/search` with
 * `sourceInstance:"<instance>" and (dbotMirrorId:"a" or dbotMirrorId:"b" …)`, up to
 * {@link SEARCH_IDS_PER_QUERY} ids a request. Returns the incident id of each key found; a key not
 * in the map was not created and is safe to create. The search is idempotent and retried, each
 * attempt with fresh headers: an advanced key's nonce may not be sent twice (the `http` client must
 * not retry by itself).
 */
export const resolveBySourceId = async (
  http: HttpClient,
  search: SearchTarget,
  batch: IncidentBatch,
  inDoubt: readonly InDoubt[],
  retry: SearchRetry = {},
): Promise<{ found: Map<string, string>; requests: number }> => {
  const found = new Map<string, string>();
  let requests = 0;
  for (let start = 0; start < inDoubt.length; start += SEARCH_IDS_PER_QUERY) {
    const chunk = inDoubt.slice(start, start + SEARCH_IDS_PER_QUERY);
    const query = searchBody(
      search.sourceInstance(batch),
      chunk.map((item) => item.dbotMirrorId),
    );
    let body: unknown;
    for (let attempt = 0; ; attempt++) {
      requests++;
      try {
        ({ body } = await http.request<unknown>({
          url: search.url,
          method: 'POST',
          headers: search.headers(),
          body: query,
        }));
        break;
      } catch (error) {
        if (!retryable(error) || attempt >= (retry.retries ?? 3)) throw error;
        const advertised = (error as SourceError).details.retryAfterMs;
        await sleep(advertised ?? backoffDelay(attempt, retry), retry.signal);
      }
    }
    const byMirrorId = foundIds(body);
    for (const item of chunk) {
      const id = byMirrorId.get(item.dbotMirrorId);
      if (id !== undefined) found.set(item.key, id);
    }
  }
  return { found, requests };
};
