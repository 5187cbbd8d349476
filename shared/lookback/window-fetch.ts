import type { ConnectorContext, FetchResult, LastRun, WindowConnector } from '../connector.js';
import { StateCorruptError } from '../errors.js';
import type { Incident } from '../incident.js';
import { mapEventSafely } from '../quarantine/unmappable-event.js';
import { SeenIds } from './seen-ids.js';

/** The last run of a time-window connector. */
export interface WindowLastRun {
  /** Everything that occurred before this instant (and outside the look-back) was fetched. */
  time?: string;
  /**
   * Everything that occurred before this instant was fetched, late-indexed events included: it was read
   * at least `look_back` after it happened (see {@link nextSettled}). The next invocation looks back to
   * here, not further. Absent in last runs written before it existed: `time - look_back` stands in.
   */
  settled?: string;
  /** Ids pushed inside the look-back window: see `seen-ids.ts`. */
  seen?: Record<string, string>;
}

/** Hard cap on remembered ids: keeps the state item near 100 KB, far below DynamoDB's 400 KB. */
export const MAX_SEEN_IDS = 12_000;
/** Pages one fetch may read while skipping past already-seen events. */
export const MAX_PAGES_PER_FETCH = 20;

export interface WindowFetchOptions {
  /** Read no further than this instant (a replay's end); the cursor stops there. @default now - lag */
  readonly until?: Date;
  /**
   * A later page of the same drain: it continues at the cursor, without looking back. The invocation's
   * first page looked back already, and the next invocation looks back to `settled` again, which these
   * pages never move past what they did not re-read. @default false
   */
  readonly continuing?: boolean;
}

interface Candidate {
  incident: Incident;
  key: string;
  timeMs: number;
}

const occurredMs = (incident: Incident, fallback: number): number => {
  // Only a string is a time; anything else (an object from a hostile event) is left to validation.
  const time = typeof incident.occurred === 'string' ? Date.parse(incident.occurred) : Number.NaN;
  return Number.isNaN(time) ? fallback : time;
};

/**
 * Where a query starts. XSOAR pulls back from *now* (`min(time, now - look_back)`), so an event indexed
 * late is caught only if a fetch happens to run within `look_back` of its creation; a slow run, a pause
 * or an outage loses it. Ferry pulls back to the *settled* point: the instant before which every event
 * was read at least `look_back` after it happened, so nothing indexed at most `look_back` late can still
 * appear there. In steady state that is the last read's time minus `look_back` (as XSOAR, but from the
 * read, not from now, so a gap between fetches loses nothing); while catching up a backlog it is the
 * cursor itself (those events are long indexed), so a drain never re-reads what it just read.
 * It is never past the cursor, and never further back than `look_back` plus the span of one drain's
 * later pages (which continue at the cursor and leave the settled point where it was).
 */
export const windowStart = (cursorMs: number, lookBackMs: number, settledMs?: number): number =>
  settledMs === undefined ? cursorMs - lookBackMs : Math.min(cursorMs, settledMs);

/**
 * The settled point after a read made at `readAtMs` that covered everything from the previous settled
 * point up to `cursorMs`: events before `readAtMs - look_back` were visible at the read (they were
 * indexed at most `look_back` late), so none can appear there later. A read that started past the
 * previous settled point (a continuing page) leaves it where it was: it did not re-read what lies before.
 */
export const nextSettled = (input: {
  readonly startMs: number;
  readonly previousMs: number;
  readonly cursorMs: number;
  readonly readAtMs: number;
  readonly lookBackMs: number;
}): number => {
  if (input.startMs > input.previousMs) return input.previousMs;
  return Math.max(input.previousMs, Math.min(input.cursorMs, input.readAtMs - input.lookBackMs));
};

/**
 * The runner's fetch for a time-window connector: owns the window, the look-back, dedupe and the
 * next cursor, fixing what XSOAR's generic look-back gets wrong:
 * - the look-back reaches back to the settled point, not from now, and once per invocation: a drain's
 *   later pages continue at the cursor (see {@link windowStart});
 * - the page limit grows with the seen ids the window will return again (no starvation);
 * - a full page continues from its last timestamp, inclusive (no loss on one shared timestamp);
 * - the cursor never passes `now - lag` (no skip after events stamped in the future);
 * - an empty window still moves the cursor to its end (no endless empty slices);
 * - seen ids expire by event time, not by the wall clock.
 */
