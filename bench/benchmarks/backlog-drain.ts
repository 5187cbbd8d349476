import { COMMIT_RESERVE_MS } from '../../shared/runner/run-fetch.js';
import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { benchInstance, createBenchHandler, lambdaContext } from '../instance.js';
import { type BenchOptions, type BenchResult, check, measurement } from '../result.js';
import { formatDuration } from '../stats.js';

/** One drain: this many alerts, invocations of this timeout until they are all pushed. */
export interface DrainSize {
  readonly backlog: number;
  /** The simulated Lambda's timeout: each invocation gets this long. */
  readonly timeoutMs: number;
}

export interface BacklogDrainSizes {
  /** The figure: the whole backlog within the Lambda's largest timeout. */
  readonly main: DrainSize;
  /**
   * A timeout short enough that the drain must chain across invocations, as it does at 60 s. The
   * backlog is a minimum: it grows to about three invocations' worth at the main drain's rate.
   */
  readonly chained: DrainSize;
  /** The chained drain stays a side figure: its backlog grows no larger than this. */
  readonly chainedMax: number;
}

export const backlogDrainSizes = (quick: boolean): BacklogDrainSizes =>
  quick
    ? {
        main: { backlog: 20_000, timeoutMs: 900_000 },
        chained: { backlog: 10_000, timeoutMs: 6_000 },
        chainedMax: 50_000,
      }
    : {
        main: { backlog: 1_000_000, timeoutMs: 900_000 },
        chained: { backlog: 60_000, timeoutMs: 6_000 },
        chainedMax: 300_000,
      };

/** XSOAR's default pace: 200 incidents a fetch (max_fetch), one fetch a minute. */
const XSOAR_PER_MINUTE = 200;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** The schedule's interval: a chained invocation starts at most this long after the last one ended. */
const FETCH_INTERVAL_MS = MINUTE;

interface Drained {
  readonly ms: number;
  readonly invocations: number;
  readonly fetches: number;
  /** DynamoDB requests of the state store, all invocations together. */
  readonly requests: number;
}

const count = (value: number) => value.toLocaleString('en-US');

/**
 * Loads `size.backlog` alerts spread over 24 hours, then invokes the real handler for a fresh instance
 * until all of them reached the sink; fails unless the sink saw each exactly once.
 */
const drain = async (env: BenchEnvironment, size: DrainSize, options: BenchOptions): Promise<Drained> => {
  const { servers } = env;
  await servers.call('clear', {});
  const to = Date.now() - HOUR;
  const from = to - 24 * HOUR;
  await servers.call('backlog', { count: size.backlog, from, to });
  await servers.call('sinkReset', { trackIds: true });
  const document = benchInstance(benchInstanceId('drain'), servers, {
    first_fetch: new Date(from).toISOString(),
    max_fetch: 1000,
  });
  const handler = createBenchHandler(document, env.store);
  env.requests.reset();
  const start = Date.now();
  const progress = setInterval(() => {
    void servers.call('sinkStats', {}).then((stats) => {
      const seconds = (Date.now() - start) / 1000;
      options.log(
        `  ${count(stats.incidents)} drained after ${seconds.toFixed(0)} s (${count(Math.round(stats.incidents / seconds))}/s)`,
      );
    });
  }, 15_000);
  let pushed = 0;
  let fetches = 0;
  let invocations = 0;
  try {
    while (pushed < size.backlog) {
      const outcome = await handler({ instanceId: document.id }, lambdaContext(size.timeoutMs));
      invocations++;
      if (outcome.status !== 'ok') {
        throw new Error(
          `backlog drain: invocation ${invocations} ended ${outcome.status}: ${outcome.error?.message}`,
        );
      }
      pushed += outcome.pushed;
      fetches += outcome.fetches;
      if (outcome.pushed === 0) break;
    }
  } finally {
    clearInterval(progress);
  }
  const ms = Date.now() - start;
  const requests = env.requests.total;
  const sink = await servers.call('sinkStats', {});
  await servers.call('sinkReset', {});
  await servers.call('clear', {});
  if (sink.incidents !== size.backlog || sink.distinct !== size.backlog) {
    throw new Error(
      `backlog drain: the sink received ${sink.incidents} incidents (${sink.distinct} distinct) of ${size.backlog}`,
    );
  }
  options.log(
    `drained ${count(size.backlog)} in ${formatDuration(ms)} with a ${formatDuration(size.timeoutMs)} timeout: ` +
      `${invocations} invocation(s), ${fetches} fetches`,
  );
  return { ms, invocations, fetches, requests };
};

