import type { Context, Hono } from 'hono';
import { errorCode, errorMessage } from '../../shared/errors.js';
import { redact } from '../../shared/redact.js';
import type { QuarantineStore } from '../../shared/state/quarantine-store.js';
import { quarantineExport } from '../cli/quarantine-export.js';
import type { LocalInvoker } from '../local-invoker.js';

export interface QuarantineRouteDeps {
  readonly quarantine?: QuarantineStore;
  readonly invoke: LocalInvoker;
  /** Whether the id names an instance of the configuration. */
  readonly known: (instanceId: string) => Promise<boolean>;
  readonly clock: () => number;
}

/** Ids a re-drive request may name: what `quarantineId` looks like (hex), at most 1,000. */
const ID = /^[0-9a-f]{16}$/;

const failure = (c: Context, error: unknown) =>
  c.json(redact({ error: { code: errorCode(error), message: errorMessage(error) } }), 500);

/**
 * The dashboard's quarantine API (the page's Quarantine card):
 * - `GET  /api/instances/:id/quarantine` — the records, newest first
 * - `GET  /api/instances/:id/quarantine/export` — the same as `ferry quarantine <id> --export`, as a file
 * - `POST /api/instances/:id/quarantine/redrive` `{"ids": [...]}` (default: every held record) — the
 *   re-drive, run by the instance's function like `ferry quarantine <id> --redrive`
 */
export const addQuarantineRoutes = (app: Hono, deps: QuarantineRouteDeps): void => {
  const notFound = (c: Context, id: string) =>
    c.json({ error: { code: 'NOT_FOUND', message: `No instance "${id}".` } }, 404);
  const unavailable = (c: Context) =>
    c.json({ error: { code: 'NOT_FOUND', message: 'This dashboard has no quarantine store.' } }, 404);

  app.get('/api/instances/:id/quarantine', async (c) => {
    const id = c.req.param('id');
    if (!deps.quarantine) return unavailable(c);
    try {
      if (!(await deps.known(id))) return notFound(c, id);
      return c.json(redact({ records: await deps.quarantine.list(id) }));
    } catch (error) {
      return failure(c, error);
    }
  });

  app.get('/api/instances/:id/quarantine/export', async (c) => {
    const id = c.req.param('id');
    if (!deps.quarantine) return unavailable(c);
    try {
      if (!(await deps.known(id))) return notFound(c, id);
      const body = quarantineExport(id, await deps.quarantine.list(id), deps.clock());
      return c.body(`${JSON.stringify(redact(body), null, 2)}\n`, 200, {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="ferry-quarantine-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json"`,
      });
    } catch (error) {
      return failure(c, error);
    }
  });

  app.post('/api/instances/:id/quarantine/redrive', async (c) => {
    const id = c.req.param('id');
    if (!deps.quarantine) return unavailable(c);
    const body = (await c.req.json().catch(() => ({}))) as { ids?: unknown };
    const ids = body.ids;
    if (
      ids !== undefined &&
      !(Array.isArray(ids) && ids.length <= 1_000 && ids.every((x) => typeof x === 'string' && ID.test(x)))
    ) {
      return c.json(
        {
          error: {
            code: 'BAD_REQUEST',
            message:
              'Send {"ids": ["<quarantine id>", ...]} (16 hex digits each, at most 1,000), or {} for every held record.',
          },
        },
        400,
      );
    }
    try {
      if (!(await deps.known(id))) return notFound(c, id);
      const outcome = await deps.invoke(id, 'redrive', ids ? { quarantineIds: ids as string[] } : {});
      return c.json(redact({ outcome }));
    } catch (error) {
      return failure(c, error);
    }
  });
};
