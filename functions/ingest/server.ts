import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from '../../shared/logger.js';
import { createIngestApp, type TokenSource } from './app.js';
import type { IncidentStore } from './incident-store.js';

export interface StartIngestServerOptions {
  readonly store: IncidentStore;
  readonly token: TokenSource;
  /** 0 picks a free port. @default 8787 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 5 MiB */
  readonly maxBodyBytes?: number;
  readonly logger?: Logger;
}

/** A running local ingestion endpoint. */
export interface IngestServer {
  /** `http://<host>:<port>` — the ferry sink's `url`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open keep-alive connections. */
  close(): Promise<void>;
}

/**
 * Serves the ingestion app (the same one the Lambda runs) on a local port.
 *
 * @example
 * const ingest = await startIngestServer({ store, token: 'local-token', port: 0 });
 * const sink = createFerrySink({ url: ingest.url, token: 'local-token' });
 */
export const startIngestServer = async (options: StartIngestServerOptions): Promise<IngestServer> => {
  const host = options.host ?? '127.0.0.1';
  const { store, token, maxBodyBytes, logger } = options;
  const app = createIngestApp({ store, token, maxBodyBytes, logger });
  const server = serve({ fetch: app.fetch, port: options.port ?? 8787, hostname: host });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      return closed;
    },
  };
};
