import { defineConnector, type WindowConnector } from '../../shared/connector.js';
import { authHeaders } from './auth.js';
import { collectWindow, pageItems, sendPage } from './collect-window.js';
import { itemId, itemsOf, itemTime } from './items.js';
import { firstPage } from './page-request.js';
import { type HttpJsonParams, httpJsonParams, MAX_WINDOW_PAGE } from './params.js';
import { itemToIncident } from './to-incident.js';

/**
 * The generic HTTP JSON connector: a time-window connector configured entirely by its parameters (the
 * endpoint, auth, the window's templates, where the items and their fields are, pagination and the
 * rate-limit headers), like Elastic's httpjson input or Sentinel's codeless connectors. The runner owns
 * the window, look-back, dedupe and cursor; this only reads `[start, end)` and maps items.
 * `examples/httpjson/` configures it for PagerDuty, Okta and GitHub.
 */
export const httpjson = defineConnector<HttpJsonParams, unknown, WindowConnector<HttpJsonParams, unknown>>({
  name: 'httpjson',
  style: 'window',
  params: httpJsonParams,
  // Which secrets are needed depends on params.auth: checked at the first request, naming the missing one.
  secrets: [],
  // What one fetchWindow call may return; it follows the source's pagination to get there, so a
  // source's own (smaller) page size is the `page_size` parameter.
  maxPageSize: MAX_WINDOW_PAGE,

  async fetchWindow(ctx, window) {
    return { events: await collectWindow(ctx, window) };
  },

  toIncident: (item, ctx) => itemToIncident(ctx.params, item),

  async test(ctx) {
    // XSOAR's test-module: one request for the last hour proves the URL, the credentials and that the
    // response has the configured shape; the first item, if any, must map to a valid incident.
    // Missing secrets fail first, naming the secret; an OAuth2 instance proves its client credentials here.
    await authHeaders(ctx);
    const end = ctx.now;
    const start = new Date(end.getTime() - 3_600_000);
    const page = firstPage(start, end, Math.min(ctx.params.page_size, 10));
    const response = await sendPage(ctx, page);
    // Chained requests: the details of what was listed, so the details endpoint is proven too.
    const items = await pageItems(ctx, page, itemsOf(ctx.params, response));
    if (items.length > 0) {
      itemTime(ctx.params, items[0], 0);
      itemId(ctx.params, items[0], 0);
      itemToIncident(ctx.params, items[0]);
    }
  },
});
