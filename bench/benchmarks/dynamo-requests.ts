import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { benchInstance, createBenchHandler, lambdaContext } from '../instance.js';
import { type BenchOptions, type BenchResult, check, measurement } from '../result.js';

export interface DynamoRequestsSizes {
  /** Steady-state fetches measured, after the first one. */
  readonly fetches: number;
  /** New alerts waiting at each fetch. */
  readonly perFetch: number;
}

export const dynamoRequestsSizes = (quick: boolean): DynamoRequestsSizes =>
  quick ? { fetches: 4, perFetch: 20 } : { fetches: 20, perFetch: 50 };

/** What a fetch needs at the least: the lease-and-read and the commit. */
const FLOOR = 2;

/**
 * DynamoDB requests per fetch in steady state, counted at the client: an instance that already has its
 * state, invoked through the real handler once per "minute" with new alerts waiting each time (and a
 * 10-minute look-back, so dedupe has work). Every request of the invocation is counted, by command.
 */
export const dynamoRequests = async (
  env: BenchEnvironment,
  options: BenchOptions,
  sizes = dynamoRequestsSizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const { servers } = env;
  await servers.call('clear', {});
  const document = benchInstance(benchInstanceId('requests'), servers, {
    first_fetch: '1 hour',
    look_back: 10,
  });
  const handler = createBenchHandler(document, env.store);
  const invoke = () => handler({ instanceId: document.id }, lambdaContext(60_000));

  // The first fetch creates the state item; from then on every fetch is a steady-state one.
  let since = Date.now() - 30 * 60_000;
  const addAlerts = async () => {
    await sleep(5);
    const until = Date.now();
    await servers.call('backlog', { count: sizes.perFetch, from: since, to: until });
    since = until;
  };
  await addAlerts();
  await invoke();

  const perFetch: number[] = [];
  const byCommand: Record<string, number> = {};
  for (let fetch = 0; fetch < sizes.fetches; fetch++) {
    await addAlerts();
    env.requests.reset();
    const outcome = await invoke();
    if (outcome.status !== 'ok' || outcome.pushed !== sizes.perFetch) {
      throw new Error(
        `dynamo requests: a fetch pushed ${outcome.pushed} of ${sizes.perFetch} (${outcome.status})`,
      );
    }
    perFetch.push(env.requests.total / outcome.fetches);
    for (const [command, count] of Object.entries(env.requests.byCommand()))
      byCommand[command] = (byCommand[command] ?? 0) + count;
  }
  await servers.call('clear', {});
  const breakdown = Object.entries(byCommand)
    .map(([command, count]) => `${command} ${(count / sizes.fetches).toFixed(2)}`)
    .join(', ');
  options.log(`per fetch: ${breakdown}`);
  return {
    id: 'dynamo-requests',
    title: 'DynamoDB requests per fetch',
    method:
      `${sizes.fetches} steady-state fetches through the real handler, one invocation each, ${sizes.perFetch} new ` +
      'alerts waiting each time, `look_back` 10 minutes; requests counted by an SDK middleware on the DynamoDB ' +
      'client the state store uses (every `send`, by command; SDK retries not counted). Baseline: the floor of 2 ' +
      '(take the lease and read the state; commit).',
    measurements: [measurement('Requests per fetch', 'requests', perFetch)],
    ratio: measurement(
      'Requests / floor of 2',
      '×',
      perFetch.map((count) => count / FLOOR),
    ),
    checks: [check('requests per fetch', '≤ 3', perFetch, 'requests', 3)],
    notes: [
      `By command, per fetch: ${breakdown}. The acquire (UpdateItem) takes the lease and reads the last run in one ` +
        'request, the commit (UpdateItem) moves the cursor and releases the lease, and the history record is one ' +
        'PutItem. A draining invocation adds one commit per further fetch (see the backlog drain).',
    ],
    elapsedMs: Date.now() - started,
  };
};
