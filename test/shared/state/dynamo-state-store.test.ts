import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LeaseHeldError,
  LeaseLostError,
  StateConflictError,
  StateCorruptError,
} from '../../../shared/errors.js';
import { createIntegrationContext } from '../../../shared/integration-context.js';
import type { HistoryRecord } from '../../../shared/state/history-record.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';

const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const LEASE_MS = 65_000;

let fixture: DynamoFixture;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  fixture = await startDynamoFixture();
  doc = DynamoDBDocumentClient.from(fixture.client);
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await fixture?.stop();
});

const store = () => fixture.store;
const rawState = async (instanceId: string) =>
  (
    await doc.send(
      new GetCommand({
        TableName: fixture.tables.state,
        Key: { pk: instanceId, sk: 'STATE' },
        ConsistentRead: true,
      }),
    )
  ).Item;

const acquire = (instanceId: string, leaseId: string, now = T0) =>
  store().acquire(instanceId, { leaseId, now, expiresAt: now + LEASE_MS });

/** An instance that committed `{ time: '...' }` once and released its lease: version 1. */
const committedInstance = async () => {
  const instanceId = anInstanceId();
  await acquire(instanceId, 'run-0');
  await store().commit(instanceId, {
    leaseId: 'run-0',
    expectedVersion: 0,
    lastRun: { time: '2026-03-10T11:00:00.000Z' },
    now: T0 + 1_000,
    release: true,
    pushed: 3,
  });
  return instanceId;
};

const aHistoryRecord = (instanceId: string, startedAt: string, runId: string): HistoryRecord => ({
  instanceId,
  connector: 'helloworld',
  runId,
  startedAt,
  durationMs: 12,
  status: 'ok',
  fetches: 1,
  pages: 1,
  pulled: 2,
  dropped: 0,
  pushed: 2,
  sourceIds: ['A-1', 'A-2'],
  sourceIdCount: 2,
});

describe('DynamoStateStore: the lease', () => {
  it('leases a fresh instance and reads its empty last run at version 0', async () => {
    const instanceId = anInstanceId();

    const state = await acquire(instanceId, 'run-1');

    expect(state).toMatchObject({
      instanceId,
      lastRun: {},
      version: 0,
      leaseId: 'run-1',
      leaseExpiresAt: T0 + LEASE_MS,
      health: { consecutiveFailures: 0 },
    });
  });

  it('refuses a second acquire while the lease is held, saying until when', async () => {
    const instanceId = anInstanceId();
    await acquire(instanceId, 'run-1');

    const error = await acquire(instanceId, 'run-2', T0 + 10_000).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LeaseHeldError);
    expect(error).toMatchObject({ code: 'LEASE_HELD', heldUntil: T0 + LEASE_MS });
    expect((error as Error).message).toContain('its lease expires at 2026-03-10T12:01:05.000Z');
    expect((await rawState(instanceId))?.leaseId).toBe('run-1');
  });

  it('lets the next run take a lease whose holder died (it expired by itself)', async () => {
    const instanceId = await committedInstance();
    await acquire(instanceId, 'killed-run', T0 + 2_000);

    const state = await acquire(instanceId, 'next-run', T0 + 2_000 + LEASE_MS + 1);

    expect(state).toMatchObject({
      leaseId: 'next-run',
      version: 1,
      lastRun: { time: '2026-03-10T11:00:00.000Z' },
    });
  });
});

describe('DynamoStateStore: commit', () => {
  it('moves the last run and the version, clears the failure count and releases the lease', async () => {
    const instanceId = anInstanceId();
    await acquire(instanceId, 'run-1');

    const version = await store().commit(instanceId, {
      leaseId: 'run-1',
      expectedVersion: 0,
      lastRun: { time: '2026-03-10T11:59:00.000Z' },
      now: T0 + 500,
      release: true,
      pushed: 2,
      message: { text: 'all good', isError: false },
    });

    expect(version).toBe(1);
    expect(await store().read(instanceId)).toMatchObject({
      lastRun: { time: '2026-03-10T11:59:00.000Z' },
      version: 1,
      leaseId: undefined,
      health: {
        consecutiveFailures: 0,
        lastSuccessAt: '2026-03-10T12:00:00.500Z',
        lastIncidentAt: '2026-03-10T12:00:00.500Z',
        message: 'all good',
        messageIsError: false,
      },
    });
  });

  it('keeps the lease when the drain loop goes on (release: false)', async () => {
    const instanceId = anInstanceId();
    await acquire(instanceId, 'run-1');

    await store().commit(instanceId, {
      leaseId: 'run-1',
      expectedVersion: 0,
      lastRun: { page: 1 },
      now: T0 + 1,
      release: false,
      pushed: 1,
    });
    const second = await store().commit(instanceId, {
      leaseId: 'run-1',
      expectedVersion: 1,
      lastRun: { page: 2 },
      now: T0 + 2,
      release: true,
      pushed: 1,
    });

    expect(second).toBe(2);
    expect(await store().read(instanceId)).toMatchObject({ lastRun: { page: 2 }, leaseId: undefined });
  });

  it.each([
    ['another lease id', { leaseId: 'not-mine' }],
    ['an expired lease', { now: T0 + LEASE_MS + 1 }],
    ['a stale version', { expectedVersion: 0 }],
  ])('refuses a commit with %s and leaves the state unchanged', async (_, change) => {
    const instanceId = await committedInstance();
    await acquire(instanceId, 'run-1');
    const before = await rawState(instanceId);

    const error = await store()
      .commit(instanceId, {
        leaseId: 'run-1',
        expectedVersion: 1,
        lastRun: { time: '2026-03-10T12:00:00.000Z' },
        now: T0 + 1_000,
        release: true,
        pushed: 5,
        ...change,
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as Error).message).toContain('the last run was left unchanged');
    expect(await rawState(instanceId)).toEqual(before);
  });
});

