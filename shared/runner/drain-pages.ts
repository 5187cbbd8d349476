import type { FetchResult, LastRun } from '../connector.js';
import { ErrorCodes, FerryError } from '../errors.js';
import type { Incident } from '../incident.js';
import type { IncidentBatch, PushResult, Sink } from '../sinks/sink.js';
import { MAX_SOURCE_IDS } from '../state/history-record.js';
import type { HealthMessage } from './fetch-context.js';
import { type ValidatedPage, validateAndKey } from './validate-page.js';

/**
 * The drain loop: DESIGN's steps 2–7 and 9, the one loop both a fetch and a replay run. Fetch a page
 * from the cursor, validate and dedupe it, push it, commit its cursor, and go back for the next page
 * while the source has more and the invocation has time. The caller says how a page is fetched and
 * committed; the loop owns the order, the deadline and the prefetch.
 */

/** A lease outlives the invocation's deadline by this much, then frees itself. */
export const LEASE_GRACE_MS = 5_000;
/** Time kept back before the deadline for the commit and the history record. */
export const COMMIT_RESERVE_MS = 2_000;

/** A fetch the loop started: its result, and the health messages the connector reported during it. */
export interface StartedFetch {
  readonly result: Promise<FetchResult>;
  readonly messages: readonly HealthMessage[];
}

/** How many incidents one page brought, as the history and a replay's progress count them. */
export interface PageCounts {
  readonly fetches: number;
  readonly pages: number;
  readonly pulled: number;
  readonly dropped: number;
  readonly pushed: number;
}

/** A page pushed and about to be committed. */
export interface PushedPage {
  readonly result: FetchResult;
  readonly counts: PageCounts;
  /** The latest health message of the run so far (stored with the cursor). */
  readonly health: HealthMessage | undefined;
  /** When the commit happens (epoch ms). */
  readonly now: number;
  /** No page follows in this invocation: the commit also gives the lease back. */
  readonly last: boolean;
}

/** Steps 2–3: starts fetching the page after `lastRun`, at `now`; `signal` aborts it. */
export type StartFetch = (lastRun: LastRun, now: Date, signal: AbortSignal) => StartedFetch;

export interface DrainSteps {
  /** Once, before the first page: resolves what a fetch needs (parameters, secrets). */
  readonly prepare: () => Promise<StartFetch>;
  /** Step 7: moves the cursor to the page's `nextRun`, only while the lease is ours. */
  readonly commit: (page: PushedPage) => Promise<void>;
}

export interface DrainOptions {
  /** The cursor the first page is fetched from. */
  readonly from: LastRun;
  readonly sink: Sink;
  /** Who the pushed batches come from. */
  readonly batch: Omit<IncidentBatch, 'incidents'>;
  /** Epoch ms by which the invocation must be done. */
  readonly deadline: number;
  readonly clock: () => number;
  /** Fetch the next page while this one is pushed and committed (see `mayPrefetch`). */
  readonly prefetch: boolean;
  /** Fetch and validate one page, then stop: push and commit nothing (XSOAR's debug mode). */
  readonly preview?: boolean;
}

/** What the loop did, also when it stopped on a failure. */
export interface Drained {
  /** Every page fetched, including one that failed later. */
  readonly counted: PageCounts;
  /** Only the pages whose commit succeeded. */
  readonly committed: PageCounts & { readonly count: number; readonly at?: number };
  /** The cursor after the last commit (`from` when none succeeded). */
  readonly lastRun: LastRun;
  /** The last committed page's `notice`, and the seen ids its look-back evicted (all pages). */
  readonly notice?: string;
  readonly evictedSeenIds: number;
  readonly health?: HealthMessage;
  /** Mirror ids of the pushed incidents (all of them), ids a sink gave back and its notices. */
  readonly sourceIds: readonly string[];
  readonly sinkIds: readonly string[];
  readonly sinkNotices: readonly string[];
  /** The last page said `hasMore` but the invocation ran out of time. */
  readonly moreWaiting: boolean;
  /** In preview: the page's incidents and the cursor it would have committed. */
  readonly preview?: { readonly incidents: Incident[]; readonly nextRun: LastRun };
  /** Why the loop stopped early: a failed fetch, validation, push or commit. */
  readonly error?: unknown;
}

type Counts = { -readonly [K in keyof PageCounts]: number };

/** The loop's own running account, returned as `Drained`. */
interface Tally {
  counted: Counts;
  committed: Counts & { count: number; at?: number };
  lastRun: LastRun;
  notice?: string;
  evictedSeenIds: number;
  health?: HealthMessage;
  sourceIds: string[];
  sinkIds: string[];
  sinkNotices: string[];
  moreWaiting: boolean;
}

/** A fetch under way, which the loop can still drop. */
interface PendingFetch extends StartedFetch {
  readonly startedAt: number;
  cancel(): void;
}

const noCounts = (): Counts => ({ fetches: 0, pages: 0, pulled: 0, dropped: 0, pushed: 0 });

const addCounts = (total: Counts, page: PageCounts): void => {
  for (const key of Object.keys(total) as (keyof Counts)[]) total[key] += page[key];
};

const deadlineError = () =>
  new FerryError(
    ErrorCodes.DEADLINE,
    'The invocation deadline is near; the fetch was stopped and the last run is unchanged (the next fetch continues from it).',
  );

const prefetchDropped = () =>
  new FerryError(
    ErrorCodes.PREFETCH_DROPPED,
    'This prefetched page was dropped: the page before it was not pushed and committed, or no time was left to push it.',
  );