export const windowFetch = async <P, E>(
  connector: WindowConnector<P, E>,
  ctx: ConnectorContext<P>,
  options: WindowFetchOptions = {},
): Promise<FetchResult> => {
  const last = ctx.lastRun as WindowLastRun;
  const nowMs = ctx.now.getTime();
  const endMs = Math.min(nowMs - ctx.lagMs, options.until?.getTime() ?? Number.POSITIVE_INFINITY);
  const parsedCursor = last.time ? Date.parse(last.time) : Number.NaN;
  if (last.time !== undefined && (typeof last.time !== 'string' || Number.isNaN(parsedCursor))) {
    // Falling back to first_fetch here would silently start the instance over.
    throw new StateCorruptError(
      `The last run of instance "${ctx.instanceId}" has a cursor "time" that is not an ISO-8601 date (found ${JSON.stringify(last.time)}); ` +
        `the fetch was not run. Repair it with "ferry last-run ${ctx.instanceId} --set '{"time":"<ISO date>"}'" ` +
        `or start over with "ferry last-run ${ctx.instanceId} --reset" (re-fetches from first_fetch).`,
    );
  }
  const cursorMs = Number.isNaN(parsedCursor) ? ctx.firstFetch.getTime() : parsedCursor;
  const seen = SeenIds.parse(last.seen);
  const settledMs = Number.isNaN(parsedCursor)
    ? cursorMs
    : parseSettled(last.settled, cursorMs, ctx.lookBackMs);
  // The first fetch starts exactly at first_fetch; later ones look back to the settled point, except
  // the later pages of one drain, which continue at the cursor.
  const startMs = options.continuing ? cursorMs : windowStart(cursorMs, ctx.lookBackMs, settledMs);
  if (startMs >= endMs) return { incidents: [], nextRun: ctx.lastRun, hasMore: false, pages: 0 };

  const kept: Candidate[] = [];
  let dropped = 0;
  let pages = 0;
  let pageStart = startMs;
  // Where everything before has been read: the candidate for the next cursor.
  let readUpTo = startMs;
  let hasMore = false;
  let notice: string | undefined;

  // Raised when a full page made no progress in time (repeated rows, ties beyond the seen ids).
  let minimumLimit = 0;
  while (true) {
    const wanted = ctx.maxFetch - kept.length + seen.countFrom(pageStart);
    const limit = Math.min(connector.maxPageSize, Math.max(wanted, minimumLimit));
    const page = await connector.fetchWindow(ctx, {
      start: new Date(pageStart),
      end: new Date(endMs),
      limit,
    });
    pages++;
    const candidates = page.events
      .map((event) => {
        // A mapping that throws on one event quarantines that event, never the page (see the runner).
        const { incident, key } = mapEventSafely(event, (one) => connector.toIncident(one, ctx));
        return { incident, key, timeMs: occurredMs(incident, pageStart) };
      })
      .sort((a, b) => a.timeMs - b.timeMs);
    let full = false;
    for (const candidate of candidates) {
      if (seen.has(candidate.key, candidate.timeMs)) {
        dropped++;
        continue;
      }
      if (kept.length >= ctx.maxFetch) {
        full = true;
        break;
      }
      kept.push(candidate);
      seen.add(candidate.key, candidate.timeMs);
    }
    const last = candidates.at(-1);
    if (full) {
      // Events at the last kept timestamp may remain: resume there, inclusive; seen ids skip the rest.
      readUpTo = Math.max(readUpTo, kept.at(-1)!.timeMs);
      hasMore = true;
      break;
    }
    if (page.events.length < limit || !last) {
      readUpTo = endMs; // The source returned all of [pageStart, end).
      break;
    }
    // A full page: everything before its last timestamp was read; more may wait from there on.
    if (last.timeMs <= pageStart && limit >= connector.maxPageSize) {
      notice =
        `More than ${connector.maxPageSize} events share the timestamp ${new Date(pageStart).toISOString()}, the most ` +
        'one request to this source returns; the rest of that instant cannot be fetched and was skipped.';
      ctx.health(notice, { isError: true });
      readUpTo = pageStart + 1;
      hasMore = true;
      break;
    }
    minimumLimit = last.timeMs <= pageStart ? limit * 2 : 0;
    readUpTo = Math.max(readUpTo, last.timeMs);
    pageStart = Math.max(pageStart, last.timeMs);
    // A page cut by the source's largest page that already holds half a fetch: the rest waits for the
    // next fetch (at once, when draining) rather than costing a request for the few ids still wanted.
    const cappedBySource = limit >= connector.maxPageSize && wanted > limit;
    if (
      kept.length >= ctx.maxFetch ||
      pages >= MAX_PAGES_PER_FETCH ||
      (cappedBySource && kept.length >= ctx.maxFetch / 2)
    ) {
      hasMore = true;
      break;
    }
  }

  // Never backwards, never past `now - lag` (a source's future timestamps cannot pull it ahead).
  const nextCursorMs = Math.max(cursorMs, Math.min(readUpTo, endMs));
  const settled = nextSettled({
    startMs,
    previousMs: settledMs,
    cursorMs: nextCursorMs,
    readAtMs: nowMs,
    lookBackMs: ctx.lookBackMs,
  });
  // No later read starts before the settled point: the ids of what lies before it are never needed.
  seen.pruneBefore(windowStart(nextCursorMs, ctx.lookBackMs, settled));
  const evicted = seen.capTo(MAX_SEEN_IDS);
  if (evicted > 0) {
    notice = `The look-back window holds more than ${MAX_SEEN_IDS} ids; the ${evicted} oldest were forgotten, so some may be pushed again (the endpoint drops duplicates). Lower look_back.`;
    ctx.health(notice, { isError: true });
  }
  const nextRun: LastRun = {
    time: new Date(nextCursorMs).toISOString(),
    settled: new Date(settled).toISOString(),
    seen: seen.serialize(),
  };
  return {
    incidents: kept.map((candidate) => candidate.incident),
    nextRun,
    hasMore,
    dropped,
    pages,
    notice,
    ...(evicted > 0 ? { evictedSeenIds: evicted } : {}),
  };
};

/** The stored settled point, or `cursor - look_back` for a last run written before it existed. */
const parseSettled = (value: unknown, cursorMs: number, lookBackMs: number): number => {
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? cursorMs - lookBackMs : Math.min(parsed, cursorMs);
};
