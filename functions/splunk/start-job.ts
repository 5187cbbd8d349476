import type { ConnectorContext } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import type { SplunkParams } from './params.js';

/**
 * How a window's search job starts (Splunk REST API Reference, "Search endpoints"):
 * - an ad-hoc search: `POST search/jobs`, form-encoded `search`, `earliest_time`, `latest_time`;
 * - a saved search: `POST saved/searches/{name}/dispatch`, form-encoded `dispatch.earliest_time`,
 *   `dispatch.latest_time` (the `dispatch.*` arguments override the saved search's own for this job),
 *   `trigger_actions=0` (a fetch must not send the search's alert e-mails or webhooks again) and
 *   `force_dispatch=1` (a job of its own even while the scheduler runs the same search).
 * Both answer 201 `{"sid"}` with `output_mode=json`, under `/services/` or an app's
 * `/servicesNS/{owner}/{app}/`. The job is then polled and read the same way (search-job.ts).
 */

/** The namespace requests go to: the app's (`owner` defaults to "nobody": what the app shares), else the user's. */
export const servicesBase = (params: SplunkParams): string => {
  const base = params.url.endsWith('/') ? params.url : `${params.url}/`;
  const namespace = params.app
    ? `servicesNS/${encodeURIComponent(params.owner ?? 'nobody')}/${encodeURIComponent(params.app)}/`
    : 'services/';
  return new URL(namespace, base).toString();
};

export const authHeader = (ctx: ConnectorContext<SplunkParams>) => ({
  authorization: `${ctx.params.auth_scheme} ${ctx.secrets.token}`,
});

/** Epoch seconds with milliseconds, the form the time bounds take (earliest inclusive, latest exclusive). */
const epochSeconds = (time: Date) => (time.getTime() / 1000).toFixed(3);

const postForm = async (ctx: ConnectorContext<SplunkParams>, url: string, form: Record<string, string>) => {
  const { body } = await ctx.http.request<{ sid?: string }>({
    url,
    method: 'POST',
    query: { output_mode: 'json' },
    headers: { ...authHeader(ctx), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  if (typeof body?.sid !== 'string') {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      'Splunk created a search job but answered without its "sid".',
    );
  }
  return body.sid;
};

/** Creates a job of the ad-hoc `search` over `[start, end)`; returns its sid. */
export const createSearchJob = (
  ctx: ConnectorContext<SplunkParams>,
  search: string,
  window: { readonly start: Date; readonly end: Date },
): Promise<string> =>
  postForm(ctx, `${servicesBase(ctx.params)}search/jobs`, {
    search,
    earliest_time: epochSeconds(window.start),
    latest_time: epochSeconds(window.end),
    output_mode: 'json',
    exec_mode: 'normal',
  });

const isNotFound = (error: unknown) => error instanceof SourceError && error.details.status === 404;

/** Dispatches the saved search `params.saved_search` over `[start, end)`; returns the job's sid. */
export const dispatchSavedSearch = async (
  ctx: ConnectorContext<SplunkParams>,
  window: { readonly start: Date; readonly end: Date },
): Promise<string> => {
  const name = ctx.params.saved_search!;
  const base = servicesBase(ctx.params);
  try {
    return await postForm(ctx, `${base}saved/searches/${encodeURIComponent(name)}/dispatch`, {
      'dispatch.earliest_time': epochSeconds(window.start),
      'dispatch.latest_time': epochSeconds(window.end),
      'dispatch.max_count': String(ctx.params.max_results),
      trigger_actions: '0',
      force_dispatch: '1',
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new SourceError(
      ErrorCodes.SOURCE_HTTP,
      `Splunk has no saved search "${name}" in ${new URL(base).pathname} (404). Check params.saved_search, and ` +
        "params.app and params.owner: a saved search shared in an app is found only in that app's namespace. " +
        (error as Error).message,
      { status: 404 },
      { cause: error },
    );
  }
};
