import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { bearerOf, TokenIssuer } from './oauth-tokens.js';
import {
  advertise,
  idSequence,
  listen,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * CrowdStrike Falcon's OAuth2 API for alerts, as documented (Falcon API reference in the console;
 * CrowdStrike's SDK docs: crimson-falcon `docs/AlertsApi.md`, FalconPy "Authenticating to the API" and
 * "Alerts"; PSFalcon and gofalcon for the rate-limit headers):
 * - `POST /oauth2/token`, `application/x-www-form-urlencoded` with `client_id` and `client_secret` in the
 *   body (optional `member_cid`): `201 {"access_token", "token_type": "bearer", "expires_in": 1799}`
 *   (tokens live 30 minutes). Wrong credentials: 403 "Failed to issue access token - Not Authorized".
 * - Every API call: `Authorization: Bearer <token>`; a missing, unknown or expired token: 401 with
 *   `{"meta", "errors": [{"code": 401, "message": "access denied, invalid bearer token"}]}`.
 * - `GET /alerts/queries/alerts/v2`: `filter` (FQL, `field:>='value'` joined by `+` for AND), `sort`
 *   (`field|asc` or `field.asc`), `offset`, `limit` (default 100, at most 10000; offset + limit past the
 *   10,000-result window is refused), `include_hidden`, `q`. Answers the matching composite ids:
 *   `{"meta": {"pagination": {"offset", "limit", "total"}}, "resources": [ids], "errors": []}`.
 * - `POST /alerts/entities/alerts/v2` with JSON `{"composite_ids": [...]}` (at most 1000): the alerts, in
 *   no promised order; an unknown id is left out and named in `errors` (404).
 * - Every answer carries `X-RateLimit-Limit` and `X-RateLimit-Remaining` (per minute); a spent limit is
 *   429 with `X-RateLimit-RetryAfter`, the epoch second to retry at.
 */

export interface FalconAlert {
  composite_id: string;
  id: string;
  cid: string;
  aggregate_id: string;
  type: 'ldt';
  product: 'epp';
  created_timestamp: string;
  updated_timestamp: string;
  timestamp: string;
  name: string;
  display_name: string;
  description: string;
  severity: number;
  severity_name: 'Informational' | 'Low' | 'Medium' | 'High' | 'Critical';
  status: 'new' | 'in_progress' | 'closed' | 'reopened';
  tactic: string;
  technique: string;
  device: { device_id: string; hostname: string; platform_name: string };
  filename: string;
  cmdline: string;
  falcon_host_link: string;
}

export interface CrowdStrikeServer extends RunningServer, VendorControls {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokens: TokenIssuer;
  /** Adds an alert created at `created`. */
  add(created: number | Date, fields?: Partial<FalconAlert>): FalconAlert;
}

const CID = '0123456789abcdef0123456789abcdef';
const RATE_LIMIT = 6000; // requests per minute, CrowdStrike's default per client
const MAX_QUERY_LIMIT = 10_000;
const MAX_ENTITY_IDS = 1000;
const SEVERITIES = [
  [10, 'Informational'],
  [30, 'Low'],
  [50, 'Medium'],
  [70, 'High'],
  [90, 'Critical'],
] as const;
const FQL_FIELDS = ['created_timestamp', 'updated_timestamp', 'timestamp'] as const;
type FqlField = (typeof FQL_FIELDS)[number];

const meta = (extra: Record<string, unknown> = {}) => ({
  query_time: 0.01,
  powered_by: 'detectsapi',
  trace_id: randomUUID(),
  ...extra,
});

const failure = (c: Context, status: 400 | 401 | 403 | 415 | 429, message: string) =>
  c.json({ meta: meta(), resources: [], errors: [{ code: status, message }] }, status);

interface Condition {
  readonly field: FqlField;
  readonly op: '>=' | '>' | '<=' | '<' | '';
  readonly ms: number;
}

/** The FQL subset the stand-in understands: time comparisons joined by `+`; anything else is a 400. */
const parseFilter = (filter: string): Condition[] | string => {
  const conditions: Condition[] = [];
  for (const part of filter.split('+')) {
    const match = /^(\w+):(>=|<=|>|<|)'([^']*)'$/.exec(part.trim());
    if (!match) return `Invalid filter expression near "${part}"`;
    const [, field, op, value] = match;
    if (!(FQL_FIELDS as readonly string[]).includes(field!)) return `Invalid filter field "${field}"`;
    const ms = Date.parse(value!);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value!) || Number.isNaN(ms))
      return `Invalid timestamp "${value}" for ${field}`;
    conditions.push({ field: field as FqlField, op: op as Condition['op'], ms });
  }
  return conditions;
};

const holds = (condition: Condition, ms: number) => {
  switch (condition.op) {
    case '>=':
      return ms >= condition.ms;
    case '>':
      return ms > condition.ms;
    case '<=':
      return ms <= condition.ms;
    case '<':
      return ms < condition.ms;
    default:
      return ms === condition.ms;
  }
};

