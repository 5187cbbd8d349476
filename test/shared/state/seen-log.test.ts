import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../../shared/errors.js';
import { SeenIds } from '../../../shared/lookback/seen-ids.js';
import { DynamoStateStore } from '../../../shared/state/dynamo-state-store.js';
import { INLINE_SEEN_BYTES, planSeen, replaySeenLog } from '../../../shared/state/seen-log.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const LOOK_BACK = 60 * MINUTE;

/** The seen ids a window fetch would hold after adding `count` ids in the minute of `at`. */
const seenAfter = (seen: Record<string, string>, at: number, count: number, label = 'id') => {
  const ids = SeenIds.parse(seen);
  for (let index = 0; index < count; index++) ids.add(`${label}-${at}-${index}`, at + index);
  ids.pruneBefore(at - LOOK_BACK);
  return ids.serialize();
};

/** An hour of ids, 50 a minute: far past what stays inline. */
const anHourOfIds = (until: number) => {
  let seen: Record<string, string> = {};
  for (let at = until - LOOK_BACK + MINUTE; at <= until; at += MINUTE) seen = seenAfter(seen, at, 50);
  return seen;
};

describe('planning the seen-id log (pure)', () => {
  it('keeps a small map inline and writes no item', () => {
    const seen = seenAfter({}, T0, 3);
    const plan = planSeen({ items: [] }, { time: 'x', seen }, 1);
    expect(JSON.stringify(seen).length).toBeLessThan(INLINE_SEEN_BYTES);
    expect(plan.inlineLastRun).toEqual({ time: 'x', seen });
    expect(plan.pointer).toBeUndefined();
    expect(plan.item).toBeUndefined();
  });

  it('writes a base first, then only the hashes each commit added, and replays to the same map', () => {
    const first = anHourOfIds(T0);
    const base = planSeen({ items: [] }, { time: 'a', seen: first }, 1);
    expect(base.item).toMatchObject({ version: 1, base: true, buckets: first });
    expect(base.inlineLastRun).toEqual({ time: 'a' });

    const second = seenAfter(first, T0 + MINUTE, 50);
    const delta = planSeen(base.next, { time: 'b', seen: second }, 2);
    const newMinute = String(Math.floor((T0 + MINUTE) / MINUTE));
    expect(delta.item).toMatchObject({
      version: 2,
      base: false,
      buckets: { [newMinute]: second[newMinute] },
    });
    expect(Object.keys(delta.item!.buckets)).toEqual([newMinute]);
    expect(replaySeenLog(delta.pointer!, delta.next.items)).toEqual(second);
  });

  it('writes a base again when a minute lost hashes (not the previous map plus additions)', () => {
    const first = anHourOfIds(T0);
    const base = planSeen({ items: [] }, { seen: first }, 1);
    const [minute, packed] = Object.entries(first).at(-1)!;
    const shrunk = { ...first, [minute]: packed.slice(8) };
    const plan = planSeen(base.next, { seen: shrunk }, 2);
    expect(plan.item?.base).toBe(true);
    expect(plan.pointer?.from).toBe(2);
    expect(replaySeenLog(plan.pointer!, plan.next.items)).toEqual(shrunk);
  });

  it('moves the start of the log past items whose minutes all left the window', () => {
    let seen = anHourOfIds(T0);
    let plan = planSeen({ items: [] }, { seen }, 1);
    for (let minute = 1; minute <= 70; minute++) {
      seen = seenAfter(seen, T0 + minute * MINUTE, 50);
      plan = planSeen(plan.next, { seen }, minute + 1);
    }
    // The base held minutes that are all past now; the log starts at a delta, an hour of them.
    expect(plan.next.items.every((item) => !item.base)).toBe(true);
    expect(plan.next.items.length).toBeLessThanOrEqual(61);
    expect(replaySeenLog(plan.pointer!, plan.next.items)).toEqual(seen);
  });
});

