import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { type ListeningServer, listen } from '../../shared/listen.js';
import type { Logger } from '../../shared/logger.js';
import { createIngestApp, type InstanceTokens, type TokenSource } from './app.js';
import type { IncidentStore } from './incident-store.js';

export interface StartIngestServerOptions {
  readonly store: IncidentStore;
  readonly token: TokenSource;
  /** Per-instance tokens (see IngestAppOptions.instanceTokens). */
  readonly instanceTokens?: InstanceTokens;
  /** 0 picks a free port. @default 8787 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 5 MiB */
  readonly maxBodyBytes?: number;
  readonly logger?: Logger;
}

/** A running local ingestion endpoint; its `url` is the ferry sink's `url`. */
export type IngestServer = ListeningServer;

/**
 * Serves the ingestion app (the same one the Lambda runs) on a local port.
 *
 * @example
 * const ingest = await startIngestServer({ store, token: 'local-token', port: 0 });
 * const sink = createFerrySink({ url: ingest.url, token: 'local-token' });
 */
export const startIngestServer = (options: StartIngestServerOptions): Promise<IngestServer> => {
  const { store, token, instanceTokens, maxBodyBytes, logger } = options;
  const app = createIngestApp({ store, token, instanceTokens, maxBodyBytes, logger });
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server, {
    port: options.port ?? 8787,
    host: options.host,
  });
};
