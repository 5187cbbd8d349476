import type { FetchResult, LastRun } from '../connector.js';
import type { Partition } from '../quarantine/partition-incidents.js';
import type { PacingStats } from '../rate-limit-pacer.js';
import type { KeyedIncident, PushResult } from '../sinks/sink.js';
import { MAX_SOURCE_IDS } from '../state/history-record.js';
import type { HealthMessage } from './fetch-context.js';
import type { PagePreview, PageRequest, PendingPage } from './page-fetcher.js';

/**
 * The drain loop's running account: what it fetched, pushed and committed so far, kept apart from the
 * loop so the loop reads as its steps. Only drain-pages.ts writes to it; what it returns is `Drained`.
 */

/** How many incidents one page brought, as the history and a replay's progress count them. */
export interface PageCounts {
  readonly fetches: number;
  readonly pages: number;
  readonly pulled: number;
  readonly dropped: number;
  readonly pushed: number;
}

/** What the loop did, also when it stopped on a failure. */
export interface Drained {
  /** Every page fetched, including one that failed later. */
  readonly counted: PageCounts;
  /** Events set aside in the quarantine (a live run's). */
  readonly quarantined: number;
  /** Only the pages whose commit succeeded. */
  readonly committed: PageCounts & { readonly count: number; readonly at?: number };
  /** The cursor after the last commit (`from` when none succeeded). */
  readonly lastRun: LastRun;
  /** The last committed page's `notice`. */
  readonly notice?: string;
  /** Seen ids the committed pages' look-back evicted. */
  readonly evictedSeenIds: number;
  /** The connector's latest health message. */
  readonly health?: HealthMessage;
  /** Mirror ids of the pushed incidents (all of them), ids a sink gave back, and its notices. */
  readonly sourceIds: readonly string[];
  readonly sinkIds: readonly string[];
  readonly sinkNotices: readonly string[];
  /** The last page said `hasMore` but the run stopped: why (`deadline reached`, `max_per_run 10 reached`). */
  readonly moreWaiting?: string;
  readonly pacing: PacingStats;
  /** In preview: the page's incidents, quarantine candidates and the cursor it would have committed. */
  readonly preview?: PagePreview;
  /** Why the loop stopped early: a failed fetch, partition, quarantine write, push or commit. */
  readonly error?: unknown;
}

type Counts = { -readonly [K in keyof PageCounts]: number };

const noCounts = (): Counts => ({ fetches: 0, pages: 0, pulled: 0, dropped: 0, pushed: 0 });
const noPacing: PacingStats = { pacedRequests: 0, pacedMs: 0 };

/** A page's own counts: what a replay's progress adds and the fetch commit stores as pushed. */
const pageCounts = (result: FetchResult, page: Partition): PageCounts => ({
  fetches: 1,
  pages: result.pages ?? 1,
  pulled: result.incidents.length + (result.dropped ?? 0),
  dropped: page.repeated + (result.dropped ?? 0),
  pushed: page.keyed.length,
});

/** Opens the account of one drain, starting at the cursor `from`. */
export const openTally = (from: LastRun) => {
  const counted = noCounts();
  const committedCounts = { ...noCounts(), count: 0, at: undefined as number | undefined };
  const sourceIds: string[] = [];
  const sinkIds: string[] = [];
  const sinkNotices: string[] = [];
  let lastRun = from;
  let taken = 0;
  let quarantined = 0;
  let evictedSeenIds = 0;
  let maxPerRun: number | undefined;
  let pacing = () => noPacing;
  let health: HealthMessage | undefined;
  let notice: string | undefined;
  let moreWaiting: string | undefined;
  // Incidents the pages of this run returned so far, against max_per_run.
  const leftThisRun = () => (maxPerRun ?? Number.POSITIVE_INFINITY) - taken;
  return {
    get health() {
      return health;
    },
    leftThisRun,
    pageCounts,
    limitTo(limit: number | undefined, stats: () => PacingStats) {
      maxPerRun = limit;
      pacing = stats;
    },
    /** The next page's request: from the committed cursor unless `at` says where (a prefetch). */
    page: (continuing: boolean, at: LastRun = lastRun): PageRequest => ({
      lastRun: at,
      continuing,
      left: leftThisRun(),
    }),
    /** Steps 2–3 done: counts the fetch and keeps its latest health message. */
    async fetched(pending: PendingPage): Promise<FetchResult> {
      const result = await pending.result;
      health = pending.messages.at(-1) ?? health;
      counted.fetches++;
      counted.pages += result.pages ?? 1;
      return result;
    },
    countPartitioned(result: FetchResult, page: Partition) {
      taken += result.incidents.length;
      counted.pulled += result.incidents.length + (result.dropped ?? 0);
      counted.dropped += page.repeated + (result.dropped ?? 0);
    },
    countQuarantined(count: number) {
      quarantined += count;
    },
    countReceipt(receipt: PushResult) {
      if (receipt.ids) sinkIds.push(...receipt.ids.slice(0, MAX_SOURCE_IDS - sinkIds.length));
      if (receipt.notice) sinkNotices.push(receipt.notice);
    },
    countPushed(keyed: readonly KeyedIncident[]) {
      counted.pushed += keyed.length;
      for (const { incident } of keyed) if (incident.dbotMirrorId) sourceIds.push(incident.dbotMirrorId);
    },
    /** Step 7 done: the cursor moved; counts the page as committed. */
    committed(page: { result: FetchResult; counts: PageCounts; last: boolean; now: number }) {
      for (const key of Object.keys(page.counts) as (keyof PageCounts)[])
        committedCounts[key] += page.counts[key];
      committedCounts.count++;
      committedCounts.at = page.now;
      lastRun = page.result.nextRun;
      if (page.result.notice) notice = page.result.notice;
      if (page.result.evictedSeenIds) evictedSeenIds += page.result.evictedSeenIds;
      if (page.last && page.result.hasMore === true)
        moreWaiting = leftThisRun() > 0 ? 'deadline reached' : `max_per_run ${maxPerRun} reached`;
    },
    /** The account as it stands, with how the loop ended. */
    close: (ending: { preview?: PagePreview; error?: unknown }): Drained => ({
      counted: { ...counted },
      quarantined,
      committed: { ...committedCounts },
      lastRun,
      ...(notice !== undefined ? { notice } : {}),
      evictedSeenIds,
      ...(health !== undefined ? { health } : {}),
      sourceIds,
      sinkIds,
      sinkNotices,
      ...(moreWaiting !== undefined ? { moreWaiting } : {}),
      pacing: pacing(),
      ...ending,
    }),
  };
};

export type Tally = ReturnType<typeof openTally>;
