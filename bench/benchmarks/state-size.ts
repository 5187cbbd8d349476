import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DemoAlert } from '../../functions/helloworld/connector.js';
import { SortKeys } from '../../shared/state/table-layout.js';
import { itemSize } from '../dynamo-item-size.js';
import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { benchInstance, createBenchHandler, lambdaContext } from '../instance.js';
import { type BenchOptions, type BenchResult, check, measurement } from '../result.js';
import { BENCH_API_KEY } from '../servers/protocol.js';

export interface StateSizeSizes {
  readonly perHour: number;
  /** `look_back`, minutes. */
  readonly lookBackMinutes: number;
  /** One-minute fetches before the window is full (steady state), then the measured ones. */
  readonly warmFetches: number;
  readonly measuredFetches: number;
}

export const stateSizeSizes = (quick: boolean): StateSizeSizes =>
  quick
    ? { perHour: 1_200, lookBackMinutes: 5, warmFetches: 7, measuredFetches: 3 }
    : { perHour: 10_000, lookBackMinutes: 60, warmFetches: 62, measuredFetches: 10 };

const MINUTE = 60_000;
const KB = 1000;

/** The ids XSOAR's generic look-back would hold at `now`: every id fetched in the last 2 × look_back. */
const xsoarFoundIds = async (sourceUrl: string, since: number, until: number): Promise<string[]> => {
  const ids: string[] = [];
  let from = since;
  for (;;) {
    const url = `${sourceUrl}/alerts?since=${new Date(from).toISOString()}&until=${new Date(until).toISOString()}&limit=1000`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${BENCH_API_KEY}` } });
    const { alerts } = (await response.json()) as { alerts: DemoAlert[] };
    // The benchmark's alerts have distinct timestamps: the next page starts just after the last one.
    ids.push(...alerts.map((alert) => alert.id));
    if (alerts.length < 1000) return ids;
    from = Date.parse(alerts.at(-1)!.created) + 1;
  }
};

/**
 * The state item's size in steady state at a given rate and look-back: one-minute fetches through the
 * real handler on a simulated clock (a few minutes of history run in seconds) against alerts arriving
 * evenly, then the STATE item read back raw from DynamoDB Local and sized as DynamoDB counts it.
 * Baseline: the last run XSOAR's generic look-back keeps for the same stream (`found_incident_ids`, one
 * `id: timestamp` pair per id of the last 2 × look_back), sized the same way.
 */
export const stateSize = async (
  env: BenchEnvironment,
  options: BenchOptions,
  sizes = stateSizeSizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const { servers } = env;
  await servers.call('clear', {});
  const fetches = sizes.warmFetches + sizes.measuredFetches;
  // Simulated time runs in the past, so every alert is already visible at the source.
  const t0 = Math.floor((Date.now() - 2 * fetches * MINUTE - 3 * 3_600_000) / MINUTE) * MINUTE;
  const spanMinutes = fetches + 2 * sizes.lookBackMinutes + 1;
  const from = t0 - 2 * sizes.lookBackMinutes * MINUTE;
  await servers.call('backlog', {
    count: Math.round((sizes.perHour * spanMinutes) / 60),
    from,
    to: from + spanMinutes * MINUTE,
  });
  let now = t0;
  const clock = () => now;
  const document = benchInstance(benchInstanceId('state'), servers, {
    first_fetch: new Date(t0).toISOString(),
    look_back: sizes.lookBackMinutes,
  });
  const handler = createBenchHandler(document, env.store, clock);

  const itemBytes: number[] = [];
  const lastRunBytes: number[] = [];
  const seenIds: number[] = [];
  const xsoarBytes: number[] = [];
  for (let fetch = 1; fetch <= fetches; fetch++) {
    now = t0 + fetch * MINUTE;
    const outcome = await handler({ instanceId: document.id }, lambdaContext(900_000, clock));
    if (outcome.status !== 'ok') throw new Error(`state size: fetch ${fetch} ended ${outcome.status}`);
    if (fetch % 10 === 0) options.log(`simulated minute ${fetch}/${fetches}`);
    if (fetch <= sizes.warmFetches) continue;
    const { Item } = await env.client.send(
      new GetItemCommand({
        TableName: env.tables.state,
        Key: { pk: { S: document.id }, sk: { S: SortKeys.state } },
        ConsistentRead: true,
      }),
    );
    if (!Item?.lastRun) throw new Error('state size: the state item has no last run');
    itemBytes.push(itemSize(Item));
    lastRunBytes.push(itemSize({ lastRun: Item.lastRun }));
    const seen = (unmarshall(Item).lastRun as { seen?: Record<string, string> }).seen ?? {};
    seenIds.push(Object.values(seen).reduce((sum, packed) => sum + packed.length / 8, 0));
    const found = await xsoarFoundIds(servers.sourceUrl, now - 2 * sizes.lookBackMinutes * MINUTE, now);
    const nowSeconds = Math.floor(now / 1000);
    const xsoarLastRun = {
      time: now,
      limit: found.length + 200,
      found_incident_ids: Object.fromEntries(found.map((id) => [id, nowSeconds])),
    };
    xsoarBytes.push(itemSize({ lastRun: { M: marshall(xsoarLastRun) } }));
  }
  await servers.call('clear', {});
  const kb = (bytes: number) => bytes / KB;
  return {
    id: 'state-size',
    title: 'State item size',
    method:
      `${sizes.perHour.toLocaleString('en-US')} alerts an hour, \`look_back\` ${sizes.lookBackMinutes} minutes, ` +
      `\`max_fetch\` 200, one fetch a simulated minute through the real handler; after ${sizes.warmFetches} minutes ` +
      `(the window is full) the STATE item is read back raw from DynamoDB Local after each of ${sizes.measuredFetches} ` +
      'fetches and sized as DynamoDB counts it (names + values; 1 KB = 1000 bytes). Baseline: the last run of ' +
      "XSOAR's generic look-back for the same stream, sized the same way.",
    measurements: [
      measurement('STATE item', 'KB', itemBytes.map(kb)),
      measurement('of which lastRun', 'KB', lastRunBytes.map(kb)),
      measurement('Seen ids held', 'ids', seenIds),
      measurement("XSOAR's last run for the same stream (baseline)", 'KB', xsoarBytes.map(kb)),
    ],
    ratio: measurement(
      "Ferry's lastRun / XSOAR's last run",
      '×',
      lastRunBytes.map((bytes, index) => bytes / xsoarBytes[index]!),
    ),
    checks: [
      check('STATE item size', '≤ 100 KB', itemBytes.map(kb), 'KB', 100),
      check(
        "share of DynamoDB's 400 KB item limit",
        '< 1',
        itemBytes.map((bytes) => bytes / 400_000),
        '×',
        1,
      ),
    ],
    notes: [
      'Ferry keeps a 6-byte hash per id inside the look-back window, bucketed by event minute ' +
        '(`shared/lookback/seen-ids.ts`), and prunes by event time; XSOAR keeps every id with a timestamp for twice ' +
        'the look-back.',
    ],
    elapsedMs: Date.now() - started,
  };
};
