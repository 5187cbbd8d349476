import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../../../shared/state/dynamo-state-store.js';
import { COUNTED_HOURS, hourKey, incidentCounts, staleHours } from '../../../shared/state/incident-counts.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-10T12:30:00.000Z');

describe('incident counts (pure)', () => {
  it('keys counts by UTC hour', () => {
    expect(hourKey(T0)).toBe('2026-03-10T12');
    expect(hourKey(Date.parse('2026-03-10T23:59:59.999Z'))).toBe('2026-03-10T23');
  });

  it('sums the current hour, the last 24 hours and the last 168 hours', () => {
    const counts = {
      [hourKey(T0)]: 5, // this hour
      [hourKey(T0 - HOUR)]: 3, // the hour before: in the day, not in the hour
      [hourKey(T0 - 23 * HOUR)]: 2, // the oldest hour of the day
      [hourKey(T0 - 24 * HOUR)]: 7, // yesterday at this hour: the week only
      [hourKey(T0 - 167 * HOUR)]: 11, // the oldest hour of the week
      [hourKey(T0 - 168 * HOUR)]: 100, // past the week
    };
    expect(incidentCounts(counts, T0)).toEqual({ lastHour: 5, lastDay: 10, lastWeek: 28 });
  });

  it('counts nothing when there is no map (an instance that never pushed)', () => {
    expect(incidentCounts(undefined, T0)).toEqual({ lastHour: 0, lastDay: 0, lastWeek: 0 });
  });

  it('counts an hour ahead of the clock (a writer with a skewed clock) as the current hour', () => {
    expect(incidentCounts({ [hourKey(T0 + HOUR)]: 4 }, T0).lastHour).toBe(4);
  });

  it('names exactly the hours that fell out of the week as stale', () => {
    const counts = {
      [hourKey(T0)]: 1,
      [hourKey(T0 - (COUNTED_HOURS - 1) * HOUR)]: 1,
      [hourKey(T0 - COUNTED_HOURS * HOUR)]: 1,
      [hourKey(T0 - 400 * HOUR)]: 1,
    };
    expect(staleHours(counts, T0).sort()).toEqual(
      [hourKey(T0 - 400 * HOUR), hourKey(T0 - COUNTED_HOURS * HOUR)].sort(),
    );
  });
});