/** Starts CrowdStrike's OAuth2 and alerts APIs on 127.0.0.1. */
export const startCrowdStrike = async (
  options: { tokenLifetimeSeconds?: number } = {},
): Promise<CrowdStrikeServer> => {
  const clientId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const clientSecret = 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa987';
  const tokens = new TokenIssuer(options.tokenLifetimeSeconds ?? 1799, 'eyJhbGciOiJSUzI1NiIsImtpZCI6');
  const requests: RecordedRequest[] = [];
  const quota = new Quota(RATE_LIMIT, 60_000);
  const stored: { createdMs: number; alert: FalconAlert }[] = [];
  const nextId = idSequence('', 12);
  let injected: number | undefined;

  const app = new Hono();
  app.use(recordRequests(requests));

  app.post('/oauth2/token', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      return failure(c, 415, 'Unsupported Media Type: use application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(await c.req.text());
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return failure(c, 403, 'Failed to issue access token - Not Authorized');
    }
    const issued = tokens.issue();
    return c.json(
      { access_token: issued.token, token_type: 'bearer', expires_in: tokens.lifetimeSeconds },
      201,
    );
  });

  // Bearer token and rate limit, for every API path.
  app.use('/alerts/*', async (c, next) => {
    c.header('X-RateLimit-Limit', String(RATE_LIMIT));
    if (tokens.check(bearerOf(c.req.header('authorization'))) !== 'valid') {
      return failure(c, 401, 'access denied, invalid bearer token');
    }
    const spent = injected !== undefined ? injected : quota.take() ? undefined : quota.secondsToReset();
    injected = undefined;
    if (spent !== undefined) {
      c.header('X-RateLimit-Remaining', '0');
      c.header('X-RateLimit-RetryAfter', String(Math.ceil(Date.now() / 1000) + spent));
      // Retry at the advertised epoch second: up to `spent` seconds from now.
      advertise(c, Math.ceil(Date.now() / 1000 + spent) * 1000 - Date.now());
      return failure(c, 429, 'API rate limit exceeded.');
    }
    c.header('X-RateLimit-Remaining', String(quota.remaining));
    await next();
  });

  app.get('/alerts/queries/alerts/v2', (c) => {
    const query = c.req.query();
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    const offset = query.offset === undefined ? 0 : Number(query.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
      return failure(c, 400, `limit must be between 1 and ${MAX_QUERY_LIMIT}`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + limit > MAX_QUERY_LIMIT) {
      return failure(c, 400, `offset + limit must not exceed ${MAX_QUERY_LIMIT}; narrow the filter`);
    }
    const conditions = query.filter ? parseFilter(query.filter) : [];
    if (typeof conditions === 'string') return failure(c, 400, conditions);
    const sort = /^(\w+)[|.](asc|desc)$/.exec(query.sort ?? 'timestamp|desc');
    if (!sort || !(FQL_FIELDS as readonly string[]).includes(sort[1]!)) {
      return failure(c, 400, `Invalid sort "${query.sort}"`);
    }
    const field = sort[1] as FqlField;
    const timeOf = (alert: FalconAlert) => Date.parse(alert[field]);
    const matching = stored
      .filter(({ alert }) =>
        conditions.every((condition) => holds(condition, Date.parse(alert[condition.field]))),
      )
      .sort(
        (a, b) =>
          (timeOf(a.alert) - timeOf(b.alert)) * (sort[2] === 'asc' ? 1 : -1) ||
          a.alert.id.localeCompare(b.alert.id),
      );
    return c.json({
      meta: meta({ pagination: { offset, limit, total: matching.length } }),
      resources: matching.slice(offset, offset + limit).map(({ alert }) => alert.composite_id),
      errors: [],
    });
  });

  app.post('/alerts/entities/alerts/v2', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return failure(c, 415, 'Unsupported Media Type: use application/json');
    }
    let body: { composite_ids?: unknown };
    try {
      body = (await c.req.json()) as { composite_ids?: unknown };
    } catch {
      return failure(c, 400, 'Invalid JSON body');
    }
    const ids = body.composite_ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
      return failure(c, 400, 'composite_ids must be a non-empty list of strings');
    }
    if (ids.length > MAX_ENTITY_IDS)
      return failure(c, 400, `at most ${MAX_ENTITY_IDS} composite_ids a request`);
    const byId = new Map(stored.map(({ alert }) => [alert.composite_id, alert]));
    const found = ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    const missing = ids.filter((id) => !byId.has(id));
    // No promised order: newest first, as the console lists them.
    found.sort((a, b) => Date.parse(b.created_timestamp) - Date.parse(a.created_timestamp));
    return c.json({
      meta: meta(),
      resources: found,
      errors: missing.map((id) => ({ code: 404, message: `alert ${id} not found` })),
    });
  });
  app.notFound((c) => failure(c as Context, 400, 'Not Found') as never);

  const server = await listen(app);
  return {
    ...server,
    clientId,
    clientSecret,
    tokens,
    requests,
    quota,
    rateLimitNext(seconds) {
      injected = seconds;
    },
    add(created, fields = {}) {
      const createdMs = typeof created === 'number' ? created : created.getTime();
      const id = nextId();
      const [severity, severityName] = SEVERITIES[stored.length % SEVERITIES.length]!;
      const deviceId = `d${id.padStart(31, '0')}`;
      const alert: FalconAlert = {
        composite_id: `${CID}:ind:${deviceId}:${id}`,
        id: `ind:${deviceId}:${id}`,
        cid: CID,
        aggregate_id: `aggind:${deviceId}:${id}`,
        type: 'ldt',
        product: 'epp',
        created_timestamp: new Date(createdMs).toISOString(),
        updated_timestamp: new Date(createdMs).toISOString(),
        timestamp: new Date(createdMs).toISOString(),
        name: 'CredentialDumping',
        display_name: 'Credential dumping via LSASS access',
        description: 'A process accessed LSASS memory, which can indicate credential theft.',
        severity,
        severity_name: severityName,
        status: 'new',
        tactic: 'Credential Access',
        technique: 'OS Credential Dumping',
        device: { device_id: deviceId, hostname: `WKS-${id.slice(-4)}`, platform_name: 'Windows' },
        filename: 'procdump64.exe',
        cmdline: 'procdump64.exe -ma lsass.exe out.dmp',
        falcon_host_link: `https://falcon.crowdstrike.com/activity-v2/detections/${CID}:ind:${deviceId}:${id}`,
        ...fields,
      };
      stored.push({ createdMs, alert });
      return alert;
    },
  };
};
