import type { ConnectorContext } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import { sleep } from '../../shared/retry.js';
import type { SplunkParams } from './params.js';

/**
 * One search job through splunkd's REST API (REST API Reference, "Search endpoints"):
 * `POST search/jobs` (form-encoded `search`, `earliest_time`, `latest_time`, `output_mode=json`) → 201
 * `{"sid"}`; `GET search/jobs/{sid}` until `isDone` (`dispatchState` QUEUED, PARSING, RUNNING,
 * FINALIZING, then DONE, or FAILED); `GET search/jobs/{sid}/results` by `offset`/`count`; then
 * `DELETE search/jobs/{sid}` so finished jobs do not fill the user's disk quota.
 */

/** One search result: field values are strings, multivalue fields arrays of strings. */
export type SplunkResult = Record<string, string | string[]>;

interface JobStatus {
  entry?: {
    content?: { dispatchState?: string; isDone?: boolean; isFailed?: boolean; messages?: unknown };
  }[];
}

const servicesBase = (params: SplunkParams) => {
  const base = params.url.endsWith('/') ? params.url : `${params.url}/`;
  return new URL(
    params.app ? `servicesNS/nobody/${encodeURIComponent(params.app)}/` : 'services/',
    base,
  ).toString();
};

const authHeader = (ctx: ConnectorContext<SplunkParams>) => ({
  authorization: `${ctx.params.auth_scheme} ${ctx.secrets.token}`,
});

/** The job's messages as text (they say why a search failed). */
const messagesOf = (messages: unknown): string =>
  (Array.isArray(messages) ? messages : [])
    .map((message) => (message as { type?: string; text?: string }) ?? {})
    .map((message) => `${message.type ?? 'INFO'}: ${message.text ?? ''}`)
    .join('; ');

/** A search that begins with a command runs as is; anything else gets `search ` in front, as Splunk Web does. */
export const withSearchCommand = (spl: string): string =>
  /^\s*(search\b|\|)/.test(spl) ? spl.trim() : `search ${spl.trim()}`;

/** Epoch seconds with milliseconds, the form `earliest_time`/`latest_time` take (earliest inclusive, latest exclusive). */
const epochSeconds = (time: Date) => (time.getTime() / 1000).toFixed(3);

/** Creates the job and returns its sid. */
const createJob = async (ctx: ConnectorContext<SplunkParams>, search: string, start: Date, end: Date) => {
  const form = new URLSearchParams({
    search,
    earliest_time: epochSeconds(start),
    latest_time: epochSeconds(end),
    output_mode: 'json',
    exec_mode: 'normal',
  });
  const { body } = await ctx.http.request<{ sid?: string }>({
    url: `${servicesBase(ctx.params)}search/jobs`,
    method: 'POST',
    headers: { ...authHeader(ctx), 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  if (typeof body?.sid !== 'string') {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      'Splunk created a search job but answered without its "sid".',
    );
  }
  return body.sid;
};

const jobUrl = (params: SplunkParams, sid: string) =>
  `${servicesBase(params)}search/jobs/${encodeURIComponent(sid)}`;

/** Polls the job until it is done; fails when it takes longer than `job_timeout_seconds`. */
const awaitJob = async (ctx: ConnectorContext<SplunkParams>, sid: string): Promise<number> => {
  const deadline = Date.now() + ctx.params.job_timeout_seconds * 1000;
  for (let polls = 1; ; polls++) {
    const { body } = await ctx.http.request<JobStatus>({
      url: jobUrl(ctx.params, sid),
      headers: authHeader(ctx),
      query: { output_mode: 'json' },
    });
    const content = body?.entry?.[0]?.content ?? {};
    if (content.isFailed || content.dispatchState === 'FAILED') {
      throw new SourceError(
        ErrorCodes.SOURCE_HTTP,
        `The Splunk search job ${sid} failed (${messagesOf(content.messages) || 'no message'}). Check params.search; the cursor did not move.`,
      );
    }
    if (content.isDone || content.dispatchState === 'DONE') return polls;
    if (Date.now() >= deadline) {
      // runSearch deletes the job, which cancels it if it still runs.
      throw new SourceError(
        ErrorCodes.SOURCE_TIMEOUT,
        `The Splunk search job ${sid} was still ${content.dispatchState ?? 'running'} after ${ctx.params.job_timeout_seconds}s and was cancelled; the next fetch runs it again. Narrow params.search or raise params.job_timeout_seconds.`,
      );
    }
    await sleep(ctx.params.poll_interval_seconds * 1000, ctx.signal);
  }
};

const cancelJob = async (ctx: ConnectorContext<SplunkParams>, sid: string) => {
  try {
    await ctx.http.request({
      url: jobUrl(ctx.params, sid),
      method: 'DELETE',
      headers: authHeader(ctx),
      query: { output_mode: 'json' },
    });
  } catch (error) {
    // The job expires by its TTL anyway; a failed clean-up must not fail the fetch.
    ctx.logger.warn('Could not delete the Splunk search job', { sid, error: (error as Error).message });
  }
};

/** Reads every result of a done job, `page_size` at a time. */
const readResults = async (ctx: ConnectorContext<SplunkParams>, sid: string, limit: number) => {
  const results: SplunkResult[] = [];
  while (results.length < limit) {
    const count = Math.min(ctx.params.page_size, limit - results.length);
    const { body } = await ctx.http.request<{ results?: SplunkResult[] }>({
      url: `${jobUrl(ctx.params, sid)}/results`,
      headers: authHeader(ctx),
      query: { output_mode: 'json', offset: results.length, count },
    });
    const page = body?.results;
    if (!Array.isArray(page)) {
      throw new SourceError(
        ErrorCodes.SOURCE_BAD_RESPONSE,
        `Splunk answered the results of job ${sid} without a "results" array.`,
      );
    }
    results.push(...page);
    if (page.length < count) break;
  }
  return results;
};

/** What one window's search returned, and how much it took. */
export interface SearchOutcome {
  readonly results: SplunkResult[];
  readonly polls: number;
}

/**
 * Runs `search` over `[start, end)`, oldest first, at most `limit` results: the search gets
 * `| sort 0 +_time, +<id_field> | head <limit>` so Splunk does the ordering and the cut.
 */
export const runSearch = async (
  ctx: ConnectorContext<SplunkParams>,
  window: { readonly start: Date; readonly end: Date; readonly limit: number },
): Promise<SearchOutcome> => {
  const search = `${withSearchCommand(ctx.params.search)} | sort 0 +_time, +${ctx.params.id_field} | head ${window.limit}`;
  const sid = await createJob(ctx, search, window.start, window.end);
  try {
    const polls = await awaitJob(ctx, sid);
    return { results: await readResults(ctx, sid, window.limit), polls };
  } finally {
    await cancelJob(ctx, sid);
  }
};
