import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Scheduler, startScheduler } from '../../local/scheduler.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../shared/config/schema.js';
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
