import type { InstanceDocument } from '../shared/config/schema.js';
import { parseDuration } from '../shared/duration.js';

export interface ScheduledRun {
  readonly instanceId: string;
}

export interface SchedulerOptions {
  /** The enabled instances, read again at every tick so config edits apply without a restart. */
  readonly instances: () => Promise<InstanceDocument[]>;
  /** Runs one scheduled invocation (the connector's handler, as EventBridge Scheduler would). */
  readonly invoke: (document: InstanceDocument) => Promise<void>;
  /** How often the scheduler looks for due instances. @default 250 */
  readonly tickMs?: number;
  readonly onError?: (error: unknown) => void;
  readonly clock?: () => number;
}

export interface Scheduler {
  /** Runs every due instance now and waits for them (tests; `ferry start` uses the timer). */
  tick(): Promise<void>;
  /** Stops scheduling and waits for the invocations in flight. */
  stop(): Promise<void>;
}

/**
 * EventBridge Scheduler in miniature: each enabled instance is invoked every `fetchInterval`
 * (locally as short as one second). Unlike AWS, an instance whose previous invocation is still
 * running is not invoked again — the lease would skip it anyway, and the log stays readable.
 */
export const startScheduler = (options: SchedulerOptions): Scheduler => {
  const clock = options.clock ?? Date.now;
  const nextDue = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();
  const ticking = new Set<Promise<void>>();
  let stopped = false;

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
    for (const document of documents) {
      if (!document.enabled || inFlight.has(document.id)) continue;
      const due = nextDue.get(document.id) ?? now;
      if (due > now) continue;
      nextDue.set(document.id, now + (parseDuration(document.fetchInterval) ?? 60_000));
      const run = options
        .invoke(document)
        .catch((error) => options.onError?.(error))
        .finally(() => inFlight.delete(document.id));
      inFlight.set(document.id, run);
      started.push(run);
    }
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
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...ticking, ...inFlight.values()]);
    },
  };
};
