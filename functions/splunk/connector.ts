import { defineConnector, type WindowConnector } from '../../shared/connector.js';
import { type SplunkParams, splunkParams } from './params.js';
import { runSearch, type SplunkResult } from './search-job.js';
import { resultTimeMs, resultToIncident } from './to-incident.js';

/**
 * The Splunk connector: a time-window connector that runs the instance's search (ad-hoc SPL, or a saved
 * search dispatched) as a search job over each window (earliest/latest time bound to it, look-back
 * included), polls the job until it is done and pages through its results. Code rather than httpjson: a job is created, awaited, read and
 * deleted — four calls in sequence, not one request.
 */
export const splunk = defineConnector<
  SplunkParams,
  SplunkResult,
  WindowConnector<SplunkParams, SplunkResult>
>({
  name: 'splunk',
  style: 'window',
  params: splunkParams,
  secrets: ['token'],
  // `| head` cuts the job itself; a window of more is read by the runner in further windows.
  maxPageSize: 10_000,

  async fetchWindow(ctx, window) {
    const { results } = await runSearch(ctx, window);
    // A result without a parseable _time cannot be placed in a window: it would be fetched forever.
    const events = results.filter((result) => !Number.isNaN(resultTimeMs(result)));
    if (events.length < results.length) {
      ctx.health(
        `${results.length - events.length} result(s) had no _time and were skipped; keep _time in the search's results.`,
        {
          isError: true,
        },
      );
    }
    return { events };
  },

  toIncident: (result, ctx) => resultToIncident(result, ctx.params),

  async test(ctx) {
    // One job over the last minute proves the URL, the token, the search (a saved search: that it exists
    // in the namespace) and the job lifecycle.
    await runSearch(ctx, { start: new Date(ctx.now.getTime() - 60_000), end: ctx.now, limit: 1 });
  },
});
