import type { LastRun } from '../../../shared/connector.js';
import {
  createSimSource,
  ferryFetch,
  type SimEvent,
  type SimSourceOptions,
  simConnector,
} from './simulation.js';
import { type XsoarLastRun, xsoarFetch } from './xsoar-port.js';

export interface Schedule {
  /** Wall-clock times of the fetches, increasing. */
  fetchTimes: number[];
  firstFetch: number;
  lookBackMs: number;
  lagMs?: number;
  maxFetch: number;
  /** The largest page the source serves. @default 1000 */
  maxPageSize?: number;
  /** Fetches (by index) that crash after the push, before the commit. */
  crashes?: ReadonlySet<number>;
  /** Fetches (by index) that fail at the source (an outage). */
  outages?: ReadonlySet<number>;
  /**
   * Each fetch drains as the runner does: while a page says `hasMore`, the next page follows 7 s later
   * (a slow source), continuing at the cursor, until the next scheduled fetch (the deadline). A crash
   * ends the whole drain. @default false (one page)
   */
  drain?: boolean;
}

/** What reached the endpoint: how often each id was pushed. */
export interface Delivery {
  pushes: Map<string, number>;
  /** Ids pushed by a fetch that crashed before its commit. */
  crashedPushes: Set<string>;
  lost: (events: readonly SimEvent[]) => string[];
  duplicated: () => string[];
}

const delivery = (): Delivery => {
  const pushes = new Map<string, number>();
  return {
    pushes,
    crashedPushes: new Set(),
    lost: (events) => events.filter((event) => !pushes.has(event.id)).map((event) => event.id),
    duplicated: () => [...pushes].filter(([, count]) => count > 1).map(([id]) => id),
  };
};

/** Runs XSOAR's generic look-back over the schedule. */
export const runXsoar = (events: SimEvent[], schedule: Schedule, sourceOptions?: SimSourceOptions) => {
  const source = createSimSource(events, sourceOptions);
  const result = delivery();
  let lastRun: XsoarLastRun = {};
  const lastRuns: XsoarLastRun[] = [];
  schedule.fetchTimes.forEach((now, index) => {
    if (schedule.outages?.has(index)) return;
    const run = xsoarFetch(lastRun, {
      now,
      firstFetch: schedule.firstFetch,
      lookBack: schedule.lookBackMs / 60_000,
      fetchLimit: schedule.maxFetch,
      query: (start, end, limit) =>
        source.query(start, end, Math.min(limit, schedule.maxPageSize ?? 1000), now, true),
    });
    for (const event of run.kept) result.pushes.set(event.id, (result.pushes.get(event.id) ?? 0) + 1);
    if (schedule.crashes?.has(index)) return;
    lastRun = run.lastRun;
    lastRuns.push(lastRun);
  });
  return { ...result, lastRun, lastRuns };
};

/** Time between the pages of one drain in the model: long enough for late events to surface meanwhile. */
const DRAIN_PAGE_MS = 7_000;

/** Runs Ferry's window fetch over the schedule, committing as the runner does (after the push). */
export const runFerry = async (events: SimEvent[], schedule: Schedule, sourceOptions?: SimSourceOptions) => {
  const connector = simConnector(createSimSource(events, sourceOptions), schedule.maxPageSize ?? 1000);
  const result = delivery();
  let lastRun: LastRun = {};
  const cursors: number[] = [];
  const stateSizes: number[] = [];
  const health: string[] = [];
  let pagesRead = 0;
  for (const [index, now] of schedule.fetchTimes.entries()) {
    if (schedule.outages?.has(index)) continue;
    const deadline = schedule.fetchTimes[index + 1] ?? Number.POSITIVE_INFINITY;
    for (let page = 0; ; page++) {
      const run = await ferryFetch(connector, lastRun, {
        now: now + page * DRAIN_PAGE_MS,
        firstFetch: schedule.firstFetch,
        lookBackMs: schedule.lookBackMs,
        lagMs: schedule.lagMs,
        maxFetch: schedule.maxFetch,
        continuing: page > 0,
      });
      pagesRead++;
      health.push(...run.health);
      for (const incident of run.incidents) {
        const id = incident.dbotMirrorId!;
        result.pushes.set(id, (result.pushes.get(id) ?? 0) + 1);
        if (schedule.crashes?.has(index)) result.crashedPushes.add(id);
      }
      if (schedule.crashes?.has(index)) break;
      lastRun = run.nextRun;
      if (typeof lastRun.time === 'string') cursors.push(Date.parse(lastRun.time));
      stateSizes.push(Buffer.byteLength(JSON.stringify(lastRun)));
      // Bounded like the runner's deadline: a drain that never ends would be a bug the test should see.
      if (!schedule.drain || run.hasMore !== true || page >= 200) break;
      if (now + (page + 1) * DRAIN_PAGE_MS >= deadline) break;
    }
  }
  return { ...result, lastRun, cursors, stateSizes, health, pagesRead };
};

/** Fetch times every `intervalMs` from `from` until `to` (inclusive). */
export const every = (intervalMs: number, from: number, to: number): number[] => {
  const times: number[] = [];
  for (let time = from; time <= to; time += intervalMs) times.push(time);
  return times;
};

export const MINUTE = 60_000;

/** `count` events named `<prefix>-<n>` created at `created`, visible after `delayMs`. */
export const eventsAt = (prefix: string, count: number, created: number, delayMs = 0): SimEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${String(index).padStart(4, '0')}`,
    created,
    visibleAt: created + delayMs,
  }));
