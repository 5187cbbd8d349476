import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openLedgerSession } from '../../../shared/sinks/ledger-session.js';
import {
  type DeliveryLedger,
  LEDGER_PREFIX,
  ledgerScope,
  ledgerSortKey,
} from '../../../shared/state/delivery-ledger.js';
import { anInstanceId, type LedgerFixture, startLedgerFixture } from './ledger-fixture.js';

let fixture: LedgerFixture;

beforeAll(async () => {
  fixture = await startLedgerFixture();
});

afterAll(async () => {
  await fixture?.stop();
});

beforeEach(() => {
  fixture.requests.clear();
});

const scope = ledgerScope('xsoar:api:https://xsoar.example.com/incident');
const record = (instance: string, deliveries: { key: string; sinkId?: string }[], target = scope) =>
  fixture.ledger.record(instance, target, deliveries, {
    runId: 'run-1',
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });

describe('the delivery ledger on DynamoDB Local', () => {
  it('finds what was recorded, with the id the endpoint gave it, and nothing else', async () => {
    const instance = anInstanceId();
    await record(instance, [{ key: 'a', sinkId: '101' }, { key: 'b' }]);

    const found = await fixture.ledger.lookup(instance, scope, ['a', 'b', 'c']);

    // BatchGetItem answers in no particular order: the ledger maps by key.
    expect(Object.fromEntries(found)).toEqual({ a: { key: 'a', sinkId: '101' }, b: { key: 'b' } });
  });

  it('keeps instances and targets apart', async () => {
    const [first, second] = [anInstanceId(), anInstanceId()];
    const otherXsoar = ledgerScope('xsoar:api:https://other.example.com/incident');
    await record(first, [{ key: 'shared', sinkId: '1' }]);

    expect((await fixture.ledger.lookup(second, scope, ['shared'])).size).toBe(0);
    expect((await fixture.ledger.lookup(first, otherXsoar, ['shared'])).size).toBe(0);
    expect((await fixture.ledger.lookup(first, scope, ['shared'])).get('shared')?.sinkId).toBe('1');
  });

  it('stores one small item per incident under LEDGER#, with the TTL attribute expiresAt', async () => {
    const instance = anInstanceId();
    const expiresAt = Math.floor(Date.now() / 1000) + 7 * 86_400;
    await fixture.ledger.record(instance, scope, [{ key: 'alert-1', sinkId: '4711' }], {
      runId: 'run-7',
      expiresAt,
    });

    const { Item } = await fixture.client.send(
      new GetItemCommand({
        TableName: fixture.tables.state,
        Key: { pk: { S: instance }, sk: { S: `${LEDGER_PREFIX}${scope}#alert-1` } },
        ConsistentRead: true,
      }),
    );

    const item = unmarshall(Item ?? {});
    expect(item).toMatchObject({ pk: instance, sinkId: '4711', runId: 'run-7', expiresAt });
    // Under 1 KB: one write unit to put, one read unit to read consistently.
    expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(1024);
  });

  it('stores a key longer than a sort key may be under its hash, and finds it again', async () => {
    const instance = anInstanceId();
    const long = `id-${'x'.repeat(2000)}`;
    await record(instance, [{ key: long, sinkId: '9' }]);

    expect(ledgerSortKey(scope, long)).toMatch(/#h:/);
    expect((await fixture.ledger.lookup(instance, scope, [long])).get(long)).toEqual({
      key: long,
      sinkId: '9',
    });
  });

  it('reads 100 keys a BatchGetItem and writes 25 items a BatchWriteItem', async () => {
    const instance = anInstanceId();
    const keys = Array.from({ length: 250 }, (_, i) => `alert-${i}`);

    await record(
      instance,
      keys.map((key, i) => ({ key, sinkId: String(i) })),
    );
    const found = await fixture.ledger.lookup(instance, scope, keys);

    expect(found.size).toBe(250);
    expect(found.get('alert-249')?.sinkId).toBe('249');
    expect(fixture.requests.get('BatchWriteItem')).toBe(10);
    expect(fixture.requests.get('BatchGetItem')).toBe(3);
  });

  it('records a key recorded twice in one call once (BatchWriteItem refuses duplicates)', async () => {
    const instance = anInstanceId();
    await record(instance, [
      { key: 'a', sinkId: '1' },
      { key: 'a', sinkId: '2' },
    ]);
    expect((await fixture.ledger.lookup(instance, scope, ['a'])).get('a')?.sinkId).toBe('2');
  });
});

describe('a ledger session', () => {
  it('writes a delivery at once when no write is in flight, and groups the ones that arrive meanwhile', async () => {
    const instance = anInstanceId();
    const session = await openLedgerSession(
      { ledger: fixture.ledger, instanceId: instance, scope, runId: 'run-1', ttlSeconds: 3600 },
      ['a', 'b', 'c', 'd'],
    );
    fixture.requests.clear();

    session.record({ key: 'a', sinkId: '1' }); // goes out now
    session.record({ key: 'b', sinkId: '2' }); // these three wait for it, then go together
    session.record({ key: 'c', sinkId: '3' });
    session.record({ key: 'd', sinkId: '4' });
    const outcome = await session.close();

    expect(outcome).toEqual({ writes: 2, failed: 0 });
    expect(fixture.requests.get('BatchWriteItem')).toBe(2);
    expect((await fixture.ledger.lookup(instance, scope, ['a', 'b', 'c', 'd'])).size).toBe(4);
  });

  it('gives a write past the push deadline only what is left of the grace the runner keeps', async () => {
    const hanging: DeliveryLedger = {
      lookup: async () => new Map(),
      record: (_instance, _scope, _deliveries, options) =>
        new Promise((_resolve, reject) =>
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
        ),
    };
    const session = await openLedgerSession(
      {
        ledger: hanging,
        instanceId: 'x',
        scope,
        runId: 'run-1',
        ttlSeconds: 60,
        deadline: Date.now() - 1_300,
      },
      ['a'],
    );
    const started = Date.now();
    session.record({ key: 'a' });
    const outcome = await session.close();
    expect(outcome.failed).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports deliveries it could not record instead of throwing', async () => {
    const broken = {
      lookup: async () => new Map(),
      record: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    };
    const session = await openLedgerSession(
      { ledger: broken, instanceId: 'x', scope, runId: 'run-1', ttlSeconds: 60 },
      ['a'],
    );
    session.record({ key: 'a' });
    const outcome = await session.close();
    expect(outcome.failed).toBe(1);
    expect(String(outcome.error)).toMatch(/Throughput/);
  });
});
