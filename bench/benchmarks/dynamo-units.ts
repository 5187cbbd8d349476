/**
 * Benchmark 4b: the DynamoDB units a steady fetch consumes, as DynamoDB reports them, and the month
 * they cost with everything else an instance runs on. Over 300 lines: the measurement, the pricing of
 * each row and the tables BENCHMARKS.md shows are one benchmark, read together.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { connectorFunctionDefaults } from '../../cdk/function-settings.js';
import { MAX_SEEN_IDS } from '../../shared/lookback/window-fetch.js';
import { createRunMetrics } from '../../shared/metrics.js';
import type { RunOutcome } from '../../shared/runner/run-fetch.js';
import { SortKeyPrefixes } from '../../shared/state/table-layout.js';
import { instanceCost } from '../cost-model.js';
import { itemSize } from '../dynamo-item-size.js';
import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { benchInstance, createBenchHandler, lambdaContext } from '../instance.js';
import { type BenchOptions, type BenchResult, check, measurement } from '../result.js';
import { formatNumber } from '../stats.js';

export interface DynamoUnitsSizes {
  /** Incidents an hour, one row each. */
  readonly rates: readonly number[];
  /** `look_back` in minutes, one row each per rate. */
  readonly lookBacks: readonly number[];
  /** Invocations measured per row, once the look-back window is full. */
  readonly measured: number;
}

export const dynamoUnitsSizes = (quick: boolean): DynamoUnitsSizes =>
  quick
    ? { rates: [600], lookBacks: [0, 2], measured: 2 }
    : { rates: [100, 10_000, 100_000], lookBacks: [0, 5, 60], measured: 5 };

const MINUTE = 60_000;
/** The benchmark fetches once a simulated minute: the shortest schedule the stack offers. */
const INTERVAL_MINUTES = 1;
/** `max_fetch` at its maximum, so that 10,000/h is one fetch a minute (100,000/h drains two). */
const MAX_FETCH = 1000;
/** Lambda's START, END and REPORT lines per invocation, bytes (about; the REPORT line varies). */
const PLATFORM_LOG_BYTES = 400;
/** The history retention the bench instance sets (`historyRetentionDays`). */
const HISTORY_DAYS = 30;
/**
 * Alarm metrics billed per instance: each connector's FetchErrors and IncidentsQuarantined alarms are
 * Metrics Insights queries (cdk/ferry-alarms.ts), which CloudWatch bills per metric analysed, one series
 * per instance each.
 */
const ALARMS_PER_INSTANCE = 2;

/** One measured row: a rate and a look-back. */
export interface UnitsRow {
  readonly perHour: number;
  readonly lookBackMinutes: number;
  readonly writeUnits: number[];
  readonly readUnits: number[];
  readonly requests: number[];
  readonly fetches: number[];
  readonly durationMs: number[];
  readonly byCommand: Record<string, { requests: number; readUnits: number; writeUnits: number }>;
  readonly storedBytes: number;
  readonly emfBytes: number;
  readonly metricsPerInstance: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The EMF line the runner's metrics print for `outcome`, and how many metrics it defines. */
const emfOf = (outcome: RunOutcome, clock: () => number): { bytes: number; metrics: number } => {
  let line = '';
  let names = 0;
  class CapturingMetrics extends Metrics {
    override publishStoredMetrics(): this {
      const emf = this.serializeMetrics();
      line = JSON.stringify(emf);
      names = emf._aws.CloudWatchMetrics.reduce((sum, group) => sum + group.Metrics.length, 0);
      this.clearMetrics();
      return this;
    }
  }
  createRunMetrics({ metrics: new CapturingMetrics({ namespace: 'Ferry', serviceName: 'ferry' }), clock })(
    outcome,
  );
  return { bytes: Buffer.byteLength(line) + 1, metrics: names };
};

/** What the instance holds in the state table: every item, history records counted for their retention. */
const storedBytesOf = async (env: BenchEnvironment, instanceId: string): Promise<number> => {
  let bytes = 0;
  let historyItem = 0;
  let cursor: Record<string, never> | undefined;
  do {
    const page = await env.client.send(
      new QueryCommand({
        TableName: env.tables.state,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: instanceId } },
        ExclusiveStartKey: cursor,
      }),
    );
    for (const item of page.Items ?? []) {
      const size = itemSize(item);
      if (item.sk?.S?.startsWith(SortKeyPrefixes.history)) historyItem = Math.max(historyItem, size);
      else bytes += size;
    }
    cursor = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (cursor);
  // One record per invocation, kept `HISTORY_DAYS` (DynamoDB adds 100 bytes of overhead per item).
  return bytes + (historyItem + 100) * ((HISTORY_DAYS * 1440) / INTERVAL_MINUTES);
};

