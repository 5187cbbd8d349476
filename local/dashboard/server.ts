import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDashboardApp, type DashboardDeps } from './app.js';

export interface StartDashboardOptions {
  readonly deps: DashboardDeps;
  /** 0 picks a free port. @default 8790 */
  readonly port?: number;
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open keep-alive connections. */
  close(): Promise<void>;
}

/**
 * Serves the dashboard on 127.0.0.1 only: it can reset cursors and run fetches, and has no login, so
 * it must never listen on a network interface.
 *
 * @example
 * const dashboard = await startDashboard({ deps: { mode: 'running', store, replays, invoke, listInstances, connectorOf } });
 */
export const startDashboard = async (options: StartDashboardOptions): Promise<DashboardServer> => {
  const app = createDashboardApp(options.deps);
  const server = serve({ fetch: app.fetch, port: options.port ?? 8790, hostname: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
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
