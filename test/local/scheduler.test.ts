import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ScheduledRun, type Scheduler, startScheduler } from '../../local/scheduler.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../shared/config/schema.js';
import { flexibleWindowMs } from '../../shared/schedule-window.js';
import { createManualClock } from '../helpers/runtime.js';

const T0 = Date.parse('2026-03-10T12:00:00.000Z');

const anInstance = (id: string, overrides: Record<string, unknown> = {}): InstanceDocument =>
  instanceDocumentSchema.parse({
    id,
    connector: 'helloworld',
    fetchInterval: '5 seconds',
    params: {},
    sink: { type: 'ferry' },
    ...overrides,
  });

const schedulers: Scheduler[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.stop()));
});

/** A scheduler whose timer never fires on its own: the test ticks it and moves its clock. */
const aScheduler = (
  instances: () => InstanceDocument[] | Promise<InstanceDocument[]>,
  invoke: (document: InstanceDocument) => Promise<void> = async () => undefined,
) => {
  const clock = createManualClock(T0);
  const invoked: string[] = [];
  const errors: unknown[] = [];
  const scheduler = startScheduler({
    instances: async () => instances(),
    invoke: async (document) => {
      invoked.push(document.id);
      await invoke(document);
    },
    onError: (error) => errors.push(error),
    clock: clock.now,
    tickMs: 3_600_000,
  });
  schedulers.push(scheduler);
  return { scheduler, clock, invoked, errors };
};

describe('startScheduler', () => {
  it('invokes each enabled instance at once, then every fetchInterval', async () => {
    const { scheduler, clock, invoked } = aScheduler(() => [
      anInstance('fast', { fetchInterval: '5 seconds' }),
      anInstance('slow', { fetchInterval: '1 minute' }),
    ]);

    await scheduler.tick();
    clock.advance(4_999);
    await scheduler.tick();
    clock.advance(1);
    await scheduler.tick();
    clock.advance(55_000);
    await scheduler.tick();

    expect(invoked).toEqual(['fast', 'slow', 'fast', 'fast', 'slow']);
  });

  it('never invokes a disabled instance', async () => {
    const { scheduler, invoked } = aScheduler(() => [
      anInstance('off', { enabled: false }),
      anInstance('on'),
    ]);

    await scheduler.tick();

    expect(invoked).toEqual(['on']);
  });

  it('picks up config edits at the next tick: a new instance runs, a removed one stops', async () => {
    let documents = [anInstance('first')];
    const { scheduler, clock, invoked } = aScheduler(() => documents);
    await scheduler.tick();

    documents = [anInstance('second')];
    clock.advance(5_000);
    await scheduler.tick();

    expect(invoked).toEqual(['first', 'second']);
  });

  it('does not invoke an instance again while its previous invocation runs', async () => {
    let started!: () => void;
    const invocationStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish!: () => void;
    const running = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const { scheduler, clock, invoked } = aScheduler(
      () => [anInstance('busy')],
      () => {
        started();
        return running;
      },
    );

    const first = scheduler.tick();
    await invocationStarted;
    clock.advance(60_000);
    await scheduler.tick();
    finish();
    await first;
    await scheduler.tick();

    expect(invoked).toEqual(['busy', 'busy']);
  });

  it('reports a failed invocation and keeps scheduling', async () => {
    const { scheduler, clock, invoked, errors } = aScheduler(
      () => [anInstance('flaky')],
      async () => {
        throw new Error('boom');
      },
    );

    await scheduler.tick();
    clock.advance(5_000);
    await scheduler.tick();

    expect(invoked).toEqual(['flaky', 'flaky']);
    expect(errors.map((error) => (error as Error).message)).toEqual(['boom', 'boom']);
  });

  it('reports an unreadable config and invokes nothing', async () => {
    const { scheduler, invoked, errors } = aScheduler(() => Promise.reject(new Error('config unreadable')));

    await scheduler.tick();

    expect(invoked).toEqual([]);
    expect(errors).toEqual([new Error('config unreadable')]);
  });

  it('waits for the invocations in flight when stopped', async () => {
    let finished = false;
    let started!: () => void;
    const invocationStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { scheduler } = aScheduler(
      () => [anInstance('slow')],
      () => {
        started();
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            finished = true;
            resolve();
          }),
        );
      },
    );
    void scheduler.tick();
    await invocationStarted;

    await scheduler.stop();

    expect(finished).toBe(true);
  });

  it('starts nothing once stopped, even from a tick that was reading the config', async () => {
    let release!: (documents: InstanceDocument[]) => void;
    const config = new Promise<InstanceDocument[]>((resolve) => {
      release = resolve;
    });
    const { scheduler, invoked } = aScheduler(() => config);
    const tick = scheduler.tick();

    const stopped = scheduler.stop();
    release([anInstance('late')]);
    await Promise.all([tick, stopped]);

    expect(invoked).toEqual([]);
  });

  it('ticks by itself on its timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const invoked: string[] = [];
    const scheduler = startScheduler({
      instances: async () => [anInstance('timed')],
      invoke: async (document) => {
        invoked.push(document.id);
      },
      tickMs: 250,
    });
    schedulers.push(scheduler);

    await vi.advanceTimersByTimeAsync(250);

    expect(invoked).toEqual(['timed']);
  });
});

