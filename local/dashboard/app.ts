import { readFileSync } from 'node:fs';
import type { Context } from 'hono';
import { Hono } from 'hono';
import {
  errorCode,
  errorMessage,
  isFerryError,
  LeaseHeldError,
  StateConflictError,
} from '../../shared/errors.js';
import { setLastRunAudited } from '../../shared/operator/set-last-run.js';
import { redact } from '../../shared/redact.js';
import type { OperatorEnvironment } from '../cli/operator-environment.js';
import { collectOverview } from '../instance-overview.js';
import { addQuarantineRoutes } from './quarantine-routes.js';

/** What the dashboard reads and does; the CLI's operator environment, locally or in AWS. */
export type DashboardDeps = Pick<
  OperatorEnvironment,
  'mode' | 'store' | 'replays' | 'invoke' | 'listInstances' | 'connectorOf'
> & {
  /** The quarantine card's store; without it the card says there is none. */
  readonly quarantine?: OperatorEnvironment['quarantine'];
  /** @default Date.now */
  readonly clock?: () => number;
};

/** Served as they are: plain HTML, CSS and JavaScript, no build step. */
const asset = (name: string) => readFileSync(new URL(`./public/${name}`, import.meta.url), 'utf8');
const assets = {
  '/': { body: asset('index.html'), type: 'text/html; charset=utf-8' },
  '/assets/app.css': { body: asset('app.css'), type: 'text/css; charset=utf-8' },
  '/assets/app.js': { body: asset('app.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/quarantine.js': { body: asset('quarantine.js'), type: 'text/javascript; charset=utf-8' },
} as const;

const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/** Loopback names the dashboard answers to: anything else is a DNS-rebinding attempt. */
const loopbackHost = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

const failure = (c: Context, error: unknown) => {
  const status =
    error instanceof LeaseHeldError || error instanceof StateConflictError
      ? 409
      : isFerryError(error)
        ? 400
        : 500;
  return c.json(redact({ error: { code: errorCode(error), message: errorMessage(error) } }), status);
};

/**
 * Whether an `Origin` header names this dashboard. `Origin: null` (a sandboxed frame, a `file:` page, a
 * redirect across origins) and anything that is not a URL are another origin: refused, never a 500.
 */
const isSameOrigin = (origin: string, host: string | undefined): boolean =>
  URL.canParse(origin) && new URL(origin).host === host;

/**
 * The dashboard's Hono app: the page, and a JSON API the page polls.
 *
 * - `GET  /api/overview` — every instance's health
 * - `GET  /api/instances/:id/history?limit=N` — the fetch history, newest first
 * - `GET  /api/instances/:id/replays` — the instance's replays
 * - `POST /api/instances/:id/debug` — one fetch in debug mode: the incidents, nothing pushed or committed
 * - `POST /api/instances/:id/test` — the connector's test
 * - `POST /api/instances/:id/reset` `{"confirm": "<id>"}` — resets the last run (audited in the history)
 * - the quarantine: list, export, re-drive (see `quarantine-routes.ts`)
 *
 * Requests must name a loopback host (no DNS rebinding); actions must be JSON from the page's own
 * origin (no cross-site form posts). Every answer passes through `redact`.
 */
export const createDashboardApp = (deps: DashboardDeps) => {
  const clock = deps.clock ?? Date.now;
  const app = new Hono();

  app.use('*', async (c, next) => {
    if (!loopbackHost.test(c.req.header('host') ?? '')) return c.text('Forbidden host', 403);
    if (c.req.method === 'POST') {
      const origin = c.req.header('origin');
      if (origin !== undefined && !isSameOrigin(origin, c.req.header('host'))) {
        return c.json({ error: { code: 'FORBIDDEN', message: 'Cross-origin requests are refused.' } }, 403);
      }
      if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
        return c.json({ error: { code: 'BAD_REQUEST', message: 'Send JSON.' } }, 415);
      }
    }
    await next();
    for (const [name, value] of Object.entries(securityHeaders)) c.header(name, value);
  });

  for (const [path, { body, type }] of Object.entries(assets)) {
    app.get(path, (c) => c.body(body, 200, { 'content-type': type }));
  }

  /** Known instance, or a 404 that lists the known ones. */
  const known = async (id: string) => {
    const { documents, errors } = await deps.listInstances();
    return documents.some((d) => d.id === id) || errors.some((e) => e.instanceId === id);
  };
  const notFound = (c: Context, id: string) =>
    c.json({ error: { code: 'NOT_FOUND', message: `No instance "${id}".` } }, 404);

  app.get('/api/overview', async (c) => {
    try {
      const now = clock();
      return c.json({
        now: new Date(now).toISOString(),
        mode: deps.mode,
        instances: await collectOverview(deps, now),
      });
    } catch (error) {
      return failure(c, error);
    }
  });

  app.get('/api/instances/:id/history', async (c) => {
    const id = c.req.param('id');
    const limit = Math.min(200, Math.max(1, Number(c.req.query('limit')) || 50));
    try {
      if (!(await known(id))) return notFound(c, id);
      return c.json(redact({ records: await deps.store.listHistory(id, { limit }) }));
    } catch (error) {
      return failure(c, error);
    }
  });

  app.get('/api/instances/:id/replays', async (c) => {
    const id = c.req.param('id');
    try {
      if (!(await known(id))) return notFound(c, id);
      return c.json(redact({ replays: await deps.replays.list(id) }));
    } catch (error) {
      return failure(c, error);
    }
  });

  app.post('/api/instances/:id/debug', async (c) => {
    const id = c.req.param('id');
    try {
      if (!(await known(id))) return notFound(c, id);
      return c.json(redact({ outcome: await deps.invoke(id, 'debug') }));
    } catch (error) {
      return failure(c, error);
    }
  });

  app.post('/api/instances/:id/test', async (c) => {
    const id = c.req.param('id');
    try {
      if (!(await known(id))) return notFound(c, id);
      return c.json(redact({ outcome: await deps.invoke(id, 'test') }));
    } catch (error) {
      return failure(c, error);
    }
  });

  app.post('/api/instances/:id/reset', async (c) => {
    const id = c.req.param('id');
    const body = (await c.req.json().catch(() => ({}))) as { confirm?: unknown };
    // The page's dialog sends the id back: a stray or replayed request cannot reset another instance.
    if (body.confirm !== id) {
      return c.json({ error: { code: 'BAD_REQUEST', message: `Confirm with {"confirm": "${id}"}.` } }, 400);
    }
    try {
      if (!(await known(id))) return notFound(c, id);
      const result = await setLastRunAudited(deps.store, {
        instanceId: id,
        connector: await deps.connectorOf(id),
        lastRun: {},
        kind: 'reset',
        by: 'an operator (dashboard)',
        now: clock(),
      });
      return c.json(redact({ action: result.action, before: result.before, after: result.after }));
    } catch (error) {
      return failure(c, error);
    }
  });

  addQuarantineRoutes(app, { quarantine: deps.quarantine, invoke: deps.invoke, known, clock });

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: 'No such page.' } }, 404));
  return app;
};
