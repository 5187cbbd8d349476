import type { ConnectorContext } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import { sleep } from '../../shared/retry.js';
import type { SplunkParams } from './params.js';
import { authHeader, createSearchJob, dispatchSavedSearch, servicesBase } from './start-job.js';

/**
 * One search job through splunkd's REST API (REST API Reference, "Search endpoints"): started by
 * `POST search/jobs` (an ad-hoc search) or `POST saved/searches/{name}/dispatch` (start-job.ts) → 201
 * `{"sid"}`; `GET search/jobs/{sid}` until `isDone` (`dispatchState` QUEUED, PARSING, RUNNING,
 * FINALIZING, then DONE, or FAILED); `GET search/jobs/{sid}/results` by `offset`/`count`; then
 * `DELETE search/jobs/{sid}` so finished jobs do not fill the user's disk quota.
 */

/** One search result: field values are strings, multivalue fields arrays of strings. */
export type SplunkResult = Record<string, string | string[]>;

interface JobStatus {
  entry?: {
    content?: {
      dispatchState?: string;
      isDone?: boolean;
      isFailed?: boolean;
      resultCount?: number;
      messages?: unknown;
    };
  }[];
}

/** The job's messages as text (they say why a search failed). */
const messagesOf = (messages: unknown): string =>
  (Array.isArray(messages) ? messages : [])
    .map((message) => (message as { type?: string; text?: string }) ?? {})
    .map((message) => `${message.type ?? 'INFO'}: ${message.text ?? ''}`)
    .join('; ');

/** A search that begins with a command runs as is; anything else gets `search ` in front, as Splunk Web does. */
export const withSearchCommand = (spl: string): string =>
  /^\s*(search\b|\|)/.test(spl) ? spl.trim() : `search ${spl.trim()}`;

const jobUrl = (params: SplunkParams, sid: string) =>
  `${servicesBase(params)}search/jobs/${encodeURIComponent(sid)}`;

/** Polls the job until it is done; fails when it takes longer than `job_timeout_seconds`. */
const awaitJob = async (
  ctx: ConnectorContext<SplunkParams>,
  sid: string,
): Promise<{ polls: number; resultCount: number }> => {
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
        `The Splunk search job ${sid} failed (${messagesOf(content.messages) || 'no message'}). Check ${ctx.params.saved_search === undefined ? 'params.search' : `the saved search "${ctx.params.saved_search}"`}; the cursor did not move.`,
      );
    }
    if (content.isDone || content.dispatchState === 'DONE') {
      return { polls, resultCount: Number(content.resultCount ?? 0) };
    }
    if (Date.now() >= deadline) {
      // runSearch deletes the job, which cancels it if it still runs.
      throw new SourceError(
        ErrorCodes.SOURCE_TIMEOUT,
        `The Splunk search job ${sid} was still ${content.dispatchState ?? 'running'} after ${ctx.params.job_timeout_seconds}s and was cancelled; the next fetch runs it again. Narrow the search or raise params.job_timeout_seconds.`,
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

/** The results oldest first (ties by the id field), as the ad-hoc search's `| sort` returns them. */
const oldestFirst = (results: SplunkResult[], idField: string): SplunkResult[] => {
  const time = (result: SplunkResult) => Date.parse(String(result._time ?? ''));
  const id = (result: SplunkResult) => String(result[idField] ?? '');
  return results
    .map((result, index) => ({ result, index }))
    .sort(
      (a, b) =>
        (time(a.result) || 0) - (time(b.result) || 0) ||
        (id(a.result) < id(b.result) ? -1 : id(a.result) > id(b.result) ? 1 : a.index - b.index),
    )
    .map(({ result }) => result);
};

/**
 * Runs the instance's search over `[start, end)` and returns at most `limit` results, oldest first.
 * An ad-hoc search gets `| sort 0 +_time, +<id_field> | head <limit>`, so Splunk does the ordering and
 * the cut. A saved search runs as saved: its results are read whole (at most `max_results`), then
 * ordered and cut here; a job that stopped at `max_results` may have left events of the window out,
 * so the fetch fails rather than moving past them.
 */
export const runSearch = async (
  ctx: ConnectorContext<SplunkParams>,
  window: { readonly start: Date; readonly end: Date; readonly limit: number },
): Promise<SearchOutcome> => {
  const { params } = ctx;
  const sid =
    params.saved_search === undefined
      ? await createSearchJob(
          ctx,
          `${withSearchCommand(params.search!)} | sort 0 +_time, +${params.id_field} | head ${window.limit}`,
          window,
        )
      : await dispatchSavedSearch(ctx, window);
  try {
    const { polls, resultCount } = await awaitJob(ctx, sid);
    if (params.saved_search === undefined) {
      return { results: await readResults(ctx, sid, window.limit), polls };
    }
    if (resultCount >= params.max_results) {
      throw new SourceError(
        ErrorCodes.SOURCE_BAD_RESPONSE,
        `The saved search "${params.saved_search}" stopped at params.max_results (${params.max_results}) results for ` +
          `${window.start.toISOString()} – ${window.end.toISOString()}, so events of this window may be missing; nothing was committed. ` +
          'Raise params.max_results, or narrow the saved search.',
      );
    }
    const results = await readResults(ctx, sid, params.max_results);
    return { results: oldestFirst(results, params.id_field).slice(0, window.limit), polls };
  } finally {
    await cancelJob(ctx, sid);
  }
};
