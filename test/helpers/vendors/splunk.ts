// Over 300 lines: one splunkd, whose job store is shared by the ad-hoc search, the saved-search dispatch,
// the status, results and delete endpoints; split, each part would reach into the others' state.
import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import {
  listen,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * splunkd's search REST API, as the Splunk Enterprise REST API Reference documents it ("Search endpoints":
 * search/jobs, search/jobs/{search_id}, search/jobs/{search_id}/results; "REST API User Manual"):
 * - Auth: `Authorization: Bearer <authentication token>` or `Splunk <session key>`; without a valid one,
 *   401 `{"messages":[{"type":"WARN","text":"call not properly authenticated"}]}`.
 * - Errors are `{"messages":[{"type","text"}]}` (the reference's "common return format"); a search the
 *   parser refuses is 400 with type FATAL ("Error in 'SearchParser': Unknown search command ...").
 * - `POST search/jobs` (also under `servicesNS/{owner}/{app}/`), form-encoded: `search` (must begin with a
 *   command: `search ...` or `| ...`), `earliest_time` (inclusive), `latest_time` (exclusive) as epoch
 *   seconds or ISO-8601, `output_mode`, `exec_mode` → 201 `{"sid"}`. Without `output_mode=json` splunkd
 *   answers Atom XML.
 * - `GET search/jobs/{sid}` → `{"entry":[{"name","content":{"sid","dispatchState","isDone","isFailed",
 *   "doneProgress","resultCount","messages"}}]}`; dispatchState QUEUED, PARSING, RUNNING, FINALIZING, DONE,
 *   or FAILED. An unknown sid: 404 `Unknown sid.`
 * - `GET search/jobs/{sid}/results?offset&count` → `{"preview":false,"init_offset","messages","fields",
 *   "results"}`; count defaults to 100, 0 means all; 204 No Content while the job is not done.
 * - `DELETE search/jobs/{sid}` cancels and removes the job.
 * - `POST saved/searches/{name}/dispatch` starts a job of a saved search (see `dispatch` below), found by
 *   the namespace's visibility rules ("REST API User Manual", "Namespace": `/servicesNS/{user}/{app}/`
 *   sees the app's shared objects and that user's own; `/services/` the user's default app, "search").
 * - Over the search concurrency quota, job creation is refused with 503 "Search not executed: The maximum
 *   number of concurrent historical searches ... has been reached" (limits.conf; Splunk answers no 429).
 * The search language understood here is what a notable-event fetch sends: `search \`notable\``, then
 * optionally `| sort 0 +_time[, +<field>]` and `| head <n>`.
 */

export interface NotableEvent {
  _time: string;
  event_id: string;
  rule_name: string;
  rule_title: string;
  rule_description: string;
  search_name: string;
  security_domain: string;
  urgency: 'informational' | 'low' | 'medium' | 'high' | 'critical';
  status_label: string;
  owner: string;
  src: string;
  dest: string;
  user: string;
  _raw: string;
}

interface Job {
  sid: string;
  results: NotableEvent[];
  polls: number;
  pollsToFinish: number;
  fail?: string;
}

/** A saved search (savedsearches.conf stanza) as far as dispatch reads it. */
export interface SavedSearch {
  readonly name: string;
  readonly search: string;
  /** The app it lives in, and who may see it: only its owner, the app's users, or every app's. */
  readonly app: string;
  readonly owner: string;
  readonly sharing: 'user' | 'app' | 'global';
  /** Its own `dispatch.earliest_time` (a dispatch's argument overrides it). */
  readonly earliest?: string;
  /** Its own `dispatch.max_count`. @default 500 (savedsearches.conf) */
  readonly maxCount: number;
}

/** The arguments of `saved/searches/{name}/dispatch` besides the `dispatch.*` and `args.*` wildcards. */
const DISPATCH_ARGUMENTS = ['trigger_actions', 'force_dispatch', 'now', 'output_mode'];

export interface SplunkServer extends RunningServer, VendorControls {
  readonly token: string;
  /** Adds a notable event at `time` (epoch ms or Date). */
  add(time: number | Date, fields?: Partial<NotableEvent>): NotableEvent;
  /** Status polls a job takes to be done. @default 2 */
  pollsToFinish: number;
  /** The next job fails with this message once polled. */
  failNextJob(text: string): void;
  /** The form of every job creation request, in order. */
  readonly bodies: Record<string, string>[];
  /** Jobs still stored (deleted ones are gone). */
  readonly jobs: ReadonlyMap<string, unknown>;
  /** Saves a search (ES correlation searches live in their app, shared with it). */
  addSavedSearch(saved: Pick<SavedSearch, 'name' | 'search' | 'app'> & Partial<SavedSearch>): SavedSearch;
  /** Dispatches that asked for the saved search's alert actions (`trigger_actions=1`). */
  actionsTriggered: number;
}

const STATES = ['QUEUED', 'PARSING', 'RUNNING', 'FINALIZING'];
const rules = [
  ['Access - Excessive Failed Logins - Rule', 'Excessive Failed Logins', 'access', 'high'],
  ['Network - Unroutable Host Activity - Rule', 'Unroutable Host Activity', 'network', 'medium'],
  ['Endpoint - Malware Detected - Rule', 'Malware Detected', 'endpoint', 'critical'],
] as const;

const messages = (c: Context, status: 400 | 401 | 404 | 503, type: string, text: string) =>
  c.json({ messages: [{ type, text }] }, status);

/** Splunk's `_time` in JSON output: ISO-8601 with milliseconds and the user's offset (UTC here). */
const splunkTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

const parseTime = (value: string | undefined): number | undefined => {
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? Number.NaN : ms;
};

/** A job's time bounds (epoch seconds or ISO-8601), or what splunkd answers when one is not a time. */
const timeBounds = (
  earliestText: string | undefined,
  latestText: string | undefined,
): { earliest?: number; latest?: number } | string => {
  const earliest = parseTime(earliestText);
  const latest = parseTime(latestText);
  if (Number.isNaN(earliest) || Number.isNaN(latest))
    return `Invalid ${Number.isNaN(earliest) ? 'earliest_time' : 'latest_time'}.`;
  return { earliest, latest };
};

/** Starts a splunkd search API on 127.0.0.1. */
export const startSplunk = async (options: { token?: string } = {}): Promise<SplunkServer> => {
  const token = options.token ?? `eyJraWQiOiJzcGx1bmsuc2VjcmV0Ii${randomUUID().replaceAll('-', '')}`;
  const requests: RecordedRequest[] = [];
  const quota = new Quota(1_000, 60_000);
  const events: { ms: number; event: NotableEvent }[] = [];
  const jobs = new Map<string, Job>();
  const bodies: Record<string, string>[] = [];
  const savedSearches: SavedSearch[] = [];
  let refuseNext = 0;
  let failNext: string | undefined;
  let sequence = 0;

  const app = new Hono();
  app.use(recordRequests(requests));
  app.use(async (c, next) => {
    const auth = c.req.header('authorization');
    if (auth !== `Bearer ${token}` && auth !== `Splunk ${token}`) {
      return messages(c, 401, 'WARN', 'call not properly authenticated');
    }
    await next();
  });

  /** Runs the SPL the stand-in understands over `[earliest, latest)`; a string is the parser's refusal. */
  const evaluate = (
    search: string,
    earliest: number | undefined,
    latest: number | undefined,
  ): NotableEvent[] | string => {
    // A leading "|" starts with a generating command instead of `search`.
    const [command, ...pipes] = search
      .replace(/^\|\s*/, '')
      .split('|')
      .map((part) => part.trim());
    if (search.startsWith('|') || !command!.startsWith('search ')) {
      const name = command!.split(/\s+/)[0];
      return `Error in 'SearchParser': Unknown search command '${name}'.`;
    }
    if (command !== 'search `notable`') {
      return `Error in 'search' command: the local splunkd only knows the notable macro, not "${command}".`;
    }
    let results = events
      .filter(({ ms }) => (earliest === undefined || ms >= earliest) && (latest === undefined || ms < latest))
      // An event search returns newest first.
      .sort((a, b) => b.ms - a.ms)
      .map(({ event }) => event);
    for (const pipe of pipes) {
      const sort = /^sort 0 \+_time(?:, \+(\w+))?$/.exec(pipe);
      const head = /^head (\d+)$/.exec(pipe);
      if (sort) {
        const tie = sort[1] as keyof NotableEvent | undefined;
        results = [...results].sort(
          (a, b) =>
            Date.parse(a._time) - Date.parse(b._time) ||
            (tie ? (a[tie] < b[tie] ? -1 : a[tie] > b[tie] ? 1 : 0) : 0),
        );
      } else if (head) results = results.slice(0, Number(head[1]));
      else return `Error in 'SearchParser': Unknown search command '${pipe.split(/\s+/)[0]}'.`;
    }
    return results;
  };

  const concurrencyRefusal = (c: Context) =>
    messages(
      c,
      503,
      'ERROR',
      'Search not executed: The maximum number of concurrent historical searches on this instance has been reached., concurrency_category="historical", concurrency_context="user_instance-wide", current_concurrency=6, concurrency_limit=6',
    );

  const createJob = async (c: Context) => {
    if (refuseNext > 0 || !quota.take()) {
      refuseNext = Math.max(0, refuseNext - 1);
      return concurrencyRefusal(c);
    }
    const type = c.req.header('content-type') ?? '';
    const form = type.startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(await c.req.text())
      : new URLSearchParams();
    bodies.push(Object.fromEntries(form));
    const search = form.get('search')?.trim() ?? '';
    if (search === '') return messages(c, 400, 'ERROR', 'Empty search.');
    const bounds = timeBounds(form.get('earliest_time') ?? undefined, form.get('latest_time') ?? undefined);
    if (typeof bounds === 'string') return messages(c, 400, 'ERROR', bounds);
    const results = evaluate(search, bounds.earliest, bounds.latest);
    if (typeof results === 'string') return messages(c, 400, 'FATAL', results);
    const sid = `${Math.floor(Date.now() / 1000)}.${++sequence}`;
    return startJob(c, sid, results, form);
  };

  /** Stores a job and answers its sid: JSON with output_mode=json, else the Atom/XML `<response><sid>`. */
  const startJob = (c: Context, sid: string, results: NotableEvent[], form: URLSearchParams) => {
    jobs.set(sid, {
      sid,
      results,
      polls: 0,
      pollsToFinish: server.pollsToFinish,
      ...(failNext ? { fail: failNext } : {}),
    });
    failNext = undefined;
    if (c.req.query('output_mode') !== 'json' && form.get('output_mode') !== 'json') {
      return c.body(`<?xml version="1.0" encoding="UTF-8"?>\n<response><sid>${sid}</sid></response>`, 201, {
        'content-type': 'text/xml',
      });
    }
    return c.json({ sid }, 201);
  };

  /**
   * `POST saved/searches/{name}/dispatch` (REST API Reference, "Search endpoints"): runs the saved
   * search as the scheduler would, its `dispatch.*` arguments overriding the saved ones for this job
   * (`dispatch.earliest_time`, `dispatch.latest_time`, `dispatch.max_count`, ...); also `args.*`,
   * `trigger_actions`, `force_dispatch`, `now`. Any other argument: 400 `Argument "x" is not supported
   * by this handler.` (splunkd's EAI handlers refuse what they do not declare). A name not visible in
   * the namespace: 404 `Could not find object id=<name>`. Answers 201 `{"sid"}`.
   */
  const dispatch = async (c: Context) => {
    const form = new URLSearchParams(await c.req.text());
    bodies.push(Object.fromEntries(form));
    for (const name of form.keys()) {
      if (!/^(dispatch\.|args\.)/.test(name) && !DISPATCH_ARGUMENTS.includes(name)) {
        return messages(c, 400, 'ERROR', `Argument "${name}" is not supported by this handler.`);
      }
    }
    const name = c.req.param('name') ?? '';
    const saved = savedSearches.find((entry) => entry.name === name && visibleIn(entry, c));
    if (!saved) return messages(c, 404, 'ERROR', `Could not find object id=${name}`);
    if (refuseNext > 0 || !quota.take()) {
      refuseNext = Math.max(0, refuseNext - 1);
      return concurrencyRefusal(c);
    }
    const bounds = timeBounds(
      form.get('dispatch.earliest_time') ?? saved.earliest,
      form.get('dispatch.latest_time') ?? undefined,
    );
    if (typeof bounds === 'string') return messages(c, 400, 'ERROR', bounds);
    const results = evaluate(saved.search, bounds.earliest, bounds.latest);
    if (typeof results === 'string') return messages(c, 400, 'FATAL', results);
    if (form.get('trigger_actions') === '1' || form.get('trigger_actions') === 'true')
      server.actionsTriggered++;
    // savedsearches.conf: dispatch.max_count defaults to 500; the job stops (finalizes) there.
    const maxCount = Number(form.get('dispatch.max_count') ?? saved.maxCount);
    const owner = c.req.param('owner') ?? 'admin';
    const sid = `${owner}__${owner}__${saved.app}__RMD5${randomUUID().replaceAll('-', '').slice(0, 16)}_at_${Math.floor(Date.now() / 1000)}_${++sequence}`;
    return startJob(c, sid, results.slice(0, maxCount), form);
  };

  /** Knowledge-object visibility: global everywhere, app-shared in its app, private to its owner in its app. */
  const visibleIn = (saved: SavedSearch, c: Context) => {
    if (saved.sharing === 'global') return true;
    const app = c.req.param('app') ?? 'search';
    const owner = c.req.param('owner') ?? 'admin';
    if (saved.app !== app) return false;
    return saved.sharing === 'app' || saved.owner === owner;
  };

  const status = (c: Context) => {
    const job = jobs.get(c.req.param('sid') ?? '');
    if (!job) return messages(c, 404, 'ERROR', 'Unknown sid.');
    job.polls++;
    const done = job.polls >= job.pollsToFinish;
    const failed = done && job.fail !== undefined;
    const dispatchState = failed ? 'FAILED' : done ? 'DONE' : STATES[Math.min(job.polls, STATES.length - 1)];
    return c.json({
      entry: [
        {
          name: job.sid,
          content: {
            sid: job.sid,
            dispatchState,
            isDone: done,
            isFailed: failed,
            isFinalized: false,
            doneProgress: done ? 1 : job.polls / job.pollsToFinish,
            resultCount: done ? job.results.length : 0,
            messages: failed ? [{ type: 'FATAL', text: job.fail }] : [],
          },
        },
      ],
    });
  };

  const results = (c: Context) => {
    const job = jobs.get(c.req.param('sid') ?? '');
    if (!job) return messages(c, 404, 'ERROR', 'Unknown sid.');
    if (job.polls < job.pollsToFinish || job.fail) return c.body(null, 204);
    const offset = Number(c.req.query('offset') ?? 0);
    const count = Number(c.req.query('count') ?? 100);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(count) || count < 0) {
      return messages(c, 400, 'ERROR', 'Invalid offset or count.');
    }
    const page = job.results.slice(offset, count === 0 ? undefined : offset + count);
    return c.json({
      preview: false,
      init_offset: offset,
      messages: [],
      fields: [{ name: '_time' }, { name: 'event_id' }, { name: 'rule_name' }, { name: 'urgency' }],
      results: page,
    });
  };

  const remove = (c: Context) => {
    if (!jobs.delete(c.req.param('sid') ?? '')) return messages(c, 404, 'ERROR', 'Unknown sid.');
    return c.json({ messages: [{ type: 'INFO', text: 'Search job cancelled.' }] });
  };

  for (const prefix of ['/services', '/servicesNS/:owner/:app']) {
    app.post(`${prefix}/search/jobs`, createJob);
    app.post(`${prefix}/saved/searches/:name/dispatch`, dispatch);
    app.get(`${prefix}/search/jobs/:sid`, status);
    app.get(`${prefix}/search/jobs/:sid/results`, results);
    app.delete(`${prefix}/search/jobs/:sid`, remove);
  }
  app.notFound((c) => messages(c, 404, 'ERROR', 'Not Found'));

  const running = await listen(app);
  const server: SplunkServer = {
    ...running,
    token,
    requests,
    quota,
    pollsToFinish: 2,
    jobs,
    bodies,
    actionsTriggered: 0,
    addSavedSearch(saved) {
      const stored: SavedSearch = { owner: 'admin', sharing: 'app', maxCount: 500, ...saved };
      savedSearches.push(stored);
      return stored;
    },
    rateLimitNext() {
      refuseNext = 1;
    },
    failNextJob(text) {
      failNext = text;
    },
    add(time, fields = {}) {
      const ms = typeof time === 'number' ? time : time.getTime();
      const [search_name, rule_name, security_domain, urgency] = rules[events.length % rules.length]!;
      const event: NotableEvent = {
        _time: splunkTime(ms),
        event_id: `${randomUUID().toUpperCase()}@@notable@@${randomUUID().replaceAll('-', '')}`,
        rule_name,
        rule_title: `${rule_name} for admin`,
        rule_description: `${rule_name} was detected by correlation search ${search_name}.`,
        search_name,
        security_domain,
        urgency,
        status_label: 'New',
        owner: 'unassigned',
        src: '10.1.2.3',
        dest: 'web-1',
        user: 'admin',
        _raw: `${Math.floor(ms / 1000)}, search_name="${search_name}"`,
        ...fields,
      };
      events.push({ ms, event });
      return event;
    },
  };
  return server;
};
