import { type Context, Hono } from 'hono';
import {
  advertise,
  listen,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * Jira Cloud's issue search, as documented (developer.atlassian.com, "The Jira Cloud platform REST API
 * v3": "Search for issues using JQL enhanced search (GET)" `/rest/api/3/search/jql`; "Basic auth for
 * REST APIs"; "Rate limiting"; support.atlassian.com "Advanced search reference – JQL fields" for the
 * date formats):
 * - Basic auth with the account's email and an API token; otherwise 401 "Client must be authenticated
 *   to access this resource.".
 * - `jql` (bounded: an unrestricted query is refused), `nextPageToken`, `maxResults` (default 50; fewer
 *   come back when fields are asked: at most 100 then), `fields` (comma-separated). Answers
 *   `{"issues": [...], "nextPageToken": "...", "isLast": false}`; the last page has no token.
 * - JQL dates are `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd HH:mm"`, `"yyyy/MM/dd"` or `"yyyy-MM-dd"`, read in
 *   the searching user's time zone (their profile setting); anything else: 400 with `errorMessages`.
 *   `updated`/`created` in the answer are `2026-03-10T08:30:00.000-0400`, in that zone too.
 * - `key in (SEC-1, SEC-2)` (JQL operators, IN) selects issues by key or id: with every field asked
 *   (`fields=*all`) a batch of more than 100 comes back in pages by `nextPageToken`, as any search does.
 * - Rate limited: 429 with `Retry-After` (seconds).
 */

export interface JiraIssue {
  id: string;
  key: string;
  self: string;
  fields: {
    summary: string;
    created: string;
    updated: string;
    priority: { name: 'Highest' | 'High' | 'Medium' | 'Low' | 'Lowest' };
    status: { name: string };
    issuetype: { name: string };
    reporter: { displayName: string; emailAddress: string };
  };
}

export interface JiraServer extends RunningServer, VendorControls {
  readonly email: string;
  readonly apiToken: string;
  /** The API user's profile time zone: JQL dates are read, and answers written, in it. */
  readonly userTimeZone: string;
  add(updated: number | Date, fields?: Partial<JiraIssue['fields']>): JiraIssue;
}

const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'] as const;
const JQL_DATE = /^(\d{4})[-/](\d{2})[-/](\d{2})(?: (\d{2}):(\d{2}))?$/;

/** The offset of `zone` at `ms`, in minutes, through Intl's longOffset ("GMT-04:00"). */
const offsetMinutes = (ms: number, zone: string): number => {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(ms))
    .find((part) => part.type === 'timeZoneName')!.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
};

/** A JQL date in the user's zone as epoch ms (the earlier instant when the wall time repeats). */
const jqlInstant = (text: string, zone: string): number | undefined => {
  const match = JQL_DATE.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00'] = match;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  const check = new Date(wall);
  if (
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59
  )
    return undefined;
  const candidates = [offsetMinutes(wall - 86_400_000, zone), offsetMinutes(wall + 86_400_000, zone)]
    .map((offset) => wall - offset * 60_000)
    .filter((ms) => ms + offsetMinutes(ms, zone) * 60_000 === wall);
  return candidates.length > 0
    ? Math.min(...candidates)
    : wall - offsetMinutes(wall - 86_400_000, zone) * 60_000;
};

/** `2026-03-10T08:30:00.000-0400`: how Jira writes a time, in the user's zone. */
const jiraTime = (ms: number, zone: string): string => {
  const offset = offsetMinutes(ms, zone);
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
};

const jiraError = (c: Context, status: 400, message: string) =>
  c.json({ errorMessages: [message], errors: {} }, status);

type Clause = (issue: JiraIssue, updatedMs: number, createdMs: number) => boolean;

/** The JQL subset the stand-in understands: `project = KEY`, `key in (...)` and date comparisons joined by AND, ORDER BY. */
const parseJql = (
  jql: string,
  zone: string,
): { clauses: Clause[]; order: { field: string; asc: boolean } } | string => {
  const [where = '', orderBy] = jql.split(/\s+ORDER\s+BY\s+/i);
  const order = { field: 'created', asc: false };
  if (orderBy) {
    const match = /^(updated|created|key)(?:\s+(ASC|DESC))?\s*$/i.exec(orderBy.trim());
    if (!match) return `Not able to sort using field '${orderBy.trim()}'.`;
    order.field = match[1]!.toLowerCase();
    order.asc = (match[2] ?? 'ASC').toUpperCase() === 'ASC';
  }
  const clauses: Clause[] = [];
  for (const part of where.split(/\s+AND\s+/i).filter((text) => text.trim() !== '')) {
    const project = /^\s*project\s*=\s*"?([A-Z][A-Z0-9]+)"?\s*$/i.exec(part);
    if (project) {
      clauses.push((issue) => issue.key.startsWith(`${project[1]}-`));
      continue;
    }
    // "Advanced search reference – JQL fields", Issue key: `key` (alias `issueKey`, `id`) takes IN with a
    // list ("JQL operators", IN): `key in (SEC-1, SEC-2)`; chained requests ask details this way.
    const keys = /^\s*(key|issuekey|id)\s+in\s*\(([^)]*)\)\s*$/i.exec(part);
    if (keys) {
      const wanted = new Set(
        keys[2]!
          .split(',')
          .map((key) => key.trim().replace(/^"(.*)"$/, '$1'))
          .filter((key) => key !== ''),
      );
      if (wanted.size === 0) return `Error in the JQL Query: expecting a value for '${keys[1]}' but got ')'.`;
      clauses.push((issue) => wanted.has(issue.key) || wanted.has(issue.id));
      continue;
    }
    const compare = /^\s*(updated|created)\s*(>=|<=|>|<|=)\s*"([^"]*)"\s*$/i.exec(part);
    if (!compare) return `Error in the JQL Query: unexpected clause '${part.trim()}'.`;
    const [, field, op, value] = compare;
    const ms = jqlInstant(value!, zone);
    if (ms === undefined) {
      return `Date value '${value}' for field '${field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`;
    }
    // JQL compares to the minute: an issue updated at 12:30:45 is "12:30".
    const minute = (t: number) => Math.floor(t / 60_000) * 60_000;
    const test = {
      '>=': (t: number) => minute(t) >= ms,
      '<=': (t: number) => minute(t) <= ms,
      '>': (t: number) => minute(t) > ms,
      '<': (t: number) => minute(t) < ms,
      '=': (t: number) => minute(t) === ms,
    }[op as '='];
    clauses.push((_, updatedMs, createdMs) =>
      test(field!.toLowerCase() === 'updated' ? updatedMs : createdMs),
    );
  }
  if (clauses.length === 0)
    return 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';
  return { clauses, order };
};

