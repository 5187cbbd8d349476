import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backlogDrain } from '../../bench/benchmarks/backlog-drain.js';
import { catchUpAmplification } from '../../bench/benchmarks/catch-up.js';
import { coldStart } from '../../bench/benchmarks/cold-start.js';
import { dynamoRequests } from '../../bench/benchmarks/dynamo-requests.js';
import { dynamoUnits } from '../../bench/benchmarks/dynamo-units.js';
import { ingestRate } from '../../bench/benchmarks/ingest-rate.js';
import { memory } from '../../bench/benchmarks/memory.js';
import { rateLimitedDrain } from '../../bench/benchmarks/rate-limited-drain.js';
import { runnerOverhead } from '../../bench/benchmarks/runner-overhead.js';
import { stateSize } from '../../bench/benchmarks/state-size.js';
import { type BenchEnvironment, startBenchEnvironment } from '../../bench/environment.js';
import { machineInfo } from '../../bench/machine.js';
import { renderReport } from '../../bench/report.js';
import type { BenchOptions, BenchResult, Measurement } from '../../bench/result.js';
import { DYNAMO_START_TIMEOUT_MS } from '../helpers/local-dynamo.js';
import { startTestDynamo } from '../helpers/test-dynamo.js';

// A smoke test: every benchmark runs end to end at tiny sizes and reports well-formed figures. It
// asserts no timing: figures come from `npm run bench`, never from tests.

const options: BenchOptions = { quick: true, log: () => undefined };
const SLOW = 180_000;

let env: BenchEnvironment;

beforeAll(async () => {
  env = await startBenchEnvironment({
    warmUpCycles: 5,
    startDynamo: () => startTestDynamo({ startTimeoutMs: DYNAMO_START_TIMEOUT_MS - 10_000 }),
  });
}, DYNAMO_START_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await env?.stop();
});

const expectWellFormed = (item: Measurement) => {
  expect(item.name).not.toBe('');
  expect(item.unit).not.toBe('');
  expect(item.samples.length).toBeGreaterThan(0);
  expect(item.summary.n).toBe(item.samples.length);
  for (const value of [...item.samples, item.summary.min, item.summary.median, item.summary.max])
    expect(Number.isFinite(value)).toBe(true);
  expect(item.summary.min).toBeLessThanOrEqual(item.summary.median);
  expect(item.summary.median).toBeLessThanOrEqual(item.summary.max);
};

const expectResult = (result: BenchResult, id: string) => {
  expect(result.id).toBe(id);
  expect(result.method).not.toBe('');
  expect(result.measurements.length).toBeGreaterThan(0);
  result.measurements.forEach(expectWellFormed);
  if (result.ratio) expectWellFormed(result.ratio);
  for (const item of result.checks) {
    expect(item.target).not.toBe('');
    expect(typeof item.met).toBe('boolean');
    expect(Number.isFinite(item.value.median)).toBe(true);
  }
  // Every figure can be written into BENCHMARKS.md.
  const report = renderReport({
    machine: machineInfo(),
    quick: true,
    startedAt: new Date(),
    elapsedMs: result.elapsedMs,
    runs: [{ number: '1', title: result.title, result, loadBefore: '0', loadAfter: '0' }],
  });
  expect(report).toContain(`## 1. ${result.title}`);
  expect(report).not.toMatch(/NaN|undefined/);
};

describe('the benchmarks, at tiny sizes', () => {
  it(
    'runner overhead: the runner and the bare loop move the same alerts',
    async () => {
      expectResult(
        await runnerOverhead(env, options, { incidents: 300, runs: 1, warmUps: 1 }),
        'runner-overhead',
      );
    },
    SLOW,
  );

  it(
    'backlog drain: the handler drains the backlog into the sink, every incident once',
    async () => {
      const result = await backlogDrain(env, options, {
        main: { backlog: 1_500, timeoutMs: 30_000 },
        chained: { backlog: 1_500, timeoutMs: 30_000 },
        chainedMax: 1_500,
      });

      expectResult(result, 'backlog-drain');
      expect(result.notes.join(' ')).toContain('exactly once');
    },
    SLOW,
  );

  it(
    'catch-up: events read per incident pushed, for each look-back, every incident once',
    async () => {
      const result = await catchUpAmplification(env, options, 600);

      expectResult(result, 'catch-up');
      expect(result.measurements.filter((item) => item.unit === '×')).toHaveLength(3);
    },
    SLOW,
  );

  it(
    'rate-limited drain: paced by the source, every incident once, 429s counted',
    async () => {
      const result = await rateLimitedDrain(env, options, 3_000);

      expectResult(result, 'rate-limit');
      expect(result.notes.join(' ')).toContain('exactly once');
      expect(
        result.measurements.find((item) => item.name === 'Answered 429')!.summary.max,
      ).toBeGreaterThanOrEqual(0);
    },
    SLOW,
  );

  it(
    'ingest rate: the reference endpoint stores new incidents',
    async () => {
      expectResult(await ingestRate(env, options, { incidents: 30, runs: 1 }), 'ingest-rate');
    },
    SLOW,
  );

  it(
    'DynamoDB requests: counted at the client, at least the lease and the commit',
    async () => {
      const result = await dynamoRequests(env, options, { fetches: 2, perFetch: 5 });

      expectResult(result, 'dynamo-requests');
      expect(result.measurements[0]!.summary.min).toBeGreaterThanOrEqual(2);
    },
    SLOW,
  );

  it(
    'DynamoDB units: every row reports the units DynamoDB returned, and a priced month',
    async () => {
      const result = await dynamoUnits(env, options, { rates: [600], lookBacks: [0, 2], measured: 2 });

      expectResult(result, 'dynamo-units');
      // Every fetch writes: the acquire, the commit and the history record each cost a unit at least.
      for (const item of result.measurements.filter((m) => m.unit === 'WCU'))
        expect(item.summary.min).toBeGreaterThanOrEqual(3);
      expect(result.tables?.join('\n')).toMatch(/\$\/instance-month/);
      expect(result.tables?.join('\n')).not.toMatch(/NaN|undefined/);
    },
    SLOW,
  );

  it(
    'state size: the STATE item is read back and sized',
    async () => {
      const result = await stateSize(env, options, {
        perHour: 600,
        lookBackMinutes: 2,
        warmFetches: 3,
        measuredFetches: 2,
      });

      expectResult(result, 'state-size');
      expect(result.measurements[0]!.summary.min).toBeGreaterThan(0);
    },
    SLOW,
  );

  it(
    'cold start: every function is bundled and imported in a fresh process',
    async () => {
      const result = await coldStart(options, { runs: 1 });

      expectResult(result, 'cold-start');
      expect(result.measurements.some((item) => item.name.startsWith('helloworld'))).toBe(true);
      // The floors are measured beside the functions; without the SDK, helloworld is less than half.
      const kib = (prefix: string) =>
        result.measurements.find((item) => item.name.startsWith(prefix) && item.unit === 'KiB')!.summary
          .median;
      expect(kib("floor: helloworld's handler with the AWS SDK")).toBeLessThan(
        kib('helloworld (connector)') / 2,
      );
      expect(kib("floor: the AWS SDK's DynamoDB and SSM clients")).toBeGreaterThan(100);
    },
    SLOW,
  );

  it(
    'memory: a bundled invocation reports its peak RSS',
    async () => {
      const result = await memory(env, options, { incidents: 300, runs: 1 });

      expectResult(result, 'memory');
      expect(result.measurements[0]!.summary.min).toBeGreaterThan(result.measurements[3]!.summary.min / 2);
    },
    SLOW,
  );
});