describe('DynamoStateStore: release', () => {
  it('records the failure and counts consecutive failures, without moving the last run', async () => {
    const instanceId = await committedInstance();

    for (const [index, runId] of ['run-1', 'run-2'].entries()) {
      await acquire(instanceId, runId, T0 + 10_000 * (index + 1));
      await store().release(instanceId, {
        leaseId: runId,
        now: T0 + 10_000 * (index + 1) + 500,
        failure: { code: 'SOURCE_AUTH', message: 'answered 401' },
        message: { text: 'Could not connect', isError: true },
      });
    }

    expect(await store().read(instanceId)).toMatchObject({
      lastRun: { time: '2026-03-10T11:00:00.000Z' },
      version: 1,
      leaseId: undefined,
      health: {
        consecutiveFailures: 2,
        lastError: 'answered 401',
        lastErrorCode: 'SOURCE_AUTH',
        lastErrorAt: '2026-03-10T12:00:20.500Z',
        message: 'Could not connect',
        messageIsError: true,
      },
    });
  });

  it('does not clear a lease that another run took over after ours expired', async () => {
    const instanceId = anInstanceId();
    await acquire(instanceId, 'slow-run');
    await acquire(instanceId, 'new-run', T0 + LEASE_MS + 1);

    await store().release(instanceId, { leaseId: 'slow-run', now: T0 + LEASE_MS + 2 });

    expect((await store().read(instanceId))?.leaseId).toBe('new-run');
  });

  it('resets the failure count with the next successful commit', async () => {
    const instanceId = anInstanceId();
    await acquire(instanceId, 'run-1');
    await store().release(instanceId, { leaseId: 'run-1', now: T0, failure: { code: 'X', message: 'x' } });
    await acquire(instanceId, 'run-2', T0 + 1);

    await store().commit(instanceId, {
      leaseId: 'run-2',
      expectedVersion: 0,
      lastRun: { n: 1 },
      now: T0 + 2,
      release: true,
      pushed: 0,
    });

    const state = await store().read(instanceId);
    expect(state?.health).toMatchObject({ consecutiveFailures: 0, lastError: undefined });
    expect(state?.health.lastIncidentAt).toBeUndefined();
  });
});

