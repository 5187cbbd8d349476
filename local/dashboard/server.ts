import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { type ListeningServer, listen } from '../../shared/listen.js';
import { createDashboardApp, type DashboardDeps } from './app.js';

export interface StartDashboardOptions {
  readonly deps: DashboardDeps;
  /** 0 picks a free port. @default 8790 */
  readonly port?: number;
}

/** A running dashboard, on `http://127.0.0.1:<port>`. */
export type DashboardServer = ListeningServer;

/**
 * Serves the dashboard on 127.0.0.1 only: it can reset cursors and run fetches, and has no login, so
 * it must never listen on a network interface.
 *
 * @example
 * const dashboard = await startDashboard({ deps: { mode: 'running', store, replays, invoke, listInstances, connectorOf } });
 */
export const startDashboard = (options: StartDashboardOptions): Promise<DashboardServer> => {
  const app = createDashboardApp(options.deps);
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server, { port: options.port ?? 8790 });
};