const measureRow = async (
  env: BenchEnvironment,
  options: BenchOptions,
  perHour: number,
  lookBackMinutes: number,
  measured: number,
): Promise<UnitsRow> => {
  const { servers } = env;
  await servers.call('clear', {});
  const warm = lookBackMinutes + 3;
  const invocations = warm + measured;
  // Simulated time runs in the past, so every alert is already visible at the source.
  const t0 = Math.floor((Date.now() - 2 * invocations * MINUTE - 3 * 3_600_000) / MINUTE) * MINUTE;
  const spanMinutes = invocations + 2 * lookBackMinutes + 1;
  const from = t0 - 2 * lookBackMinutes * MINUTE;
  await servers.call('backlog', {
    count: Math.round((perHour * spanMinutes) / 60),
    from,
    to: from + spanMinutes * MINUTE,
  });
  let now = t0;
  const clock = () => now;
  const document = benchInstance(benchInstanceId(`units-${perHour}-${lookBackMinutes}`), servers, {
    first_fetch: new Date(t0).toISOString(),
    look_back: lookBackMinutes,
    max_fetch: MAX_FETCH,
  });
  const handler = createBenchHandler(document, env.store, clock);
  const row: UnitsRow = {
    perHour,
    lookBackMinutes,
    writeUnits: [],
    readUnits: [],
    requests: [],
    fetches: [],
    durationMs: [],
    byCommand: {},
    storedBytes: 0,
    emfBytes: 0,
    metricsPerInstance: 0,
  };
  let last: RunOutcome | undefined;
  for (let invocation = 1; invocation <= invocations; invocation++) {
    now = t0 + invocation * MINUTE;
    env.capacity.reset();
    env.requests.reset();
    const started = performance.now();
    const outcome = await handler({ instanceId: document.id }, lambdaContext(60_000, clock));
    const elapsed = performance.now() - started;
    if (outcome.status !== 'ok') {
      throw new Error(
        `units: invocation ${invocation} ended ${outcome.status}: ${outcome.error?.message ?? ''}`,
      );
    }
    last = outcome;
    if (invocation <= warm) continue;
    row.writeUnits.push(env.capacity.writeUnits);
    row.readUnits.push(env.capacity.readUnits);
    row.requests.push(env.requests.total);
    row.fetches.push(outcome.fetches);
    row.durationMs.push(elapsed);
    for (const [command, tally] of Object.entries(env.capacity.byCommand())) {
      const sum = row.byCommand[command] ?? { requests: 0, readUnits: 0, writeUnits: 0 };
      row.byCommand[command] = sum;
      sum.requests += tally.requests / measured;
      sum.readUnits += tally.readUnits / measured;
      sum.writeUnits += tally.writeUnits / measured;
    }
  }
  const emf = emfOf(last!, clock);
  options.log(
    `${perHour.toLocaleString('en-US')}/h, look-back ${lookBackMinutes}: ${median(row.writeUnits)} WCU, ` +
      `${median(row.readUnits)} RCU, ${median(row.requests)} requests per invocation`,
  );
  return {
    ...row,
    storedBytes: await storedBytesOf(env, document.id),
    emfBytes: emf.bytes,
    metricsPerInstance: emf.metrics,
  };
};

