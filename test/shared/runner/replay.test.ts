import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { imap } from '../../../functions/imap/connector.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import type { InstanceDocument } from '../../../shared/config/schema.js';
import { SinkError } from '../../../shared/errors.js';
import { replayFraction, runReplay, startOrResumeReplay } from '../../../shared/runner/replay.js';
import type { IncidentBatch, Sink } from '../../../shared/sinks/sink.js';
import { DynamoReplayStore, ReplayStatus } from '../../../shared/state/replay-store.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { silentLogger } from '../../helpers/runtime.js';

const API_KEY = 'replay-demo-key';
const HOUR = 3_600_000;

let fixture: DynamoFixture;
let replays: DynamoReplayStore;
let source: DemoSource;
/** The past window the tests replay, and alerts inside and around it. */
const now = Date.now();
const from = new Date(now - 5 * HOUR);
const to = new Date(now - 3 * HOUR);
let inside: string[];

beforeAll(async () => {
  fixture = await startDynamoFixture();
  replays = new DynamoReplayStore({ client: fixture.client, tableName: fixture.tables.state });
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  source.backlog(30, { from: now - 6 * HOUR, to: from.getTime() }); // before the window
  source.backlog(45, { from, to }); // the window
  source.addBurst(5, from); // on its first instant: included
  source.addBurst(4, to); // on its end: excluded ([from, to))
  source.backlog(20, { from: to.getTime() + 1, to: now - HOUR }); // after it
  inside = source.store
    .query({ since: from.getTime(), until: to.getTime(), limit: Number.POSITIVE_INFINITY })
    .map((alert) => alert.id)
    .sort();
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await source?.close();
  await fixture?.stop();
});

const documentFor = (instanceId: string, params: Record<string, unknown> = {}): InstanceDocument => ({
  id: instanceId,
  connector: 'helloworld',
  enabled: true,
  fetchInterval: '1 minute',
  params: { url: source.url, max_fetch: 10, look_back: 5, ...params },
  secrets: { apiKey: { env: 'UNUSED' } },
  sink: { type: 'ferry' },
  historyRetentionDays: 30,
});

/** A sink that keeps what it receives, and can be made to fail. */
const recordingSink = () => {
  const batches: IncidentBatch[] = [];
  let failNext = 0;
  const sink: Sink = {
    type: 'recording',
    async push(batch) {
      if (failNext > 0) {
        failNext--;
        throw new SinkError('The sink is down (test).', { retryable: true });
      }
      batches.push(batch);
      return { accepted: batch.incidents.length, duplicates: 0 };
    },
  };
  return {
    sink,
    ids: () => batches.flatMap((b) => b.incidents.map((i) => i.incident.dbotMirrorId!)).sort(),
    failNext: (count: number) => {
      failNext = count;
    },
  };
};

const replay = (instanceId: string, replayId: string, sink: Sink, deadline = Date.now() + 60_000) =>
  runReplay(
    {
      document: documentFor(instanceId),
      connector: helloworld,
      replayId,
      secrets: async () => ({ apiKey: API_KEY }),
      deadline,
    },
    { store: fixture.store, replays, sink, logger: silentLogger },
  );

const start = (instanceId: string) =>
  startOrResumeReplay(replays, { instanceId, connector: 'helloworld', from, to, now: Date.now() });

