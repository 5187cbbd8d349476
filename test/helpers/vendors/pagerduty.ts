import { type Context, Hono } from 'hono';
import {
  advertise,
  idSequence,
  isoSeconds,
  listen,
  parseIsoParam,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * PagerDuty's REST API v2 `GET /incidents`, as documented (developer.pagerduty.com, "List incidents";
 * "Pagination"; support.pagerduty.com "REST API Rate Limits"):
 * - `Authorization: Token token=<api key>`; a bad key answers 401 `{"error": {"message", "code": 2006}}`.
 * - `since`/`until` (ISO-8601; without them, the last 30 days; `date_range=all` for everything),
 *   `sort_by` (`created_at[:asc|:desc]`), `urgencies[]`, `statuses[]`, `time_zone`.
 * - Classic pagination: `limit` (default 25, at most 100), `offset`; the body says
 *   `{"incidents": [...], "limit", "offset", "total": null, "more": true|false}`; offset + limit past
 *   10,000 is refused.
 * - Times are written to the second (`2026-03-10T12:00:00Z`) but filtered on the exact creation time.
 * - Every answer carries `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` (seconds until the
 *   window resets); over the limit: 429 `{"error": {"message": "Rate Limit Exceeded", "code": 2020}}`.
 */

export interface PagerDutyIncident {
  id: string;
  type: 'incident';
  summary: string;
  self: string;
  html_url: string;
  incident_number: number;
  title: string;
  description: string;
  created_at: string;
  updated_at: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  incident_key: string;
  urgency: 'high' | 'low';
  service: { id: string; type: 'service_reference'; summary: string; self: string; html_url: string };
  assignments: unknown[];
  escalation_policy: { id: string; type: 'escalation_policy_reference'; summary: string };
  teams: unknown[];
  priority: null;
  alert_counts: { all: number; triggered: number; resolved: number };
  last_status_change_at: string;
  is_mergeable: boolean;
}

export interface PagerDutyServer extends RunningServer, VendorControls {
  /** The API key that `Authorization: Token token=<key>` must carry. */
  readonly token: string;
  /** Creates an incident at `created` (epoch ms or Date); other fields are generated. */
  add(created: number | Date, fields?: Partial<PagerDutyIncident>): PagerDutyIncident;
}

const RATE_LIMIT = 960; // requests per minute per user: PagerDuty's documented REST limit
const MAX_LIMIT = 100;
const MAX_OFFSET = 10_000;
const DAY = 86_400_000;
const titles = [
  'The server is on fire.',
  'Disk full on db-2',
  'Checkout latency over SLO',
  'TLS certificate expires',
];

const error = (c: Context, status: 400 | 401 | 429, message: string, code: number, errors?: string[]) =>
  c.json({ error: { message, code, ...(errors ? { errors } : {}) } }, status);

