import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CapacityCounter, countCapacity } from '../../../bench/capacity-counter.js';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import { createLocalDynamoClient } from '../../../local/dynamodb.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import { createCountingSink } from '../../../shared/kit/counting-sink.js';
import { runFetch } from '../../../shared/runner/run-fetch.js';
import { DynamoStateStore } from '../../../shared/state/dynamo-state-store.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { createManualClock, silentLogger } from '../../helpers/runtime.js';

// Issue 17's budget for a steady fetch at 10,000 incidents an hour with a 60-minute look-back: at
// most 10 write units and 40 read units, as DynamoDB reports them. Units depend only on item sizes,
// never on the machine's speed, so a test can hold the line the benchmark measures.

const MINUTE = 60_000;
const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const API_KEY = 'units-demo-key';
const PER_HOUR = 10_000;
const LOOK_BACK_MINUTES = 60;

let fixture: DynamoFixture;
let capacity: CapacityCounter;
let store: DynamoStateStore;
let source: DemoSource;
const clock = createManualClock(T0 - 2 * LOOK_BACK_MINUTES * MINUTE);

beforeAll(async () => {
  fixture = await startDynamoFixture();
  // A client of its own, so that only the store's requests are counted.
  const client = createLocalDynamoClient(fixture.dynamo.endpoint);
  capacity = countCapacity(client);
  store = new DynamoStateStore({ client, tableName: fixture.tables.state });
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0, now: clock.now, seed: 17 });
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await source?.close();
  await fixture?.stop();
});

describe('a steady fetch at 10,000 incidents an hour with a 60-minute look-back', () => {
  it('consumes at most 10 write units and 40 read units, pushing every incident once', async () => {
    const start = clock.now();
    const minutes = LOOK_BACK_MINUTES + 8;
    source.backlog((PER_HOUR / 60) * (minutes + 1), { from: start, to: start + (minutes + 1) * MINUTE });
    const sink = createCountingSink();
    const document = instanceDocumentSchema.parse({
      id: anInstanceId('units'),
      connector: 'helloworld',
      params: {
        url: source.url,
        first_fetch: new Date(start).toISOString(),
        look_back: LOOK_BACK_MINUTES,
        max_fetch: 1000,
      },
      secrets: { apiKey: { env: 'UNUSED' } },
      sink: { type: 'ferry' },
    });
    const fetchOnce = async () => {
      clock.advance(MINUTE);
      capacity.reset();
      const outcome = await runFetch(
        {
          document,
          connector: helloworld,
          secrets: async () => ({ apiKey: API_KEY }),
          deadline: clock.now() + 60_000,
        },
        { store, sink, logger: silentLogger, clock: clock.now },
      );
      expect(outcome.status).toBe('ok');
      return { outcome, writeUnits: capacity.writeUnits, readUnits: capacity.readUnits };
    };
    // The window fills for an hour; then every fetch is a steady one.
    for (let minute = 0; minute < LOOK_BACK_MINUTES + 2; minute++) await fetchOnce();

    const steady = [];
    for (let minute = 0; minute < 5; minute++) steady.push(await fetchOnce());

    for (const { outcome, writeUnits, readUnits } of steady) {
      expect(outcome.fetches).toBe(1);
      expect(outcome.pushed).toBeGreaterThan(150);
      expect(outcome.dropped).toBeGreaterThan(9_000); // the look-back re-read the hour
      expect(writeUnits).toBeLessThanOrEqual(10);
      expect(readUnits).toBeLessThanOrEqual(40);
    }
    // Still exactly once: the seen ids read back from the log dropped every repeat.
    expect([...sink.counts.values()].every((count) => count === 1)).toBe(true);
  }, 600_000);
});