/** Aborts everything the loop started once only the commit reserve is left before the deadline. */
const deadlineSignal = (options: DrainOptions) => {
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(deadlineError()),
    Math.max(0, options.deadline - COMMIT_RESERVE_MS - options.clock()),
  );
  return { signal: abort.signal, clear: () => clearTimeout(timer) };
};

/** Step 9's test: is there time for another page, judging by how long the last one took? */
const timeForAnother = (options: DrainOptions, lastPageMs: number): boolean =>
  options.deadline - COMMIT_RESERVE_MS - options.clock() > Math.max(2 * lastPageMs, 1_000);

const startPage = (startFetch: StartFetch, options: DrainOptions, lastRun: LastRun, signal: AbortSignal) => {
  const startedAt = options.clock();
  const own = new AbortController();
  const started = startFetch(lastRun, new Date(startedAt), AbortSignal.any([signal, own.signal]));
  // Awaited when used; a prefetch that is dropped must not become an unhandled rejection.
  started.result.catch(() => undefined);
  return { ...started, startedAt, cancel: () => own.abort(prefetchDropped()) };
};

/** Steps 2–3 done: counts the fetch and keeps its latest health message. */
const fetched = async (pending: PendingFetch, tally: Tally): Promise<FetchResult> => {
  const result = await pending.result;
  tally.health = pending.messages.at(-1) ?? tally.health;
  tally.counted.fetches++;
  tally.counted.pages += result.pages ?? 1;
  return result;
};

/** Steps 4–5: validated and keyed, or the page fails (nothing of it is pushed). */
const validated = (result: FetchResult, tally: Tally): ValidatedPage => {
  const page = validateAndKey(result.incidents);
  tally.counted.pulled += result.incidents.length + (result.dropped ?? 0);
  tally.counted.dropped += page.repeated + (result.dropped ?? 0);
  return page;
};

/** Step 6: pushes the page (an empty one is not sent) and keeps what the sink answered. */
const pushed = async (page: ValidatedPage, options: DrainOptions, signal: AbortSignal, tally: Tally) => {
  let receipt: PushResult | undefined;
  if (page.keyed.length > 0) {
    receipt = await options.sink.push(
      { ...options.batch, incidents: page.keyed },
      { signal, deadline: options.deadline - COMMIT_RESERVE_MS },
    );
  }
  if (receipt?.ids) tally.sinkIds.push(...receipt.ids.slice(0, MAX_SOURCE_IDS - tally.sinkIds.length));
  if (receipt?.notice) tally.sinkNotices.push(receipt.notice);
  tally.counted.pushed += page.keyed.length;
  for (const { incident } of page.keyed)
    if (incident.dbotMirrorId) tally.sourceIds.push(incident.dbotMirrorId);
};

const pageCounts = (result: FetchResult, page: ValidatedPage): PageCounts => ({
  fetches: 1,
  pages: result.pages ?? 1,
  pulled: result.incidents.length + (result.dropped ?? 0),
  dropped: page.repeated + (result.dropped ?? 0),
  pushed: page.keyed.length,
});

/** Step 7 done: the cursor moved; counts the page as committed. */
const committed = (pushedPage: PushedPage, tally: Tally): void => {
  const { result } = pushedPage;
  addCounts(tally.committed, pushedPage.counts);
  tally.committed.count++;
  tally.committed.at = pushedPage.now;
  tally.lastRun = result.nextRun;
  if (result.notice) tally.notice = result.notice;
  if (result.evictedSeenIds) tally.evictedSeenIds += result.evictedSeenIds;
};

const previewOf = (result: FetchResult, page: ValidatedPage) => ({
  incidents: page.keyed.map(({ incident }) => incident),
  nextRun: result.nextRun,
});

const newTally = (from: LastRun): Tally => ({
  counted: noCounts(),
  committed: { ...noCounts(), count: 0 },
  lastRun: from,
  evictedSeenIds: 0,
  sourceIds: [],
  sinkIds: [],
  sinkNotices: [],
  moreWaiting: false,
});

/**
 * Runs the loop until the source has no more, the time is up or a step fails. Never throws: a
 * failure is in `error`, with everything done before it. A prefetched page is pushed only after the
 * page before it was committed, and is dropped (aborted, never pushed) when that push or commit fails.
 */
export const drainPages = async (steps: DrainSteps, options: DrainOptions): Promise<Drained> => {
  const tally = newTally(options.from);
  const deadline = deadlineSignal(options);
  let next: PendingFetch | undefined;
  try {
    const startFetch = await steps.prepare();
    for (let lastPageMs = 0; ; ) {
      const pending = next ?? startPage(startFetch, options, tally.lastRun, deadline.signal);
      next = undefined;
      const result = await fetched(pending, tally);
      const page = validated(result, tally);
      if (options.preview) return { ...tally, preview: previewOf(result, page) };
      if (options.prefetch && result.hasMore === true && timeForAnother(options, lastPageMs))
        next = startPage(startFetch, options, result.nextRun, deadline.signal);
      await pushed(page, options, deadline.signal, tally);
      lastPageMs = options.clock() - pending.startedAt;
      const last = result.hasMore !== true || !timeForAnother(options, lastPageMs);
      if (last) {
        next?.cancel();
        next = undefined;
      }
      const pushedPage = {
        result,
        counts: pageCounts(result, page),
        health: tally.health,
        now: options.clock(),
        last,
      };
      await steps.commit(pushedPage);
      committed(pushedPage, tally);
      if (last) return { ...tally, moreWaiting: result.hasMore === true };
    }
  } catch (error) {
    return { ...tally, error };
  } finally {
    // Left early (a failed validation, push or commit): the prefetched page is never pushed.
    next?.cancel();
    deadline.clear();
  }
};