/** Starts a PagerDuty incidents API on 127.0.0.1. */
export const startPagerDuty = async (options: { token?: string } = {}): Promise<PagerDutyServer> => {
  const token = options.token ?? 'y_NbAkKc66ryYTWUXYEu';
  const requests: RecordedRequest[] = [];
  const quota = new Quota(RATE_LIMIT, 60_000);
  const stored: { createdMs: number; incident: PagerDutyIncident }[] = [];
  const nextId = idSequence('Q1', 12);
  let injected: number | undefined;
  let number = 1000;

  const app = new Hono();
  app.use(recordRequests(requests));
  app.get('/incidents', (c) => {
    const limitHeaders = (remaining: number, reset: number) => {
      c.header('ratelimit-limit', String(RATE_LIMIT));
      c.header('ratelimit-remaining', String(remaining));
      c.header('ratelimit-reset', String(reset));
    };
    if (injected !== undefined) {
      const seconds = injected;
      injected = undefined;
      limitHeaders(0, seconds);
      advertise(c, seconds * 1000);
      return error(c, 429, 'Rate Limit Exceeded', 2020);
    }
    if (c.req.header('authorization') !== `Token token=${token}`) {
      return error(c, 401, 'Authentication failed', 2006);
    }
    if (!quota.take()) {
      limitHeaders(0, quota.secondsToReset());
      advertise(c, quota.secondsToReset() * 1000);
      return error(c, 429, 'Rate Limit Exceeded', 2020);
    }
    limitHeaders(quota.remaining, quota.secondsToReset());

    const query = c.req.query();
    const limit = Math.min(query.limit === undefined ? 25 : Number(query.limit), MAX_LIMIT);
    const offset = query.offset === undefined ? 0 : Number(query.offset);
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0) {
      return error(c, 400, 'Invalid Input Provided', 2001, [
        'Limit and offset must be non-negative integers.',
      ]);
    }
    if (offset + limit > MAX_OFFSET) {
      return error(c, 400, 'Invalid Input Provided', 2001, [`Offset must be less than ${MAX_OFFSET}.`]);
    }
    const now = Date.now();
    const all = query.date_range === 'all';
    const until = all ? Number.POSITIVE_INFINITY : (parseIsoParam(query.until) ?? now);
    const since = all ? Number.NEGATIVE_INFINITY : (parseIsoParam(query.since) ?? until - 30 * DAY);
    if (
      (query.since && parseIsoParam(query.since) === undefined) ||
      (query.until && parseIsoParam(query.until) === undefined)
    ) {
      return error(c, 400, "Invalid 'since' or 'until' Parameter Values", 2004);
    }
    if (since > until || until - since > 183 * DAY) {
      return error(c, 400, 'Invalid Query Date Range', 2005, [
        'The range must be at most 6 months, since before until.',
      ]);
    }
    const urgencies = c.req.queries('urgencies[]');
    const statuses = c.req.queries('statuses[]');
    const [sortField = 'created_at', direction = 'asc'] = (query.sort_by ?? 'created_at:asc').split(':');
    if (sortField !== 'created_at' || !['asc', 'desc'].includes(direction)) {
      return error(c, 400, 'Invalid Input Provided', 2001, [
        `sort_by ${query.sort_by} is not supported here.`,
      ]);
    }
    const matching = stored
      .filter(({ createdMs }) => createdMs >= since && createdMs < until)
      .filter(({ incident }) => !urgencies || urgencies.includes(incident.urgency))
      .filter(({ incident }) => !statuses || statuses.includes(incident.status))
      .sort(
        (a, b) =>
          (a.createdMs - b.createdMs || a.incident.incident_number - b.incident.incident_number) *
          (direction === 'desc' ? -1 : 1),
      );
    const page = matching.slice(offset, offset + limit).map(({ incident }) => incident);
    return c.json({
      incidents: page,
      limit,
      offset,
      total: query.total === 'true' ? matching.length : null,
      more: offset + page.length < matching.length,
    });
  });
  app.notFound((c) => c.json({ error: { message: 'Not Found', code: 2100 } }, 404));

  const server = await listen(app);
  return {
    ...server,
    token,
    requests,
    quota,
    rateLimitNext(seconds) {
      injected = seconds;
    },
    add(created, fields = {}) {
      const createdMs = typeof created === 'number' ? created : created.getTime();
      const id = nextId();
      number++;
      const title = titles[number % titles.length]!;
      const incident: PagerDutyIncident = {
        id,
        type: 'incident',
        summary: `[#${number}] ${title}`,
        self: `https://api.pagerduty.com/incidents/${id}`,
        html_url: `https://acme.pagerduty.com/incidents/${id}`,
        incident_number: number,
        title,
        description: title,
        created_at: isoSeconds(createdMs),
        updated_at: isoSeconds(createdMs),
        status: 'triggered',
        incident_key: `key-${number}`,
        urgency: number % 2 === 0 ? 'high' : 'low',
        service: {
          id: 'PIJ90N7',
          type: 'service_reference',
          summary: 'Checkout',
          self: 'https://api.pagerduty.com/services/PIJ90N7',
          html_url: 'https://acme.pagerduty.com/service-directory/PIJ90N7',
        },
        assignments: [],
        escalation_policy: { id: 'PT20YPA', type: 'escalation_policy_reference', summary: 'Default' },
        teams: [],
        priority: null,
        alert_counts: { all: 1, triggered: 1, resolved: 0 },
        last_status_change_at: isoSeconds(createdMs),
        is_mergeable: true,
        ...fields,
      };
      stored.push({ createdMs, incident });
      return incident;
    },
  };
};
