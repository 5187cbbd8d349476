import type { ConnectorContext, TimeWindow } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import type { HttpResponse } from '../../shared/http-client.js';
import { fetchDetails } from './details.js';
import { itemId, itemsOf, itemTime } from './items.js';
import { firstPage, nextPage, originOf, type PageRequest, toHttpRequest, valuesOf } from './page-request.js';
import type { HttpJsonParams } from './params.js';
import { sendRequest } from './send-request.js';

interface Collected {
  readonly item: unknown;
  readonly timeMs: number;
  /** Arrival order, to keep the source's order among items of one time. */
  readonly seq: number;
}

/** Sends one page request, pacing for the rate limit first and noting what the response says about it. */
export const sendPage = (
  ctx: ConnectorContext<HttpJsonParams>,
  page: PageRequest,
): Promise<HttpResponse<unknown>> =>
  sendRequest(ctx, toHttpRequest(ctx, page), { scope: 'main', config: ctx.params.rate_limit });

/**
 * The items of a page: the listed items themselves, or (chained requests) their details, fetched in
 * batches from `details.url`, in the listed order.
 */
export const pageItems = async (
  ctx: ConnectorContext<HttpJsonParams>,
  page: PageRequest,
  listed: unknown[],
): Promise<unknown[]> =>
  ctx.params.details && listed.length > 0
    ? fetchDetails(ctx, listed, { ...valuesOf(ctx, originOf(page)), cursor: undefined })
    : listed;

/**
 * Items per request: the window's limit for an oldest-first source that filters by time (a short answer
 * then means the window is done); the full page size otherwise, since the connector reads and filters
 * the whole window itself.
 */
const pageSizeFor = (params: HttpJsonParams, window: TimeWindow): number =>
  params.order === 'asc' && params.time_filter === 'server'
    ? Math.min(window.limit, params.page_size)
    : params.page_size;

/**
 * The latest instant an item's time may stand for. Many sources write whole seconds
 * (`2026-03-10T12:00:00Z`) but filter on their own finer clock: an item created at 12:00:00.700 is
 * returned for a window that starts at 12:00:00.500 and reads as 12:00:00. Dropping it as "before the
 * window" would lose it for good, so a whole-second time counts as that whole second; the runner's seen
 * ids drop the rare one that was fetched already.
 */
const latestInstant = (timeMs: number): number => (timeMs % 1000 === 0 ? timeMs + 999 : timeMs);

const outOfOrder = (params: HttpJsonParams, previousMs: number, timeMs: number) =>
  new SourceError(
    ErrorCodes.SOURCE_BAD_RESPONSE,
    `The source returned an item of ${new Date(timeMs).toISOString()} after one of ${new Date(previousMs).toISOString()}, ` +
      `but "order" is "${params.order}" (${params.order === 'asc' ? 'oldest' : 'newest'} first). Ask the source to sort by ` +
      `fields.occurred ("${params.fields.occurred}"), or set "order" to match what it returns.`,
  );

/** What `read` returns, or `undefined` when it throws. */
const readable = <T>(read: () => T): T | undefined => {
  try {
    return read();
  } catch {
    return undefined;
  }
};

/**
 * Reads the events of `[window.start, window.end)` for the runner, oldest first, at most `window.limit`:
 * the time-window contract. Follows the source's pagination, drops items outside the window (a source
 * may round the window, or not filter by time at all) and items it already has (pages shift while they
 * are read).
 *
 * - Oldest first (`order: "asc"`): stops once `limit` items are in hand, or at the first item past the
 *   window's end, or when the source has no more pages.
 * - Newest first (`order: "desc"`): the oldest items of the window come last, so every page of the
 *   window is read (until an item older than its start), then sorted. The trade-off: a fetch costs as
 *   many requests as the window has pages, and a window of more than `max_pages` pages fails the fetch
 *   with a message saying so. Prefer `asc` whenever the source can sort.
 */
export const collectWindow = async (
  ctx: ConnectorContext<HttpJsonParams>,
  window: TimeWindow,
): Promise<unknown[]> => {
  const { params } = ctx;
  const startMs = window.start.getTime();
  const endMs = window.end.getTime();
  const asc = params.order === 'asc';
  const kept = new Map<string, Collected>();
  let page: PageRequest | undefined = firstPage(window.start, window.end, pageSizeFor(params, window));
  let requests = 0;
  let seq = 0;
  // Order is checked across pages too: a source that ignores the sort would otherwise lose items silently.
  let previousMs: number | undefined;
  while (page) {
    if (requests >= params.max_pages) {
      throw new SourceError(
        ErrorCodes.SOURCE_BAD_RESPONSE,
        `Read max_pages (${params.max_pages}) pages of ${window.start.toISOString()} – ${window.end.toISOString()} ` +
          `without reaching its ${asc ? 'end' : 'start'}; nothing of this window was committed. Raise max_pages` +
          (asc
            ? '.'
            : ', or let the source return oldest first ("order": "asc") so a window can be read in parts.'),
      );
    }
    const response = await sendPage(ctx, page);
    requests++;
    const listed = itemsOf(params, response);
    const items = await pageItems(ctx, page, listed);
    let lastItemMs: number | undefined;
    let pastWindow = false;
    for (const [index, item] of items.entries()) {
      const timeMs = readable(() => itemTime(params, item, index));
      const id = timeMs === undefined ? undefined : readable(() => itemId(params, item, index));
      if (timeMs === undefined || id === undefined) {
        // One item without a readable time or id is that item's problem, not the page's: it is kept
        // (where the page has got to), toIncident fails on it with the same message, and the runner
        // quarantines it. A wrong fields.* fails every item, and the runner's threshold fails the fetch.
        kept.set(`#unreadable-${seq}`, { item, timeMs: previousMs ?? startMs, seq: seq++ });
        continue;
      }
      if (previousMs !== undefined && (asc ? timeMs < previousMs : timeMs > previousMs)) {
        throw outOfOrder(params, previousMs, timeMs);
      }
      previousMs = timeMs;
      lastItemMs = timeMs;
      const beforeStart = latestInstant(timeMs) < startMs;
      if (asc ? timeMs >= endMs : beforeStart) {
        pastWindow = true;
        break;
      }
      if (beforeStart || timeMs >= endMs) continue;
      if (!kept.has(id)) kept.set(id, { item, timeMs, seq: seq++ });
    }
    ctx.logger.debug('httpjson page', { request: requests, items: listed.length, kept: kept.size });
    if (pastWindow || (asc && kept.size >= window.limit)) break;
    page = nextPage(ctx, page, { response, items: listed, lastItemMs });
  }
  return [...kept.values()]
    .sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq)
    .slice(0, window.limit)
    .map((entry) => entry.item);
};
