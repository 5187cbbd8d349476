import type { FetchResult, LastRun } from '../connector.js';
import { ErrorCodes, FerryError } from '../errors.js';
import { type Partition, partitionIncidents } from '../quarantine/partition-incidents.js';
import { setAside } from '../quarantine/set-aside.js';
import type { IncidentBatch, Sink } from '../sinks/sink.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import { type Drained, openTally, type PageCounts, type Tally } from './drain-tally.js';
import type { PagePreview, PageSource, PendingPage } from './page-fetcher.js';

/**
 * The drain loop: DESIGN's steps 2–7 and 9, the one loop both a fetch and a replay run. Fetch a page
 * from the cursor, partition it (valid incidents keyed once, invalid events quarantined), push it,
 * commit its cursor, and go back for the next page while the source has more, the run's limit is not
 * reached and the invocation has time. The caller says how a page is fetched and committed; the loop
 * owns the order, the deadline, the per-run limit and the prefetch.
 */

/** A lease outlives the invocation's deadline by this much, then frees itself. */
export const LEASE_GRACE_MS = 5_000;
/** Time kept back before the deadline for the commit and the history record. */
export const COMMIT_RESERVE_MS = 2_000;

/** A page pushed and about to be committed. */
export interface PushedPage {
  readonly result: FetchResult;
  readonly counts: PageCounts;
  /** No page follows in this invocation: the commit also gives the lease back. */
  readonly last: boolean;
  /** The run's latest health message so far (stored with the cursor). */
  readonly health: Tally['health'];
  /** When the commit happens (epoch ms). */
  readonly now: number;
}

export interface DrainSteps {
  /** Once, before the first page: resolves what a fetch needs (parameters, secrets, the pacer). */
  readonly prepare: () => Promise<PageSource>;
  /** Step 7: moves the cursor to the page's `nextRun`, only while the lease is ours. */
  readonly commit: (page: PushedPage) => Promise<void>;
}

export interface DrainOptions {
  /** The cursor the first page is fetched from. */
  readonly from: LastRun;
  readonly sink: Sink;
  /** Who the pushed batches (and the quarantined events) come from. */
  readonly batch: Omit<IncidentBatch, 'incidents'>;
  /** Where events that cannot become incidents are set aside; without it they fail the page. */
  readonly quarantine: QuarantineStore | undefined;
  /** Epoch ms by which the invocation must be done. */
  readonly deadline: number;
  readonly clock: () => number;
  /** Fetch the next page while this one is pushed and committed (see `mayPrefetch`). */
  readonly prefetch: boolean;
  /** Fetch and partition one page, then stop: push, quarantine and commit nothing (XSOAR's debug mode). */
  readonly preview?: boolean;
}

const deadlineError = () =>
  new FerryError(
    ErrorCodes.DEADLINE,
    'The invocation deadline is near; the fetch was stopped and the last run is unchanged (the next fetch continues from it).',
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

/** Whether the loop goes on after a page that said `hasMore`: room left in the run and in the time. */
const drainOn = (tally: Tally, options: DrainOptions, lastPageMs: number): boolean =>
  tally.leftThisRun() > 0 && timeForAnother(options, lastPageMs);

/** Steps 4–5: partitioned into keyed incidents and events to set aside (a broken mapping fails here). */
const partitionPage = async (
  result: FetchResult,
  tally: Tally,
  options: DrainOptions,
): Promise<Partition> => {
  const page = partitionIncidents(result.incidents);
  tally.countPartitioned(result, page);
  const { instance, connector, runId } = options.batch;
  const mode = options.preview ? 'debug' : 'live';
  const request = { instanceId: instance, connector, runId, now: options.clock(), mode } as const;
  await setAside(options.quarantine, request, page.quarantined);
  if (!options.preview) tally.countQuarantined(page.quarantined.length);
  return page;
};

/** Step 6: pushes the page's incidents (an empty page is not sent) and keeps what the sink answered. */
const pushPage = async (
  page: Partition,
  options: DrainOptions,
  signal: AbortSignal,
  tally: Tally,
): Promise<void> => {
  if (page.keyed.length > 0) {
    const receipt = await options.sink.push(
      { ...options.batch, incidents: page.keyed },
      { signal, deadline: options.deadline - COMMIT_RESERVE_MS },
    );
    tally.countReceipt(receipt);
  }
  tally.countPushed(page.keyed);
};

const previewOf = (result: FetchResult, page: Partition): PagePreview => ({
  incidents: page.keyed.map(({ incident }) => incident),
  nextRun: result.nextRun,
  ...(page.quarantined.length > 0 ? { quarantine: page.quarantined } : {}),
});

/**
 * Runs the loop until the source has no more, the run's limit or the time is up, or a step fails.
 * Never throws: a failure is in `error`, with everything done before it. A prefetched page is pushed
 * only after the page before it was committed, and is dropped (aborted, never pushed) when that push
 * or commit fails.
 */
export const drainPages = async (steps: DrainSteps, options: DrainOptions): Promise<Drained> => {
  const tally = openTally(options.from);
  const deadline = deadlineSignal(options);
  let next: PendingPage | undefined;
  try {
    const source = await steps.prepare();
    tally.limitTo(source.maxPerRun, source.pacing);
    for (let lastPageMs = 0, index = 0; ; index++) {
      const pending = next ?? source.start(tally.page(index > 0), deadline.signal);
      next = undefined;
      const result = await tally.fetched(pending);
      const page = await partitionPage(result, tally, options);
      if (options.preview) return tally.close({ preview: previewOf(result, page) });
      if (options.prefetch && result.hasMore === true && drainOn(tally, options, lastPageMs))
        next = source.start(tally.page(true, result.nextRun), deadline.signal);
      await pushPage(page, options, deadline.signal, tally);
      lastPageMs = options.clock() - pending.startedAt;
      const last = result.hasMore !== true || !drainOn(tally, options, lastPageMs);
      if (last) {
        next?.cancel();
        next = undefined;
      }
      const counts = tally.pageCounts(result, page);
      const pushedPage = { result, counts, last, health: tally.health, now: options.clock() };
      await steps.commit(pushedPage);
      tally.committed(pushedPage);
      if (last) return tally.close({});
    }
  } catch (error) {
    // Left early (a failed fetch, partition, push or commit): the prefetched page is never pushed. It
    // is dropped before the account closes, so the pacing is counted as it stands after the abort.
    next?.cancel();
    return tally.close({ error });
  } finally {
    deadline.clear();
  }
};
