import type { InstanceDocument } from '../shared/config/schema.js';
import { parseDuration } from '../shared/duration.js';

/** One scheduled invocation: which slot of the instance's schedule, and when it was meant to fire. */
export interface ScheduledRun {
  readonly instanceId: string;
  /** The slot's number since the instance was first scheduled (0 = the first fetch). */
  readonly slot: number;
  /** When the slot's window opened (epoch ms): the schedule's own time for it. */
  readonly slotStart: number;
  /** When the scheduler meant to fire it (epoch ms): the slot's start plus its offset in the window. */
  readonly scheduledAt: number;
  /** When the scheduler did fire it (epoch ms): later than `scheduledAt` by its tick and any backlog. */
  readonly firedAt: number;
}

export interface SchedulerOptions {
  /** The enabled instances, read again at every tick so config edits apply without a restart. */
  readonly instances: () => Promise<InstanceDocument[]>;
  /** Runs one scheduled invocation (the connector's handler, as EventBridge Scheduler would). */
  readonly invoke: (document: InstanceDocument, run: ScheduledRun) => Promise<void>;
  /**
   * The flexible time window of an instance's schedule, from its interval (`flexibleWindowMs` in
   * shared/schedule-window.ts is the deployed rule): each slot fires at a random time inside the window
   * that opens at the slot's start, as EventBridge Scheduler disperses invocations. @default none: every
   * slot fires at its start, the first one at once
   */
  readonly window?: (intervalMs: number) => number;
  /**
   * Invocations in flight at most; due slots beyond it wait for a free one, oldest first (their delay
   * shows in `firedAt`), as Lambda throttles beyond its concurrency and Scheduler retries. @default no limit
   */
  readonly maxConcurrent?: number;
  /** Where offsets in the window come from (tests pin it). @default Math.random */
  readonly random?: () => number;
  /** How often the scheduler looks for due instances. @default 250 */
  readonly tickMs?: number;
  readonly onError?: (error: unknown) => void;
  readonly clock?: () => number;
}

export interface Scheduler {
  /** Runs every due instance now and waits for them (tests; `ferry start` uses the timer). */
  tick(): Promise<void>;
  /**
   * Slots never fired because the instance's previous invocation ran past the next slot too (AWS would
   * have fired them and the lease would have skipped them): a sign the machine is over capacity.
   */
  readonly missedSlots: number;
  /** Stops scheduling and waits for the invocations in flight. */
  stop(): Promise<void>;
}

/** Where an instance's schedule stands: slot `slot` fires at `fireAt`. */
interface Plan {
  readonly intervalMs: number;
  /** The start of slot 0: when the scheduler first saw the instance (or its interval changed). */
  readonly base: number;
  slot: number;
  fireAt: number;
}

/**
 * EventBridge Scheduler in miniature: each enabled instance is invoked every `fetchInterval` (locally
 * as short as one second), slot `k` at `base + k × interval`, plus a random offset inside the flexible
 * window when one is given. Unlike AWS, an instance whose previous invocation is still running is not
 * invoked again — the lease would skip it anyway, and the log stays readable: its due slot fires when
 * the invocation ends (late: `firedAt` says by how much), and a slot more than an interval late is
 * counted missed.
 */
export const startScheduler = (options: SchedulerOptions): Scheduler => {
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const plans = new Map<string, Plan>();
  const inFlight = new Map<string, Promise<void>>();
  const ticking = new Set<Promise<void>>();
  let missedSlots = 0;
  let stopped = false;

  const offsetIn = (intervalMs: number): number => {
    const window = options.window?.(intervalMs) ?? 0;
    return window > 0 ? Math.floor(random() * window) : 0;
  };

  const planOf = (document: InstanceDocument, now: number): Plan => {
    const intervalMs = parseDuration(document.fetchInterval) ?? 60_000;
    const plan = plans.get(document.id);
    if (plan?.intervalMs === intervalMs) return plan;
    // New, or its interval was edited: a schedule starting now.
    const fresh = { intervalMs, base: now, slot: 0, fireAt: now + offsetIn(intervalMs) };
    plans.set(document.id, fresh);
    return fresh;
  };

  const startOf = (plan: Plan, slot: number) => plan.base + slot * plan.intervalMs;

  /** Moves the plan to its next slot, at a fresh offset in that slot's window. */
  const advance = (plan: Plan): void => {
    plan.slot++;
    plan.fireAt = startOf(plan, plan.slot) + offsetIn(plan.intervalMs);
  };

  /**
   * A slot more than an interval late (the one after the next has started) is missed: the schedule
   * moves on to the oldest slot that is not, as AWS would have fired each in its own window.
   */
  const catchUp = (plan: Plan, now: number): void => {
    while (startOf(plan, plan.slot + 2) <= now) {
      advance(plan);
      missedSlots++;
    }
  };

  const tickOnce = async (): Promise<void> => {
    let documents: InstanceDocument[];
    try {
      documents = await options.instances();
    } catch (error) {
      options.onError?.(error);
      return;
    }
    // Stopped while the config was read: starting now would run against a system shutting down
    // (and could leave a lease behind in the persisted state).
    if (stopped) return;
    const started: Promise<void>[] = [];
    const now = clock();
    const scheduled = new Set<string>();
    const due: { document: InstanceDocument; plan: Plan }[] = [];
    for (const document of documents) {
      if (!document.enabled) continue;
      scheduled.add(document.id);
      const plan = planOf(document, now);
      if (inFlight.has(document.id)) continue;
      catchUp(plan, now);
      if (plan.fireAt <= now) due.push({ document, plan });
    }
    // The longest waiting first, as far as the concurrency allows; the rest stay due for the next tick.
    due.sort((a, b) => a.plan.fireAt - b.plan.fireAt);
    const room = Math.max(0, (options.maxConcurrent ?? Number.POSITIVE_INFINITY) - inFlight.size);
    for (const { document, plan } of due.slice(0, room)) {
      const run: ScheduledRun = {
        instanceId: document.id,
        slot: plan.slot,
        slotStart: startOf(plan, plan.slot),
        scheduledAt: plan.fireAt,
        firedAt: now,
      };
      advance(plan);
      const invocation = options
        .invoke(document, run)
        .catch((error) => options.onError?.(error))
        .finally(() => inFlight.delete(document.id));
      inFlight.set(document.id, invocation);
      started.push(invocation);
    }
    // A removed or disabled instance's schedule is forgotten: enabled again, it starts afresh.
    for (const id of plans.keys()) if (!scheduled.has(id)) plans.delete(id);
    await Promise.all(started);
  };

  const tick = (): Promise<void> => {
    const run = tickOnce();
    ticking.add(run);
    return run.finally(() => ticking.delete(run));
  };

  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, options.tickMs ?? 250);
  timer.unref();

  return {
    tick,
    get missedSlots() {
      return missedSlots;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...ticking, ...inFlight.values()]);
    },
  };
};
