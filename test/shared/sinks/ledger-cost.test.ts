import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Incident, incidentKey } from '../../../shared/incident.js';
import type { IncidentBatch } from '../../../shared/sinks/sink.js';
import { createXsoarSink } from '../../../shared/sinks/xsoar-sink.js';
import { startXsoarStandIn, type XsoarStandIn } from '../../helpers/xsoar/stand-in.js';
import { anInstanceId, type LedgerFixture, startLedgerFixture } from './ledger-fixture.js';

// What the delivery ledger costs a push, measured against DynamoDB Local and a local XSOAR: DynamoDB
// requests per batch (the billing is per item: one read and one write unit per incident, every ledger
// item being well under 1 KB), and the time it adds. Run with `--reporter=verbose` to see the figures.

const apiKey = 'cost-api-key';
const size = 200; // max_fetch's default
let fixture: LedgerFixture;
let xsoar: XsoarStandIn;

beforeAll(async () => {
  fixture = await startLedgerFixture();
  xsoar = await startXsoarStandIn({ flavour: 6, apiKey });
});

afterAll(async () => {
  await xsoar?.close();
  await fixture?.stop();
});

afterEach(() => {
  xsoar.delayMs = 0;
});

const batch = (instance: string, runId: string): IncidentBatch => ({
  instance,
  connector: 'helloworld',
  runId,
  incidents: Array.from(
    { length: size },
    (_, i): Incident => ({ name: `Alert ${i}`, dbotMirrorId: `A-${i}` }),
  ).map((incident) => ({ key: incidentKey(incident), incident })),
});

const measure = async (options: {
  ledger: boolean;
  xsoarLatencyMs: number;
  instance?: string;
  runId?: string;
}) => {
  xsoar.delayMs = options.xsoarLatencyMs;
  const sink = createXsoarSink({
    url: xsoar.url,
    apiKey,
    concurrency: 4,
    ledger: options.ledger ? fixture.ledger : undefined,
  });
  fixture.requests.clear();
  const xsoarBefore = xsoar.requests.length;
  const started = performance.now();
  const result = await sink.push(batch(options.instance ?? anInstanceId(), options.runId ?? 'run-1'));
  return {
    ms: Math.round(performance.now() - started),
    batchGets: fixture.requests.get('BatchGetItem') ?? 0,
    batchWrites: fixture.requests.get('BatchWriteItem') ?? 0,
    xsoarRequests: xsoar.requests.length - xsoarBefore,
    duplicates: result.duplicates,
  };
};

describe('the cost of the delivery ledger', () => {
  it(`takes 2 BatchGetItem and at most ${size} BatchWriteItem requests for ${size} incidents`, {
    timeout: 180_000,
  }, async () => {
    const rows: Record<string, unknown>[] = [];
    for (const xsoarLatencyMs of [0, 20]) {
      await measure({ ledger: false, xsoarLatencyMs }); // warm-up: connections, JIT
      const without = await measure({ ledger: false, xsoarLatencyMs });
      const instance = anInstanceId();
      const withLedger = await measure({ ledger: true, xsoarLatencyMs, instance });
      const retried = await measure({ ledger: true, xsoarLatencyMs, instance, runId: 'run-2' });
      rows.push(
        { case: `no ledger, XSOAR ${xsoarLatencyMs} ms`, ...without },
        { case: `ledger, XSOAR ${xsoarLatencyMs} ms`, ...withLedger },
        { case: `ledger, retried push, XSOAR ${xsoarLatencyMs} ms`, ...retried },
      );

      expect(withLedger.batchGets).toBe(Math.ceil(size / 100));
      expect(withLedger.batchWrites).toBeGreaterThanOrEqual(Math.ceil(size / 25));
      expect(withLedger.batchWrites).toBeLessThanOrEqual(size);
      expect(withLedger.xsoarRequests).toBe(size);
      expect(retried).toMatchObject({ batchGets: 2, batchWrites: 0, xsoarRequests: 0, duplicates: size });
    }
    console.table(rows);
  });

  it('reads 200 keys in two parallel BatchGetItem requests and writes 25 items in one BatchWriteItem', async () => {
    const instance = anInstanceId();
    const keys = Array.from({ length: size }, (_, i) => `A-${i}`);
    const timings: Record<string, number> = {};
    for (let round = 0; round < 5; round++) {
      let started = performance.now();
      await fixture.ledger.lookup(instance, 'scope', keys);
      timings.lookup = Math.min(timings.lookup ?? Number.POSITIVE_INFINITY, performance.now() - started);
      started = performance.now();
      await fixture.ledger.record(
        instance,
        'scope',
        keys.slice(0, 25).map((key) => ({ key, sinkId: '1' })),
        { runId: 'r', expiresAt: 1 },
      );
      timings.write25 = Math.min(timings.write25 ?? Number.POSITIVE_INFINITY, performance.now() - started);
    }
    console.table({ 'best of 5 (ms), DynamoDB Local': timings });
    expect(timings.lookup).toBeGreaterThan(0);
  });
});