/** Starts Jira Cloud's issue search on 127.0.0.1 for project `SEC`. */
export const startJira = async (options: { userTimeZone?: string } = {}): Promise<JiraServer> => {
  const email = 'soc-bot@example.com';
  const apiToken = 'ATATT3xFfGF0T4n1Jira-api-token';
  const userTimeZone = options.userTimeZone ?? 'America/New_York';
  const requests: RecordedRequest[] = [];
  const quota = new Quota(1000, 60_000);
  const stored: { updatedMs: number; createdMs: number; issue: JiraIssue }[] = [];
  let injected: number | undefined;

  const app = new Hono();
  app.use(recordRequests(requests));
  app.get('/rest/api/3/search/jql', (c) => {
    if (c.req.header('authorization') !== `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`) {
      return c.text('Client must be authenticated to access this resource.', 401);
    }
    const limited = injected ?? (quota.take() ? undefined : quota.secondsToReset());
    injected = undefined;
    if (limited !== undefined) {
      c.header('Retry-After', String(limited));
      advertise(c, limited * 1000);
      return c.json({ errorMessages: ['Rate limit exceeded.'], errors: {} }, 429);
    }
    const query = c.req.query();
    const parsed = parseJql(query.jql ?? '', userTimeZone);
    if (typeof parsed === 'string') return jiraError(c, 400, parsed);
    const asked = query.maxResults === undefined ? 50 : Number(query.maxResults);
    if (!Number.isInteger(asked) || asked < 0)
      return jiraError(c, 400, "The value for 'maxResults' is invalid.");
    const fields = (query.fields ?? '')
      .split(',')
      .filter((name) => name !== '' && name !== 'id' && name !== 'key');
    const pageSize = Math.min(asked, fields.length > 0 ? 100 : 5000);
    const timeOf = (entry: (typeof stored)[number]) =>
      parsed.order.field === 'updated' ? entry.updatedMs : entry.createdMs;
    const matching = stored
      .filter((entry) =>
        parsed.clauses.every((clause) => clause(entry.issue, entry.updatedMs, entry.createdMs)),
      )
      .sort(
        (a, b) =>
          (timeOf(a) - timeOf(b) || Number(a.issue.id) - Number(b.issue.id)) * (parsed.order.asc ? 1 : -1),
      );
    let from = 0;
    if (query.nextPageToken !== undefined) {
      from = Number(
        Buffer.from(query.nextPageToken, 'base64url')
          .toString()
          .replace(/^page:/, ''),
      );
      if (!Number.isInteger(from)) return jiraError(c, 400, 'The nextPageToken is invalid.');
    }
    const page = matching.slice(from, from + pageSize).map(({ issue }) => ({
      ...issue,
      fields:
        fields.length === 0
          ? {}
          : Object.fromEntries(
              Object.entries(issue.fields).filter(
                ([name]) => fields.includes(name) || fields.includes('*all'),
              ),
            ),
    }));
    const isLast = from + page.length >= matching.length;
    return c.json({
      issues: page,
      ...(isLast ? {} : { nextPageToken: Buffer.from(`page:${from + page.length}`).toString('base64url') }),
      isLast,
    });
  });

  const server = await listen(app);
  let sequence = 10000;
  return {
    ...server,
    email,
    apiToken,
    userTimeZone,
    requests,
    quota,
    rateLimitNext(seconds) {
      injected = seconds;
    },
    add(updated, fields = {}) {
      const updatedMs = typeof updated === 'number' ? updated : updated.getTime();
      const createdMs = updatedMs - 3_600_000;
      sequence++;
      const issue: JiraIssue = {
        id: String(sequence),
        key: `SEC-${sequence - 10000}`,
        self: `${server.url}/rest/api/3/issue/${sequence}`,
        fields: {
          summary: `Phishing report #${sequence - 10000}`,
          created: jiraTime(createdMs, userTimeZone),
          updated: jiraTime(updatedMs, userTimeZone),
          priority: { name: PRIORITIES[sequence % PRIORITIES.length]! },
          status: { name: 'To Do' },
          issuetype: { name: 'Security Incident' },
          reporter: { displayName: 'Alice Analyst', emailAddress: 'alice@example.com' },
          ...fields,
        },
      };
      stored.push({ updatedMs, createdMs, issue });
      return issue;
    },
  };
};