describe('incident counts in the state item (DynamoDB Local)', () => {
  let fixture: DynamoFixture;
  let store: DynamoStateStore;
  let requests: string[];

  beforeAll(async () => {
    fixture = await startDynamoFixture();
    requests = [];
    // Counts every request the store sends: counting must not add one.
    fixture.client.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    store = new DynamoStateStore({ client: fixture.client, tableName: fixture.tables.state });
  }, DYNAMO_START_TIMEOUT_MS);

  afterAll(async () => {
    await fixture?.stop();
  });

  const raw = async (instanceId: string, sk = 'STATE') =>
    (
      await DynamoDBDocumentClient.from(fixture.client).send(
        new GetCommand({
          TableName: fixture.tables.state,
          Key: { pk: instanceId, sk },
          ConsistentRead: true,
        }),
      )
    ).Item;

  const fetchOnce = async (instanceId: string, now: number, pushed: number) => {
    const state = await store.acquire(instanceId, { leaseId: `run-${now}`, now, expiresAt: now + 60_000 });
    await store.commit(instanceId, {
      leaseId: `run-${now}`,
      expectedVersion: state.version,
      lastRun: { time: new Date(now).toISOString() },
      now: now + 10,
      release: true,
      pushed,
      forgetHours: staleHours(state.pushedByHour, now),
    });
    return state;
  };

  it('records the first fetch and adds pushed incidents to their hour in the acquire and commit alone', async () => {
    const instanceId = anInstanceId('counts');
    requests.length = 0;
    const first = await fetchOnce(instanceId, T0, 4);
    expect(first.health.firstRunAt).toBe(new Date(T0).toISOString());
    expect(first.pushedByHour).toBeUndefined();
    await fetchOnce(instanceId, T0 + 60_000, 3);
    await fetchOnce(instanceId, T0 + HOUR, 0);
    await fetchOnce(instanceId, T0 + HOUR + 60_000, 2);
    // Two requests per fetch: counting rides on the acquire and the commit (history is the third);
    // the first commit of a new hour that pushes moves the finished hour out in its transaction.
    expect(requests).toEqual([...Array(7).fill('UpdateItemCommand'), 'TransactWriteItemsCommand']);

    const state = await store.read(instanceId);
    expect(state?.pushedByHour).toEqual({ '2026-03-10T12': 7, '2026-03-10T13': 2 });
    expect(state?.health.firstRunAt).toBe(new Date(T0).toISOString());
    expect(incidentCounts(state?.pushedByHour, T0 + HOUR + 120_000)).toEqual({
      lastHour: 2,
      lastDay: 9,
      lastWeek: 9,
    });
  });

  it('keeps the first run time when later fetches acquire', async () => {
    const instanceId = anInstanceId('first-run');
    await fetchOnce(instanceId, T0, 1);
    await fetchOnce(instanceId, T0 + 5 * HOUR, 1);
    expect((await raw(instanceId))?.firstRunAt).toBe(new Date(T0).toISOString());
  });

  it('keeps only the current hour in the state item; a finished hour gets an item that expires after the week', async () => {
    const instanceId = anInstanceId('hour-items');
    await fetchOnce(instanceId, T0, 5);
    await fetchOnce(instanceId, T0 + 3 * HOUR, 6);

    expect(await raw(instanceId)).toMatchObject({ pushedHour: hourKey(T0 + 3 * HOUR), pushedInHour: 6 });
    expect((await raw(instanceId))?.pushedByHour).toBeUndefined();
    const finished = await raw(instanceId, `COUNT#${hourKey(T0)}`);
    expect(finished).toMatchObject({ hour: hourKey(T0), count: 5 });
    // TTL: eight days after it was written (by the real clock, which TTL compares with).
    const eightDays = 8 * 24 * 3600;
    expect(finished?.expiresAt).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + eightDays - 120);
    expect(finished?.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + eightDays);
  });

  it('still counts the in-item map an older version wrote, and removes its hours past the week', async () => {
    const instanceId = anInstanceId('legacy-map');
    await fetchOnce(instanceId, T0, 1);
    const weekAgo = hourKey(T0 - 200 * HOUR);
    await DynamoDBDocumentClient.from(fixture.client).send(
      new UpdateCommand({
        TableName: fixture.tables.state,
        Key: { pk: instanceId, sk: 'STATE' },
        UpdateExpression: 'SET pushedByHour = :counts',
        ExpressionAttributeValues: { ':counts': { [hourKey(T0 - HOUR)]: 4, [weekAgo]: 9 } },
      }),
    );
    expect((await store.read(instanceId))?.pushedByHour).toEqual({
      [hourKey(T0)]: 1,
      [hourKey(T0 - HOUR)]: 4,
      [weekAgo]: 9,
    });

    await fetchOnce(instanceId, T0 + 60_000, 2);

    expect((await raw(instanceId))?.pushedByHour).toEqual({ [hourKey(T0 - HOUR)]: 4 });
    expect((await store.read(instanceId))?.pushedByHour).toEqual({
      [hourKey(T0)]: 3,
      [hourKey(T0 - HOUR)]: 4,
    });
  });

  it('adds nothing and forgets nothing for a fetch whose lease was lost', async () => {
    const instanceId = anInstanceId('lost');
    await fetchOnce(instanceId, T0, 2);
    const state = await store.acquire(instanceId, {
      leaseId: 'mine',
      now: T0 + HOUR,
      expiresAt: T0 + HOUR + 1,
    });
    await expect(
      store.commit(instanceId, {
        leaseId: 'mine',
        expectedVersion: state.version,
        lastRun: {},
        now: T0 + HOUR + 5, // past the lease
        release: true,
        pushed: 9,
      }),
    ).rejects.toThrow(/lost its lease/);
    expect((await store.read(instanceId))?.pushedByHour).toEqual({ '2026-03-10T12': 2 });
  });
});
