import type { IncidentStore, StoredIncident } from '../../functions/ingest/incident-store.js';
import { type IngestServer, startIngestServer } from '../../functions/ingest/server.js';
import { silentLogger } from './runtime.js';

export const INGEST_TOKEN = 'test-ingest-token';

/** The reference ingestion endpoint on an ephemeral port of 127.0.0.1, over a real incidents table. */
export const startTestIngest = (store: IncidentStore): Promise<IngestServer> =>
  startIngestServer({ store, token: INGEST_TOKEN, port: 0, logger: silentLogger });

/** Every incident the endpoint holds for `instance`, oldest first (all pages). */
export const listAllIncidents = async (store: IncidentStore, instance: string): Promise<StoredIncident[]> => {
  const all: StoredIncident[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ instance, limit: 1000, cursor });
    all.push(...page.incidents);
    cursor = page.cursor;
  } while (cursor);
  return all;
};

/** The `dbotMirrorId`s the endpoint holds for `instance`, sorted. */
export const storedIds = async (store: IncidentStore, instance: string): Promise<string[]> =>
  (await listAllIncidents(store, instance))
    .map((stored) => stored.incident.dbotMirrorId ?? stored.key)
    .sort();