describe('the seen-id log in DynamoDB Local', () => {
  let fixture: DynamoFixture;
  let doc: DynamoDBDocumentClient;
  let store: DynamoStateStore;

  beforeAll(async () => {
    fixture = await startDynamoFixture();
    doc = DynamoDBDocumentClient.from(fixture.client);
    store = fixture.store;
  }, DYNAMO_START_TIMEOUT_MS);

  afterAll(async () => {
    await fixture?.stop();
  });

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
  const seenItems = async (instanceId: string) =>
    (
      await doc.send(
        new QueryCommand({
          TableName: fixture.tables.state,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': instanceId, ':prefix': 'SEEN#' },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];

  const commit = (
    instanceId: string,
    leaseId: string,
    expectedVersion: number,
    lastRun: Record<string, unknown>,
    now: number,
    commitStore = store,
  ) => commitStore.commit(instanceId, { leaseId, expectedVersion, lastRun, now, release: true, pushed: 1 });

  it('keeps a large seen map out of the STATE item and reads it back whole', async () => {
    const instanceId = anInstanceId('seen-split');
    const lastRun = { time: new Date(T0).toISOString(), seen: anHourOfIds(T0) };
    await store.acquire(instanceId, { leaseId: 'a', now: T0, expiresAt: T0 + MINUTE });
    await commit(instanceId, 'a', 0, lastRun, T0 + 1_000);

    const state = await rawState(instanceId);
    expect(state?.lastRun).toEqual({ time: lastRun.time });
    expect(state?.seenLog).toMatchObject({
      from: 1,
      floor: Math.min(...Object.keys(lastRun.seen).map(Number)),
    });
    expect(await seenItems(instanceId)).toHaveLength(1);
    const again = await store.acquire(instanceId, {
      leaseId: 'b',
      now: T0 + MINUTE,
      expiresAt: T0 + 2 * MINUTE,
    });
    expect(again.lastRun).toEqual(lastRun);
    expect((await store.read(instanceId))?.lastRun).toEqual(lastRun);
  });

  it('writes with each commit only the ids it added, also from a store that did not acquire', async () => {
    const instanceId = anInstanceId('seen-delta');
    let seen = anHourOfIds(T0);
    await store.acquire(instanceId, { leaseId: 'a', now: T0, expiresAt: T0 + MINUTE });
    await commit(instanceId, 'a', 0, { seen }, T0 + 1_000);
    const other = new DynamoStateStore({ client: fixture.client, tableName: fixture.tables.state });
    for (let minute = 1; minute <= 3; minute++) {
      const now = T0 + minute * MINUTE;
      const { version } = await store.acquire(instanceId, {
        leaseId: `r${minute}`,
        now,
        expiresAt: now + MINUTE,
      });
      seen = seenAfter(seen, now, 50);
      // The third commit goes through a store without the acquire's snapshot: it reads the log again.
      await commit(instanceId, `r${minute}`, version, { seen }, now + 1_000, minute === 3 ? other : store);
    }

    const items = await seenItems(instanceId);
    expect(items.map((item) => item.base)).toEqual([true, false, false, false]);
    for (const delta of items.slice(1)) expect(Object.keys(delta.buckets)).toHaveLength(1);
    expect((await store.read(instanceId))?.lastRun).toEqual({ seen });
  });

  it('commits nothing of a run whose lease expired and was taken over: the new holder reads only its own ids', async () => {
    const instanceId = anInstanceId('seen-overlap');
    const seen = anHourOfIds(T0);
    await store.acquire(instanceId, { leaseId: 'setup', now: T0, expiresAt: T0 + MINUTE });
    await commit(instanceId, 'setup', 0, { seen }, T0 + 1_000);
    // A holds a short lease and stalls past it; B takes the instance over.
    const slowStore = new DynamoStateStore({ client: fixture.client, tableName: fixture.tables.state });
    const a = await slowStore.acquire(instanceId, {
      leaseId: 'A',
      now: T0 + MINUTE,
      expiresAt: T0 + MINUTE + 5_000,
    });
    const b = await store.acquire(instanceId, {
      leaseId: 'B',
      now: T0 + MINUTE + 10_000,
      expiresAt: T0 + 3 * MINUTE,
    });
    expect(b.lastRun).toEqual(a.lastRun);
    const seenByB = seenAfter(seen, T0 + MINUTE, 50, 'b');
    const seenByA = seenAfter(seen, T0 + MINUTE, 70, 'a');
    await commit(instanceId, 'B', b.version, { seen: seenByB }, T0 + MINUTE + 20_000);

    // A's commit (same version, its own ids) is cancelled whole: no seen item, no cursor.
    await expect(
      commit(instanceId, 'A', a.version, { seen: seenByA }, T0 + MINUTE + 30_000, slowStore),
    ).rejects.toBeInstanceOf(LeaseLostError);
    // A's lease is gone, and with it any chance of a write: even a commit inside its old lease fails.
    await expect(
      commit(instanceId, 'A', a.version, { seen: seenByA }, T0 + MINUTE + 1_000, slowStore),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await seenItems(instanceId)).toHaveLength(2);
    expect((await store.read(instanceId))?.lastRun).toEqual({ seen: seenByB });
  });

  it("starts a new log at an operator's write, so nothing of the old one is read into it", async () => {
    const instanceId = anInstanceId('seen-operator');
    const seen = anHourOfIds(T0);
    await store.acquire(instanceId, { leaseId: 'a', now: T0, expiresAt: T0 + MINUTE });
    await commit(instanceId, 'a', 0, { time: 'before', seen }, T0 + 1_000);
    const oldLog = (await rawState(instanceId))?.seenLog;

    await store.setLastRun(instanceId, { lastRun: { time: 'reset' }, now: T0 + 2 * MINUTE });
    expect((await rawState(instanceId))?.seenLog).toBeUndefined();
    expect((await store.read(instanceId))?.lastRun).toEqual({ time: 'reset' });

    const replaced = anHourOfIds(T0 + 5 * MINUTE);
    await store.setLastRun(instanceId, { lastRun: { time: 'set', seen: replaced }, now: T0 + 3 * MINUTE });
    expect((await rawState(instanceId))?.seenLog.id).not.toBe(oldLog.id);
    const { lastRun } = await store.acquire(instanceId, {
      leaseId: 'b',
      now: T0 + 4 * MINUTE,
      expiresAt: T0 + 5 * MINUTE,
    });
    expect(lastRun).toEqual({ time: 'set', seen: replaced });
  });

  it('keeps the look-back of a drain across commits under one lease', async () => {
    const instanceId = anInstanceId('seen-drain');
    let seen = anHourOfIds(T0);
    await store.acquire(instanceId, { leaseId: 'drain', now: T0, expiresAt: T0 + 5 * MINUTE });
    for (let page = 0; page < 3; page++) {
      seen = seenAfter(seen, T0 + page * 1_000, 40, `p${page}`);
      await store.commit(instanceId, {
        leaseId: 'drain',
        expectedVersion: page,
        lastRun: { seen },
        now: T0 + page * 1_000 + 500,
        release: page === 2,
        pushed: 40,
      });
    }
    expect((await store.read(instanceId))?.lastRun).toEqual({ seen });
    expect((await rawState(instanceId))?.leaseId).toBeUndefined();
  });
});