/**
 * Drains a backlog through the real fetch handler (handler, runner, drain loop, DynamoDB Local state, the
 * `ferry` sink) into the ack-and-count sink, invocation after invocation until it is empty, and
 * compares the time with XSOAR's default pace. Then a smaller backlog with a short timeout, so the
 * drain has to chain across invocations. The sink tracks every id: nothing lost, nothing twice.
 */
export const backlogDrain = async (
  env: BenchEnvironment,
  options: BenchOptions,
  sizes = backlogDrainSizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const size = sizes.main;
  const main = await drain(env, size, options);
  const rate = (backlog: number, drained: Drained) => backlog / (drained.ms / 1000);
  // Enough for about three invocations at the rate just measured (each works until COMMIT_RESERVE_MS
  // before its deadline), so the drain chains on a quiet machine as on a busy one.
  const perInvocation = (rate(size.backlog, main) * (sizes.chained.timeoutMs - COMMIT_RESERVE_MS)) / 1000;
  const chainedSize: DrainSize = {
    timeoutMs: sizes.chained.timeoutMs,
    backlog: Math.min(
      sizes.chainedMax,
      Math.max(sizes.chained.backlog, Math.ceil((3 * perInvocation) / 1000) * 1000),
    ),
  };
  const chained = await drain(env, chainedSize, options);

  const xsoarMs = (size.backlog / XSOAR_PER_MINUTE) * MINUTE;
  const speedup = xsoarMs / main.ms;
  // Between chained invocations the schedule waits at most one interval (the lease is released first).
  const gapsMs = (drained: Drained) => (drained.invocations - 1) * FETCH_INTERVAL_MS;
  return {
    id: 'backlog-drain',
    title: 'Backlog drain',
    method:
      `${count(size.backlog)} alerts spread over 24 hours in the demo source, drained by the real fetch handler ` +
      '(handler, runner, drain loop) with `max_fetch` 1000 — set for the drain; the default is 200 — into the ' +
      `ack-and-count sink, with a ${formatDuration(size.timeoutMs)} Lambda timeout (the largest Lambda allows), ` +
      'invoking again until the backlog is empty; measured once (a repeat would not fit the time budget). Then ' +
      `${count(chainedSize.backlog)} alerts (about three invocations' worth at that rate) with a ` +
      `${formatDuration(chainedSize.timeoutMs)} timeout, so that the ` +
      "drain chains across invocations. Baseline: XSOAR's default pace, 200 incidents a fetch and one fetch a " +
      'minute (computed, not run).',
    measurements: [
      measurement('Drain time', 's', [main.ms / 1000]),
      measurement('Drain rate', 'incidents/s', [rate(size.backlog, main)]),
      measurement('Invocations', 'invocations', [main.invocations]),
      measurement('Fetches', 'fetches', [main.fetches]),
      measurement('DynamoDB requests per fetch during the drain', 'requests', [main.requests / main.fetches]),
      measurement('Chained drain: invocations', 'invocations', [chained.invocations]),
      measurement('Chained drain: rate', 'incidents/s', [rate(chainedSize.backlog, chained)]),
      measurement('XSOAR at 200 per minute (baseline)', 'h', [xsoarMs / HOUR]),
    ],
    ratio: measurement('XSOAR time / Ferry drain time', '×', [speedup]),
    checks: [
      check('XSOAR time / drain time', '≥ 1000×', [speedup], '×', 1000, true),
      check('drain time', '< 5 min', [main.ms / 1000], 's', 300),
    ],
    notes: [
      `The sink received every one of the ${count(size.backlog)} and the ${count(chainedSize.backlog)} incidents exactly once.`,
      main.invocations > 1
        ? `The drain chained across ${main.invocations} invocations; scheduled once a minute, the gaps between them would add at most ${formatDuration(gapsMs(main))}.`
        : `One invocation drained it all: the ${formatDuration(size.timeoutMs)} budget was not reached.`,
      `With a ${formatDuration(chainedSize.timeoutMs)} timeout the drain took ${chained.invocations} ` +
        `invocation(s), at ${count(Math.round(rate(chainedSize.backlog, chained)))} incidents/s back to back. On a ` +
        "one-minute schedule with the connector's default 60 s timeout, each invocation drains until a few seconds " +
        'before its deadline (it keeps 2 s to commit) and the next one continues at the next minute.',
    ],
    elapsedMs: Date.now() - started,
  };
};
