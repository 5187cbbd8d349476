import { setTimeout as sleep } from 'node:timers/promises';
import { type Context, Hono } from 'hono';
import type { AlertStore } from './alert-store.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';

export type { RateLimit } from './rate-limit.js';

/** Ways the next requests to `GET /alerts` can be made to fail. */
export const FAILURE_MODES = [
  'server-error',
  'rate-limited',
  'unauthorized',
  'malformed-json',
  'slow',
] as const;

/** One of {@link FAILURE_MODES}: 500, 429 with Retry-After, 401, a truncated 200 body, or a late answer. */
export type FailureMode = (typeof FAILURE_MODES)[number];

/** How an injected failure behaves. */
export interface FailureOptions {
  /**
   * How many of the next `GET /alerts` requests fail; `Infinity` until cleared.
   * @default 1
   */
  readonly count?: number;
  /**
   * `slow`: how long to wait before answering normally.
   * @default 5000
   */
  readonly delayMs?: number;
  /**
   * `rate-limited`: the Retry-After header, in seconds.
   * @default 1
   */
  readonly retryAfterSeconds?: number;
}

/** Mutable request-side state shared by the app and whoever controls it (the server, tests). */
export interface DemoSourceState {
  /** `GET /alerts` requests received, failed ones included; `/health` is not counted. */
  requests: number;
  /** Alerts returned by `GET /alerts`, all answers together: what a client read. */
  alertsServed: number;
  /** `GET /alerts` requests refused with 429 by the rate limit (injected failures not counted). */
  rateLimited: number;
  /** The rate limit in force; changed at run time by `setRateLimit`. */
  rateLimit: RateLimit | undefined;
  failure: { mode: FailureMode; remaining: number; delayMs: number; retryAfterSeconds: number } | undefined;
}

/** Creates an empty {@link DemoSourceState}. */
export function createDemoSourceState(): DemoSourceState {
  return { requests: 0, alertsServed: 0, rateLimited: 0, rateLimit: undefined, failure: undefined };
}

/** Arms `state` so the next `options.count` requests fail with `mode`; `'none'` disarms it. */
export function setFailure(
  state: DemoSourceState,
  mode: FailureMode | 'none',
  options: FailureOptions = {},
): void {
  state.failure =
    mode === 'none'
      ? undefined
      : {
          mode,
          remaining: options.count ?? 1,
          delayMs: options.delayMs ?? 5000,
          retryAfterSeconds: options.retryAfterSeconds ?? 1,
        };
}

/** Options of {@link createDemoSourceApp}. */
export interface DemoSourceAppOptions {
  /** The bearer token clients must send. */
  readonly apiKey: string;
  readonly store: AlertStore;
  /** The store of a stream by name (`GET /streams/<name>/alerts`), `undefined` if none. @default none */
  readonly streams?: (name: string) => AlertStore | undefined;
  /** @default a fresh {@link createDemoSourceState} */
  readonly state?: DemoSourceState;
  /** Over this budget (a fixed window) `GET /alerts` answers 429; see `rate-limit.ts`. @default no limit */
  readonly rateLimit?: RateLimit;
  /** Clock, epoch ms: the default `until` and what is visible. @default Date.now */
  readonly now?: () => number;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
// ISO-8601 date, optionally with a time and an offset. A space stands for '+' because an
// unencoded '+' in a query string arrives as a space.
const ISO_DATE =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+\- ]\d{2}:?\d{2})?)?$/i;

/**
 * Creates the demo source's Hono app: `GET /alerts` (bearer auth, range query) and `GET /health`.
 *
 * @example
 * const app = createDemoSourceApp({ apiKey: 'k', store: createAlertStore() });
 * await app.request('/alerts?since=2024-01-01T00:00:00Z', { headers: { authorization: 'Bearer k' } });
 */
