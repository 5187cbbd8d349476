import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import {
  advertise,
  listen,
  parseIsoParam,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * Okta's System Log API `GET /api/v1/logs`, as documented (developer.okta.com, "System Log"; "Rate
 * limits"; "Pagination"):
 * - `Authorization: SSWS <API token>`; a bad token answers 401 with Okta's error object
 *   (`errorCode` E0000011, "Invalid token provided").
 * - `since` (default: 7 days before `until`), `until` (default: now), `limit` (default 100, at most
 *   1000), `sortOrder` (ASCENDING, the default, or DESCENDING), `after` (the cursor), `filter`, `q`.
 *   An invalid parameter answers 400 E0000001.
 * - The body is a JSON array of LogEvents (`uuid`, `published` to the millisecond, `severity` DEBUG,
 *   INFO, WARN or ERROR, `displayMessage`, `eventType`, `actor`, `outcome`, ...).
 * - Pagination by `Link` headers: `rel="self"` always; `rel="next"` (with `after`) while a bounded
 *   request (one with `until`) has more, and always for a polling request (no `until`).
 * - Every answer carries `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (epoch
 *   seconds); over the limit: 429 E0000047, and no `Retry-After`.
 */

export type OktaSeverity = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface OktaLogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version: '0';
  severity: OktaSeverity;
  legacyEventType: string;
  displayMessage: string;
  actor: { id: string; type: 'User'; alternateId: string; displayName: string; detailEntry: null };
  client: {
    userAgent: { rawUserAgent: string; os: string; browser: string };
    zone: 'null';
    device: 'Computer';
    id: null;
    ipAddress: string;
    geographicalContext: { city: string; state: string; country: string; postalCode: string };
  };
  outcome: { result: 'SUCCESS' | 'FAILURE'; reason: string | null };
  target: { id: string; type: string; alternateId: string; displayName: string }[];
  transaction: { type: 'WEB'; id: string; detail: Record<string, never> };
  debugContext: { debugData: Record<string, string> };
  authenticationContext: { authenticationStep: number; externalSessionId: string };
  securityContext: { asNumber: number; asOrg: string; isp: string; domain: string; isProxy: boolean };
}

export interface OktaServer extends RunningServer, VendorControls {
  /** The API token `Authorization: SSWS <token>` must carry. */
  readonly token: string;
  /** Adds a log event published at `published` (epoch ms or Date). */
  add(published: number | Date, fields?: Partial<OktaLogEvent>): OktaLogEvent;
}

const RATE_LIMIT = 120; // /api/v1/logs: requests per minute for an org (varies by plan)
const MAX_LIMIT = 1000;
const DAY = 86_400_000;
const kinds: { eventType: string; displayMessage: string; severity: OktaSeverity }[] = [
  { eventType: 'user.session.start', displayMessage: 'User login to Okta', severity: 'INFO' },
  {
    eventType: 'user.authentication.auth_via_mfa',
    displayMessage: 'Authentication of user via MFA',
    severity: 'INFO',
  },
  {
    eventType: 'security.threat.detected',
    displayMessage: 'Request from suspicious actor',
    severity: 'WARN',
  },
  { eventType: 'user.account.lock', displayMessage: 'Max sign in attempts exceeded', severity: 'ERROR' },
];

const oktaError = (
  c: Context,
  status: 400 | 401 | 404 | 429,
  code: string,
  summary: string,
  causes: string[] = [],
) =>
  c.json(
    {
      errorCode: code,
      errorSummary: summary,
      errorLink: code,
      errorId: `oae${randomUUID().replaceAll('-', '').slice(0, 19)}`,
      errorCauses: causes.map((errorSummary) => ({ errorSummary })),
    },
    status,
  );

/** The opaque `after` cursor: where the last page ended in the sort order. */
const encodeCursor = (publishedMs: number, seq: number) => `${publishedMs}_${seq}`;
const decodeCursor = (after: string) => {
  const match = /^(\d+)_(\d+)$/.exec(after);
  return match ? { publishedMs: Number(match[1]), seq: Number(match[2]) } : undefined;
};

/** Starts an Okta System Log API on 127.0.0.1. */
export const startOkta = async (options: { token?: string } = {}): Promise<OktaServer> => {
  const token = options.token ?? '00QCjAl4MlV-WPXM-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const requests: RecordedRequest[] = [];
  const quota = new Quota(RATE_LIMIT, 60_000);
  const stored: { publishedMs: number; seq: number; event: OktaLogEvent }[] = [];
  let injected: number | undefined;
  let seq = 0;

  const app = new Hono();
  app.use(recordRequests(requests));
  app.get('/api/v1/logs', (c) => {
    const limitHeaders = (remaining: number, resetEpochSeconds: number) => {
      c.header('X-Rate-Limit-Limit', String(RATE_LIMIT));
      c.header('X-Rate-Limit-Remaining', String(remaining));
      c.header('X-Rate-Limit-Reset', String(resetEpochSeconds));
    };
    const now = Date.now();
    if (injected !== undefined) {
      const reset = Math.ceil((now + injected * 1000) / 1000);
      injected = undefined;
      limitHeaders(0, reset);
      advertise(c, reset * 1000 - now);
      return oktaError(c, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
    }
    if (c.req.header('authorization') !== `SSWS ${token}`) {
      return oktaError(c, 401, 'E0000011', 'Invalid token provided');
    }
    if (!quota.take()) {
      limitHeaders(0, quota.resetEpochSeconds());
      advertise(c, quota.resetEpochSeconds() * 1000 - now);
      return oktaError(c, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
    }
    limitHeaders(quota.remaining, quota.resetEpochSeconds());

    const query = c.req.query();
    const invalid = (name: string, why: string) =>
      oktaError(c, 400, 'E0000001', `Api validation failed: ${name}`, [`${name}: ${why}`]);
    const bounded = query.until !== undefined;
    const until = bounded ? parseIsoParam(query.until) : now;
    if (until === undefined)
      return invalid(
        'until',
        'The date format in your query is not recognized. Please enter dates using ISO8601 string format.',
      );
    const since = query.since === undefined ? until - 7 * DAY : parseIsoParam(query.since);
    if (since === undefined)
      return invalid(
        'since',
        'The date format in your query is not recognized. Please enter dates using ISO8601 string format.',
      );
    if (since > until) return invalid('since', 'since must be before until.');
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      return invalid('limit', `limit must be between 1 and ${MAX_LIMIT}.`);
    const descending = query.sortOrder === 'DESCENDING';
    if (query.sortOrder !== undefined && !['ASCENDING', 'DESCENDING'].includes(query.sortOrder)) {
      return invalid('sortOrder', 'sortOrder must be ASCENDING or DESCENDING.');
    }
    const after = query.after === undefined ? undefined : decodeCursor(query.after);
    if (query.after !== undefined && after === undefined) return invalid('after', 'The cursor is not valid.');

    const order = (a: { publishedMs: number; seq: number }, b: { publishedMs: number; seq: number }) =>
      (a.publishedMs - b.publishedMs || a.seq - b.seq) * (descending ? -1 : 1);
    const matching = stored
      .filter(({ publishedMs }) => publishedMs >= since && publishedMs < until)
      .filter(({ event }) => !query.q || JSON.stringify(event).toLowerCase().includes(query.q.toLowerCase()))
      .sort(order)
      .filter((entry) => !after || order(entry, after) > 0);
    const page = matching.slice(0, limit);
    const self = new URL(c.req.url);
    const links = [`<${self.toString()}>; rel="self"`];
    const last = page.at(-1);
    const more = matching.length > page.length;
    if (more || !bounded) {
      const next = new URL(self);
      const cursor = last ? encodeCursor(last.publishedMs, last.seq) : query.after;
      if (cursor) next.searchParams.set('after', cursor);
      links.push(`<${next.toString()}>; rel="next"`);
    }
    c.header('Link', links.join(', '));
    return c.json(page.map(({ event }) => event));
  });
  app.notFound((c) =>
    oktaError(c, 404, 'E0000007', `Not found: Resource not found: ${c.req.path} (Endpoint)`),
  );

  const server = await listen(app);
  return {
    ...server,
    token,
    requests,
    quota,
    rateLimitNext(seconds) {
      injected = seconds;
    },
    add(published, fields = {}) {
      const publishedMs = typeof published === 'number' ? published : published.getTime();
      seq++;
      const kind = kinds[seq % kinds.length]!;
      const event: OktaLogEvent = {
        uuid: randomUUID(),
        published: new Date(publishedMs).toISOString(),
        eventType: kind.eventType,
        version: '0',
        severity: kind.severity,
        legacyEventType: `core.${kind.eventType}`,
        displayMessage: kind.displayMessage,
        actor: {
          id: '00u1qw1mqitPHM8AJ0g7',
          type: 'User',
          alternateId: 'alice@example.com',
          displayName: 'Alice Liddell',
          detailEntry: null,
        },
        client: {
          userAgent: { rawUserAgent: 'Mozilla/5.0', os: 'Mac OS X', browser: 'CHROME' },
          zone: 'null',
          device: 'Computer',
          id: null,
          ipAddress: '203.0.113.7',
          geographicalContext: {
            city: 'Lisbon',
            state: 'Lisbon',
            country: 'Portugal',
            postalCode: '1000-001',
          },
        },
        outcome: { result: kind.severity === 'ERROR' ? 'FAILURE' : 'SUCCESS', reason: null },
        target: [],
        transaction: { type: 'WEB', id: `W${seq}`, detail: {} },
        debugContext: { debugData: { requestUri: '/api/v1/authn' } },
        authenticationContext: { authenticationStep: 0, externalSessionId: `trs${seq}` },
        securityContext: {
          asNumber: 64496,
          asOrg: 'example',
          isp: 'example',
          domain: 'example.com',
          isProxy: false,
        },
        ...fields,
      };
      stored.push({ publishedMs, seq, event });
      return event;
    },
  };
};
