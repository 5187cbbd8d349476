import { createServer, type Server } from 'node:http';
import { text as readBody } from 'node:stream/consumers';
import { listen } from '../../shared/listen.js';

/** What the sink received so far. */
export interface AckSinkStats {
  readonly requests: number;
  readonly incidents: number;
  /** Distinct `dbotMirrorId`s seen, when tracking is on: `incidents - distinct` were duplicates. */
  readonly distinct: number;
}

/** A sink that speaks the `ferry` protocol but stores nothing: it acknowledges and counts. */
export interface AckSink {
  readonly url: string;
  stats(): AckSinkStats;
  /** Zeroes the counters; `trackIds` remembers every id, to prove nothing was lost or doubled. */
  reset(options?: { trackIds?: boolean }): void;
  close(): Promise<void>;
}

/**
 * Starts the ack-and-count sink on 127.0.0.1: `POST /incidents` answers `{accepted, new, duplicates}`
 * like the reference endpoint, so the ferry sink accepts its answer, and nothing is stored — the
 * drain figure is then Ferry's, not the endpoint's storage.
 */
export const startAckSink = async (): Promise<AckSink> => {
  let requests = 0;
  let incidents = 0;
  let ids: Set<string> | undefined;
  const server: Server = createServer((request, response) => {
    readBody(request)
      .then((text) => {
        const body = JSON.parse(text) as { incidents?: { dbotMirrorId?: string }[] };
        const batch = body.incidents ?? [];
        requests++;
        incidents += batch.length;
        if (ids) for (const incident of batch) if (incident.dbotMirrorId) ids.add(incident.dbotMirrorId);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ accepted: batch.length, new: batch.length, duplicates: 0 }));
      })
      .catch((error: unknown) => {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'INVALID_JSON', message: String(error) } }));
      });
  });
  // Keep-alive sockets stay open between the runner's requests, as they would to a real endpoint.
  server.keepAliveTimeout = 60_000;
  const { url, close } = await listen(server);
  return {
    url,
    stats: () => ({ requests, incidents, distinct: ids?.size ?? 0 }),
    reset(options = {}) {
      requests = 0;
      incidents = 0;
      ids = options.trackIds ? new Set() : undefined;
    },
    close,
  };
};