describe('startScheduler with a flexible window and a concurrency limit', () => {
  /** A scheduler ticked by hand, with `window` and `maxConcurrent`, recording every run it fires. */
  const aSpreadScheduler = (
    documents: InstanceDocument[],
    options: { window?: (intervalMs: number) => number; maxConcurrent?: number; random?: () => number },
    invoke: (run: ScheduledRun) => Promise<void> = async () => undefined,
  ) => {
    const clock = createManualClock(T0);
    const runs: ScheduledRun[] = [];
    const scheduler = startScheduler({
      instances: async () => documents,
      invoke: async (_document, run) => {
        runs.push(run);
        await invoke(run);
      },
      clock: clock.now,
      tickMs: 3_600_000,
      ...options,
    });
    schedulers.push(scheduler);
    return { scheduler, clock, runs };
  };

  it('fires each slot at its offset inside the window that opens at the slot start', async () => {
    const { scheduler, clock, runs } = aSpreadScheduler(
      [anInstance('spread', { fetchInterval: '1 minute' })],
      {
        window: flexibleWindowMs,
        random: () => 0.5,
      },
    );

    await scheduler.tick();
    clock.advance(29_999);
    await scheduler.tick();
    clock.advance(1);
    await scheduler.tick();
    clock.advance(60_000);
    await scheduler.tick();

    expect(runs).toEqual([
      { instanceId: 'spread', slot: 0, slotStart: T0, scheduledAt: T0 + 30_000, firedAt: T0 + 30_000 },
      {
        instanceId: 'spread',
        slot: 1,
        slotStart: T0 + 60_000,
        scheduledAt: T0 + 90_000,
        firedAt: T0 + 90_000,
      },
    ]);
  });

  it('spreads instances started together over their interval', async () => {
    const documents = Array.from({ length: 200 }, (_, i) =>
      anInstance(`i${i}`, { fetchInterval: '1 minute' }),
    );
    const { scheduler, clock, runs } = aSpreadScheduler(documents, { window: flexibleWindowMs });

    await scheduler.tick();
    const atOnce = runs.length;
    clock.advance(60_000);
    await scheduler.tick();

    // Math.random: a handful may draw an offset under a millisecond, never most of them.
    expect(atOnce).toBeLessThan(20);
    expect(runs.filter((run) => run.slot === 0)).toHaveLength(200);
    for (const run of runs) expect(run.scheduledAt - run.slotStart).toBeLessThan(60_000);
  });

  it('keeps at most maxConcurrent in flight; the slot waiting longest fires first', async () => {
    const finish: (() => void)[] = [];
    const { scheduler, clock, runs } = aSpreadScheduler(
      ['a', 'b', 'c'].map((id) => anInstance(id)),
      { maxConcurrent: 2 },
      () => new Promise<void>((resolve) => finish.push(resolve)),
    );

    void scheduler.tick();
    await Promise.resolve();
    expect(runs.map((run) => run.instanceId)).toEqual(['a', 'b']);

    finish.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1_000);
    void scheduler.tick();
    await Promise.resolve();

    expect(runs.map((run) => run.instanceId)).toEqual(['a', 'b', 'c']);
    expect(runs[2]).toMatchObject({ scheduledAt: T0, firedAt: T0 + 1_000 });
    for (const done of finish.splice(0)) done();
  });

  it('counts a slot more than an interval late as missed, and fires the slots after it', async () => {
    let finish!: () => void;
    const { scheduler, clock, runs } = aSpreadScheduler([anInstance('slow')], {}, (run) =>
      run.slot === 0 ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve(),
    );

    const first = scheduler.tick();
    await new Promise((resolve) => setImmediate(resolve)); // slot 0 is running
    clock.advance(17_000); // slots 1, 2 and 3 (at 5, 10 and 15 s) start while slot 0 runs
    finish();
    await first;
    await scheduler.tick();
    await scheduler.tick();

    // Slot 1 is more than an interval late (slot 3 has started): missed. Slot 2 fires late, 3 on time.
    expect(runs.map((run) => run.slot)).toEqual([0, 2, 3]);
    expect(scheduler.missedSlots).toBe(1);
  });
});