const usd = (value: number) =>
  value >= 100 ? `$${value.toFixed(0)}` : value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(3)}`;

/** The row's month at list prices, through the cost model. */
export const rowCost = (row: UnitsRow, metricTier: 'first' | 'next' = 'first') =>
  instanceCost(
    {
      perHour: row.perHour,
      intervalMinutes: INTERVAL_MINUTES,
      readUnits: median(row.readUnits),
      writeUnits: median(row.writeUnits),
      durationMs: median(row.durationMs),
      memoryMb: connectorFunctionDefaults.memoryMb,
      storedBytes: row.storedBytes,
      logBytesPerInvocation: row.emfBytes + PLATFORM_LOG_BYTES,
      metricsPerInstance: row.metricsPerInstance,
      alarmsPerInstance: ALARMS_PER_INSTANCE,
    },
    metricTier,
  );

/** The markdown tables BENCHMARKS.md shows: units per fetch, then the month of each row priced. */
export const unitsTables = (rows: readonly UnitsRow[]): string[] => {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const units = [
    line([
      'Incidents/h',
      'Look-back',
      'WCU / invocation',
      'RCU / invocation',
      'Fetches',
      'Requests',
      'By request (units per invocation)',
    ]),
    line(['--:', '--:', '--:', '--:', '--:', '--:', '---']),
    ...rows.map((row) =>
      line([
        row.perHour.toLocaleString('en-US'),
        `${row.lookBackMinutes} min`,
        formatNumber(median(row.writeUnits)),
        formatNumber(median(row.readUnits)),
        formatNumber(median(row.fetches)),
        formatNumber(median(row.requests)),
        Object.entries(row.byCommand)
          .map(
            ([command, tally]) =>
              `${command.replace(/Command$/, '')} ×${formatNumber(tally.requests)}: ${formatNumber(tally.writeUnits)} W / ${formatNumber(tally.readUnits)} R`,
          )
          .join('; '),
      ]),
    ),
  ];
  const components = rows.length > 0 ? rowCost(rows[0]!).lines.map((item) => item.component) : [];
  const cost = [
    line(['Incidents/h', 'Look-back', ...components, '$/instance-month', '$/million incidents']),
    line(['--:', '--:', ...components.map(() => '--:'), '--:', '--:']),
    ...rows.map((row) => {
      const priced = rowCost(row);
      return line([
        row.perHour.toLocaleString('en-US'),
        `${row.lookBackMinutes} min`,
        ...priced.lines.map((item) => usd(item.perMonth)),
        `**${usd(priced.total)}**`,
        usd(priced.perMillionIncidents),
      ]);
    }),
  ];
  return [...units, '', ...cost];
};

/**
 * DynamoDB capacity per steady fetch, as DynamoDB reports it, and the month it costs. For each rate
 * and look-back: one-minute invocations of the real handler on a simulated clock until the look-back
 * window is full, then `measured` invocations with `ReturnConsumedCapacity: TOTAL` on every request
 * of the state store's client (bench/capacity-counter.ts). The cost model (bench/cost-model.ts) prices
 * a month of each at the list prices in bench/aws-prices.ts.
 */
export const dynamoUnits = async (
  env: BenchEnvironment,
  options: BenchOptions,
  sizes = dynamoUnitsSizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const rows: UnitsRow[] = [];
  const beyondCap: string[] = [];
  for (const perHour of sizes.rates)
    for (const lookBack of sizes.lookBacks) {
      // Past the cap the window forgets ids it will read again: no fetch is a steady one.
      if ((perHour / 60) * lookBack > MAX_SEEN_IDS) {
        beyondCap.push(`${perHour.toLocaleString('en-US')}/h with a ${lookBack}-minute look-back`);
        continue;
      }
      rows.push(await measureRow(env, options, perHour, lookBack, sizes.measured));
    }
  await env.servers.call('clear', {});
  const target = rows.find((row) => row.perHour === 10_000 && row.lookBackMinutes === 60);
  const label = (row: UnitsRow) =>
    `${row.perHour.toLocaleString('en-US')}/h, look-back ${row.lookBackMinutes} min`;
  return {
    id: 'dynamo-units',
    title: 'DynamoDB units and cost per steady fetch',
    method:
      `One invocation a simulated minute through the real handler (\`max_fetch\` ${MAX_FETCH}), alerts arriving evenly; ` +
      `once the look-back window is full, ${sizes.measured} invocations measured per row with \`ReturnConsumedCapacity: TOTAL\` ` +
      'on every request of the state store (units as DynamoDB Local reports them; a transaction counts at least the 2 ' +
      'units per item AWS bills, which DynamoDB Local under-reports for small new items). Costs: bench/cost-model.ts at the us-east-1 list prices of bench/aws-prices.ts, one ' +
      `invocation a minute (43,800 a month), ${connectorFunctionDefaults.memoryMb} MB arm64, the duration measured here ` +
      'against DynamoDB Local (a stand-in for in-region latency), history kept 30 days, metrics at the first-tier price.',
    measurements: rows.flatMap((row) => [
      measurement(`write units per invocation, ${label(row)}`, 'WCU', row.writeUnits),
      measurement(`read units per invocation, ${label(row)}`, 'RCU', row.readUnits),
    ]),
    checks: target
      ? [
          check(
            'write units per steady fetch at 10,000/h, look-back 60 min',
            '≤ 10',
            target.writeUnits,
            'WCU',
            10,
          ),
          check(
            'read units per steady fetch at 10,000/h, look-back 60 min',
            '≤ 40',
            target.readUnits,
            'RCU',
            40,
          ),
        ]
      : [],
    tables: unitsTables(rows),
    notes: [
      ...beyondCap.map(
        (row) =>
          `Not measured: ${row}. The look-back window would hold more than the ${MAX_SEEN_IDS.toLocaleString('en-US')} seen ids ` +
          'a last run keeps (`MAX_SEEN_IDS`); the oldest are forgotten and read again as new at every fetch, so there is no ' +
          'steady fetch to measure (the fetch reports the eviction in its health).',
      ),
      'An invocation at 100,000/h drains two fetches: `max_fetch` is at most 1000 and ~1,667 incidents arrive a minute.',
      'Storage counts every item of the instance, history records for their 30-day retention; CloudWatch metrics are ' +
        'the EMF metrics with the `instance` dimension (each a custom metric), at $0.30 for the first 10,000 of an ' +
        'account and $0.10 after.',
    ],
    elapsedMs: Date.now() - started,
  };
};