export function createDemoSourceApp(options: DemoSourceAppOptions): Hono {
  const { apiKey } = options;
  const state = options.state ?? createDemoSourceState();
  const now = options.now ?? Date.now;
  if (options.rateLimit) state.rateLimit = options.rateLimit;
  // One limiter per limit: changing the limit starts a fresh window.
  let limiter: { limit: RateLimit; admit: ReturnType<typeof createRateLimiter>['admit'] } | undefined;

  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok', alerts: options.store.size }));

  /** `GET /alerts` against one store: the source's own, or a stream's. */
  const answerAlerts = async (c: Context, store: AlertStore): Promise<Response> => {
    state.requests++;
    const injected = await injectFailure(c, state);
    if (injected) return injected;

    if (c.req.header('authorization') !== `Bearer ${apiKey}`) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: 'Missing or wrong API key: send Authorization: Bearer <key>.' }, 401);
    }
    if (state.rateLimit) {
      if (limiter?.limit !== state.rateLimit)
        limiter = { limit: state.rateLimit, ...createRateLimiter(state.rateLimit, now) };
      const verdict = limiter.admit();
      for (const [name, value] of Object.entries(verdict.headers)) c.header(name, value);
      if (!verdict.admitted) {
        state.rateLimited++;
        const { requests, perMs } = state.rateLimit;
        return c.json({ error: `Rate limit of ${requests} requests per ${perMs} ms exceeded` }, 429);
      }
    }

    const params = parseParams(c.req.query(), now());
    if ('error' in params) return c.json(params, 400);
    const { since, until, limit } = params;
    const alerts = until > since ? store.query({ since, until, limit, visibleAt: now() }) : [];
    state.alertsServed += alerts.length;
    return c.json({ alerts });
  };

  app.get('/alerts', (c) => answerAlerts(c, options.store));
  // A tenant's own alerts under its own base URL (`<url>/streams/<name>`), as multi-tenant APIs serve them.
  app.get('/streams/:stream/alerts', (c) => {
    const stream = options.streams?.(c.req.param('stream'));
    if (!stream) return c.json({ error: `No stream named '${c.req.param('stream')}'.` }, 404);
    return answerAlerts(c, stream);
  });

  app.notFound((c) => c.json({ error: `No route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) => c.json({ error: err.message }, 500));
  return app;
}

/** Answers with the armed failure, if any; `slow` only delays and lets the request proceed. */
async function injectFailure(c: Context, state: DemoSourceState): Promise<Response | undefined> {
  const failure = state.failure;
  if (!failure) return undefined;
  if (--failure.remaining <= 0) state.failure = undefined;
  switch (failure.mode) {
    case 'server-error':
      return c.json({ error: 'Injected failure: internal server error' }, 500);
    case 'rate-limited':
      c.header('Retry-After', String(failure.retryAfterSeconds));
      return c.json({ error: 'Injected failure: rate limited' }, 429);
    case 'unauthorized':
      return c.json({ error: 'Injected failure: API key rejected' }, 401);
    case 'malformed-json':
      return c.body('{"alerts":[{"id":"A-0', 200, { 'Content-Type': 'application/json' });
    case 'slow':
      // Stop waiting when the client gives up, so a closed server is not held open by a timer.
      await sleep(failure.delayMs, undefined, { signal: c.req.raw.signal }).catch(() => undefined);
      return undefined;
  }
}

type Params = { since: number; until: number; limit: number } | { error: string; parameter: string };

/** Validates the query string; an error names the parameter and what it accepts. */
function parseParams(query: Record<string, string>, nowMs: number): Params {
  const since = parseTime(query.since);
  if (since === undefined)
    return badParam('since', query.since, 'an ISO-8601 date, e.g. 2024-05-01T00:00:00Z');
  const until = query.until === undefined ? nowMs : parseTime(query.until);
  if (until === undefined)
    return badParam('until', query.until, 'an ISO-8601 date, e.g. 2024-05-01T00:00:00Z');
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (!/^\d+$/.test(query.limit ?? '1') || limit < 1 || limit > MAX_LIMIT) {
    return badParam('limit', query.limit, `an integer from 1 to ${MAX_LIMIT}`);
  }
  return { since, until, limit };
}

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined || !ISO_DATE.test(value)) return undefined;
  let iso = value.replace(' ', '+');
  // A date-time without offset would be read as local time; the API speaks UTC.
  if (iso.length > 10 && !/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) iso += 'Z';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function badParam(parameter: string, value: string | undefined, expected: string): Params {
  const got = value === undefined ? 'it is missing' : `got '${value}'`;
  return { error: `Parameter '${parameter}' must be ${expected}; ${got}.`, parameter };
}
