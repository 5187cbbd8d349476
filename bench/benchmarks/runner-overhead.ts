import { helloworld } from '../../functions/helloworld/connector.js';
import { runFetch } from '../../shared/runner/run-fetch.js';
import { createSinkFor } from '../../shared/sinks/create-sink.js';
import type { StateStore } from '../../shared/state/state-store.js';
import { bareLoop } from '../bare-loop.js';
import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { benchInstance, benchSecrets } from '../instance.js';
import { type BenchOptions, type BenchResult, check, measurement } from '../result.js';
import { silentLogger } from '../silent-logger.js';
import { timed } from '../stats.js';

export interface RunnerOverheadSizes {
  /** Alerts moved per run. */
  readonly incidents: number;
  /** Measured runs of each side. */
  readonly runs: number;
  /** Unmeasured runs of each side first (JIT, connections, DynamoDB Local's JVM). */
  readonly warmUps: number;
}

export const runnerOverheadSizes = (quick: boolean): RunnerOverheadSizes =>
  quick ? { incidents: 3_000, runs: 2, warmUps: 1 } : { incidents: 10_000, runs: 9, warmUps: 2 };

const HOUR = 3_600_000;

/**
 * The state store with a stopwatch: how long the runner's calls to DynamoDB took (lease, commits,
 * history), the work the bare loop has no counterpart for. While draining, a commit overlaps the next
 * page's fetch, so this is time spent alongside the run, not all of it added to it.
 */
const timedStore = (store: StateStore) => {
  let waitedMs = 0;
  const timedStore = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await value.apply(target, args);
        } finally {
          waitedMs += performance.now() - start;
        }
      };
    },
  });
  return { store: timedStore, waitedMs: () => waitedMs };
};

/**
 * Incidents per second through the runner (lease, fetch, validate, dedupe, push, commit, history) against
 * a bare loop moving the same alerts from the same source to the same sink. Runs alternate, so load on
 * a shared machine hits both sides alike; the ratio is taken per pair.
 */
export const runnerOverhead = async (
  env: BenchEnvironment,
  options: BenchOptions,
  sizes = runnerOverheadSizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const { servers } = env;
  await servers.call('clear', {});
  const to = Date.now() - HOUR;
  const from = to - HOUR;
  await servers.call('backlog', { count: sizes.incidents, from, to });

  const ferryRun = async () => {
    const document = benchInstance(benchInstanceId('overhead'), servers, {
      first_fetch: new Date(from).toISOString(),
      max_fetch: 1000,
    });
    const sink = await createSinkFor(document, async () => ({}));
    const { store, waitedMs } = timedStore(env.store);
    const { ms, cpuMs, value } = await timed(() =>
      runFetch(
        { document, connector: helloworld, secrets: benchSecrets, deadline: Date.now() + 900_000 },
        { store, sink, logger: silentLogger },
      ),
    );
    if (value.status !== 'ok' || value.pushed !== sizes.incidents) {
      throw new Error(
        `runner overhead: the runner pushed ${value.pushed} of ${sizes.incidents} (${value.status}: ${value.error?.message ?? value.message ?? ''})`,
      );
    }
    return { ms, cpuMs, storeMs: waitedMs() };
  };
  const bareRun = async () => {
    const { ms, cpuMs, value } = await timed(() =>
      bareLoop({ sourceUrl: servers.sourceUrl, sinkUrl: servers.sinkUrl, from, until: Date.now() }),
    );
    if (value !== sizes.incidents) throw new Error(`runner overhead: the bare loop pushed ${value}`);
    return { ms, cpuMs };
  };

  options.log(
    `warm-up: ${sizes.warmUps} run(s) of each side (${sizes.incidents.toLocaleString('en-US')} incidents)`,
  );
  for (let run = 0; run < sizes.warmUps; run++) {
    await bareRun();
    await ferryRun();
  }
  const ferry: { ms: number; cpuMs: number; storeMs: number }[] = [];
  const bare: { ms: number; cpuMs: number }[] = [];
  for (let run = 1; run <= sizes.runs; run++) {
    // Alternate which side goes first, so neither always runs right after the other's garbage.
    const order = run % 2 === 1 ? ['bare', 'ferry'] : ['ferry', 'bare'];
    for (const side of order) {
      if (side === 'bare') bare.push(await bareRun());
      else ferry.push(await ferryRun());
    }
    const rate = (ms: number) => Math.round(sizes.incidents / (ms / 1000)).toLocaleString('en-US');
    options.log(
      `run ${run}/${sizes.runs}: runner ${rate(ferry.at(-1)!.ms)}/s, bare loop ${rate(bare.at(-1)!.ms)}/s`,
    );
  }
  const perSecond = ({ ms }: { ms: number }) => sizes.incidents / (ms / 1000);
  const cpuPerIncident = ({ cpuMs }: { cpuMs: number }) => (cpuMs * 1000) / sizes.incidents;
  const ratios = ferry.map(({ ms }, index) => ms / bare[index]!.ms);
  const cpuRatios = ferry.map(({ cpuMs }, index) => cpuMs / bare[index]!.cpuMs);
  const storePerIncident = ({ storeMs }: { storeMs: number }) => (storeMs * 1000) / sizes.incidents;
  return {
    id: 'runner-overhead',
    title: 'Runner overhead',
    method:
      `${sizes.incidents.toLocaleString('en-US')} alerts in the demo source, moved to the ack-and-count sink ` +
      `${sizes.runs} times by each side, alternating, after ${sizes.warmUps} unmeasured run(s) of each. Runner: \`runFetch\` with the ` +
      'helloworld connector, `max_fetch` 1000 (one invocation draining 1000-incident fetches), the DynamoDB Local ' +
      'state store and the `ferry` sink (batches of 100). Baseline: a bare loop with the same page size, the ' +
      "connector's own `toIncident`, and the same batches of 100. Source and sink run in a separate process.",
    measurements: [
      measurement('Runner', 'incidents/s', ferry.map(perSecond)),
      measurement('Bare loop (baseline)', 'incidents/s', bare.map(perSecond)),
      measurement('Runner: CPU of the measured process', 'µs/incident', ferry.map(cpuPerIncident)),
      measurement('Bare loop: CPU of the measured process', 'µs/incident', bare.map(cpuPerIncident)),
      measurement('Runner CPU / bare-loop CPU, per pair', '×', cpuRatios),
      measurement(
        'Runner: time in state-store calls (DynamoDB Local; commits overlap the next fetch)',
        'µs/incident',
        ferry.map(storePerIncident),
      ),
    ],
    ratio: measurement('Runner time / bare-loop time, per pair', '×', ratios),
    checks: [check('runner time / bare-loop time', '≤ 1.3', ratios, '×', 1.3)],
    notes: [],
    elapsedMs: Date.now() - started,
  };
};