describe('DynamoStateStore: setLastRun (operator)', () => {
  it('sets the last run and bumps the version', async () => {
    const instanceId = await committedInstance();

    const version = await store().setLastRun(instanceId, {
      lastRun: {},
      now: T0 + 5_000,
      expectedVersion: 1,
    });

    expect(version).toBe(2);
    expect(await store().read(instanceId)).toMatchObject({ lastRun: {}, version: 2 });
  });

  it('is refused while a fetch holds the lease', async () => {
    const instanceId = await committedInstance();
    await acquire(instanceId, 'run-1', T0 + 5_000);

    const error = await store()
      .setLastRun(instanceId, { lastRun: {}, now: T0 + 6_000, expectedVersion: 1 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LeaseHeldError);
    expect((await store().read(instanceId))?.lastRun).toEqual({ time: '2026-03-10T11:00:00.000Z' });
  });

  it('is refused when the last run changed since the operator read it', async () => {
    const instanceId = await committedInstance();

    await expect(
      store().setLastRun(instanceId, { lastRun: {}, now: T0 + 5_000, expectedVersion: 0 }),
    ).rejects.toBeInstanceOf(StateConflictError);
  });

  it('creates the state of an instance that never ran', async () => {
    const instanceId = anInstanceId();

    await store().setLastRun(instanceId, {
      lastRun: { time: '2026-01-01T00:00:00Z' },
      now: T0,
      expectedVersion: 0,
    });

    expect(await store().read(instanceId)).toMatchObject({
      lastRun: { time: '2026-01-01T00:00:00Z' },
      version: 1,
    });
  });
});

describe('DynamoStateStore: a corrupted state item', () => {
  const corrupt = async (instanceId: string) =>
    doc.send(
      new PutCommand({
        TableName: fixture.tables.state,
        Item: { pk: instanceId, sk: 'STATE', lastRun: 'not a map', version: 'seven' },
      }),
    );

  it('is refused with what was found and how to repair it, never silently reset', async () => {
    const instanceId = anInstanceId();
    await corrupt(instanceId);

    const error = await store()
      .read(instanceId)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StateCorruptError);
    expect(error).toMatchObject({ code: 'STATE_CORRUPT' });
    expect((error as Error).message).toBe(
      `The state item of instance "${instanceId}" is corrupted (lastRun must be a map and version a non-negative integer; ` +
        'found lastRun "not a map" and version "seven"). ' +
        `Repair it with "ferry last-run ${instanceId} --set '<json>'" ` +
        `or start over with "ferry last-run ${instanceId} --reset" (re-fetches from first_fetch).`,
    );
    await expect(acquire(instanceId, 'run-1')).rejects.toBeInstanceOf(StateCorruptError);
  });

  it('can be repaired by an operator, as the error says', async () => {
    const instanceId = anInstanceId();
    await corrupt(instanceId);

    const version = await store().setLastRun(instanceId, {
      lastRun: { time: '2026-03-01T00:00:00Z' },
      now: T0,
    });

    expect(version).toBe(1);
    expect(await store().read(instanceId)).toMatchObject({
      lastRun: { time: '2026-03-01T00:00:00Z' },
      version: 1,
    });
  });

  it('is not overwritten by a write that expects a version', async () => {
    const instanceId = anInstanceId();
    await corrupt(instanceId);

    await expect(
      store().setLastRun(instanceId, { lastRun: {}, now: T0, expectedVersion: 0 }),
    ).rejects.toBeInstanceOf(StateCorruptError);
  });
});

describe('DynamoStateStore: history', () => {
  it('lists the records newest first, each expiring its retention after it was written', async () => {
    const instanceId = anInstanceId();
    const writtenFrom = Math.floor(Date.now() / 1000);
    await store().writeHistory(aHistoryRecord(instanceId, '2026-03-10T12:00:00.000Z', 'run-a'));
    await store().writeHistory(aHistoryRecord(instanceId, '2026-03-10T12:02:00.000Z', 'run-c'));
    await store().writeHistory(aHistoryRecord(instanceId, '2026-03-10T12:01:00.000Z', 'run-b'));

    const records = await store().listHistory(instanceId);

    expect(records.map((record) => record.runId)).toEqual(['run-c', 'run-b', 'run-a']);
    const writtenBy = Math.floor(Date.now() / 1000);
    expect(records[0]).toMatchObject(aHistoryRecord(instanceId, '2026-03-10T12:02:00.000Z', 'run-c'));
    // Retention counts from when the record was written (TTL compares with real time), not from its run.
    expect(records[0]!.expiresAt).toBeGreaterThanOrEqual(writtenFrom + 30 * 86_400);
    expect(records[0]!.expiresAt).toBeLessThanOrEqual(writtenBy + 30 * 86_400);
    expect(await store().listHistory(instanceId, { limit: 2 })).toHaveLength(2);
  });

  it("keeps one instance's history apart from another's and from its state item", async () => {
    const instanceId = await committedInstance();
    const other = anInstanceId();
    await store().writeHistory(aHistoryRecord(other, '2026-03-10T12:00:00.000Z', 'run-x'));

    expect(await store().listHistory(instanceId)).toEqual([]);
  });
});

describe('DynamoStateStore: integration context', () => {
  it('starts empty at version 0 and is versioned by every write', async () => {
    const instanceId = anInstanceId();
    expect(await store().getContext(instanceId)).toEqual({ value: {}, version: 0 });

    const v1 = await store().setContext(instanceId, { token: 'a' }, 0);
    const v2 = await store().setContext(instanceId, { token: 'b' }, v1);

    expect([v1, v2]).toEqual([1, 2]);
    expect(await store().getContext(instanceId)).toEqual({ value: { token: 'b' }, version: 2 });
  });

  it('refuses a write based on a version another writer already replaced', async () => {
    const instanceId = anInstanceId();
    await store().setContext(instanceId, { token: 'a' }, 0);

    const error = await store()
      .setContext(instanceId, { token: 'stale' }, 0)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StateConflictError);
    expect(error).toMatchObject({ existing: expect.objectContaining({ value: { token: 'a' }, version: 1 }) });
    expect((await store().getContext(instanceId)).value).toEqual({ token: 'a' });
  });

  it('lets exactly one of two connector handles that read the same version write', async () => {
    const instanceId = anInstanceId();
    const first = createIntegrationContext(store(), instanceId);
    const second = createIntegrationContext(store(), instanceId);
    await first.get();
    await second.get();

    await first.set({ owner: 'first' });
    const error = await second.set({ owner: 'second' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StateConflictError);
    expect(await first.get()).toEqual({ owner: 'first' });
  });
});