describe('replay', () => {
  it('pushes every alert of [from, to) once, and nothing outside it, without touching the live last run', async () => {
    const instanceId = anInstanceId('replay');
    const recording = recordingSink();
    const { progress } = await start(instanceId);

    const outcome = await replay(instanceId, progress.replayId, recording.sink);

    expect(outcome.error).toBeUndefined();
    expect(outcome.replay).toMatchObject({ status: ReplayStatus.done, pushed: inside.length });
    expect(recording.ids()).toEqual(inside);
    // The live cursor was never created nor moved.
    expect(await fixture.store.read(instanceId)).toBeUndefined();
    const [record] = await fixture.store.listHistory(instanceId);
    expect(record).toMatchObject({
      action: 'replay',
      status: 'ok',
      pushed: inside.length,
      runId: `replay-${progress.replayId}`,
      lastRunBefore: { time: from.toISOString() },
      lastRunAfter: { time: to.toISOString() },
    });
    expect(record?.message).toContain('the live last run was not touched');
  });

  it('stops at the deadline and resumes where it stopped, from a later invocation', async () => {
    const instanceId = anInstanceId('resume');
    const recording = recordingSink();
    const { progress } = await start(instanceId);

    // 3 s: 1 s past the commit reserve, so one fetch (10 of the window's alerts), then it gives up the lease.
    const first = await replay(instanceId, progress.replayId, recording.sink, Date.now() + 3_000);
    expect(first.replay?.status).toBe(ReplayStatus.running);
    expect(first.replay?.pushed).toBe(10);
    expect(replayFraction(first.replay!)).toBeGreaterThan(0);
    expect(replayFraction(first.replay!)).toBeLessThan(1);
    // No history yet: one record per replay, when it ends.
    expect(await fixture.store.listHistory(instanceId)).toEqual([]);

    // Running `ferry replay` again for the same window finds the unfinished one.
    const again = await start(instanceId);
    expect(again).toMatchObject({ resumed: true, progress: { replayId: progress.replayId } });
    const second = await replay(instanceId, progress.replayId, recording.sink);
    expect(second.replay).toMatchObject({ status: ReplayStatus.done, pushed: inside.length });
    expect(recording.ids()).toEqual(inside);
    expect(await fixture.store.listHistory(instanceId)).toHaveLength(1);
  });

  it('records a failed attempt in the history and continues from its saved point once resumed', async () => {
    const instanceId = anInstanceId('fail');
    const recording = recordingSink();
    const { progress } = await start(instanceId);
    await replay(instanceId, progress.replayId, recording.sink, Date.now() + 3_000);
    recording.failNext(1);

    const failed = await replay(instanceId, progress.replayId, recording.sink);
    expect(failed.error).toMatchObject({ code: 'SINK_FAILED' });
    expect(failed.replay).toMatchObject({ status: ReplayStatus.running, pushed: 10 });
    const [failure] = await fixture.store.listHistory(instanceId);
    expect(failure).toMatchObject({ action: 'replay', status: 'error', error: { code: 'SINK_FAILED' } });
    expect(failure?.message).toContain(`--resume ${progress.replayId}`);

    const resumed = await replay(instanceId, progress.replayId, recording.sink);
    expect(resumed.replay).toMatchObject({ status: ReplayStatus.done, pushed: inside.length });
    expect(recording.ids()).toEqual(inside);
    expect(resumed.replay?.lastError).toBeUndefined();
  });

  it('refuses a second runner while one holds the replay lease', async () => {
    const instanceId = anInstanceId('lease');
    const { progress } = await start(instanceId);
    await replays.acquire(instanceId, progress.replayId, {
      leaseId: 'someone-else',
      now: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    const outcome = await replay(instanceId, progress.replayId, recordingSink().sink);
    expect(outcome.error).toMatchObject({ code: 'LEASE_HELD' });
  });

  it('starts a new replay for another window, and refuses a window that is empty or in the future', async () => {
    const instanceId = anInstanceId('windows');
    const first = await start(instanceId);
    const other = await startOrResumeReplay(replays, {
      instanceId,
      connector: 'helloworld',
      from,
      to: new Date(to.getTime() - HOUR),
      now: Date.now(),
    });
    expect(other.resumed).toBe(false);
    expect(other.progress.replayId).not.toBe(first.progress.replayId);
    await expect(
      startOrResumeReplay(replays, {
        instanceId,
        connector: 'helloworld',
        from: to,
        to: from,
        now: Date.now(),
      }),
    ).rejects.toThrow(/must be before --to/);
    await expect(
      startOrResumeReplay(replays, {
        instanceId,
        connector: 'helloworld',
        from,
        to: new Date(Date.now() + HOUR),
        now: Date.now(),
      }),
    ).rejects.toThrow(/in the future/);
  });

  it('refuses an own-cursor connector: its cursor is not a time', async () => {
    const instanceId = anInstanceId('imap');
    const outcome = await runReplay(
      {
        document: { ...documentFor(instanceId), connector: 'imap' },
        connector: imap,
        replayId: 'whatever',
        secrets: async () => ({}),
        deadline: Date.now() + 10_000,
      },
      { store: fixture.store, replays, sink: recordingSink().sink, logger: silentLogger },
    );
    expect(outcome.error?.message).toMatch(/keeps its own cursor \(not a time\).*ferry last-run/);
  });
});
