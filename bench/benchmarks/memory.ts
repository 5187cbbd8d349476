import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundle, bundleDir } from '../bundle.js';
import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { type BenchOptions, type BenchResult, check, measurement } from '../result.js';
import type { MemoryFetchInput, MemoryFetchOutput } from './memory-fetch.js';

export interface MemorySizes {
  /** Incidents in the one invocation. */
  readonly incidents: number;
  readonly runs: number;
}

export const memorySizes = (quick: boolean): MemorySizes =>
  quick ? { incidents: 2_000, runs: 1 } : { incidents: 10_000, runs: 3 };

const run = promisify(execFile);
const entry = fileURLToPath(new URL('./memory-fetch.ts', import.meta.url));
const HOUR = 3_600_000;
const MIB = 1024;
/** A connector's Lambda memory unless configured otherwise (`cdk/function-settings.ts`). */
const LAMBDA_MEMORY_MB = 256;

/**
 * Runs `node` with `args` in a process of its own memory. Linux keeps a process's peak RSS across exec,
 * and a child spawned straight from this process starts on a vfork that shares this process's memory,
 * so its `maxRSS` would read as ours (the benchmark's, ~90 MiB) whenever that is larger. A shell that
 * forks the node afresh gives it a clean count (`; exit $?` keeps the shell from exec-ing it in place).
 */
const runFreshNode = (args: string[], env?: NodeJS.ProcessEnv) =>
  process.platform === 'win32'
    ? run(process.execPath, args, { env })
    : run('/bin/sh', ['-c', '"$0" "$@"; exit $?', process.execPath, ...args], { env });

/** Peak RSS of a fresh `node` process, in KiB. */
const bareNodeRss = async (): Promise<number> => {
  const { stdout } = await runFreshNode(['-e', 'console.log(process.resourceUsage().maxRSS)']);
  return Number(stdout.trim());
};

/**
 * Peak RSS of one invocation fetching 10,000 incidents (`max_fetch` 1000, drained: ten fetches), in a
 * fresh process running the code bundled as for Lambda, against DynamoDB Local, the demo source and the
 * ack sink. Baseline: a bare `node` process on the same machine.
 */
export const memory = async (
  env: BenchEnvironment,
  options: BenchOptions,
  sizes = memorySizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const { servers } = env;
  const dir = await bundleDir();
  try {
    const file = join(dir, 'memory-fetch.mjs');
    await bundle(entry, file);
    await servers.call('clear', {});
    const to = Date.now() - HOUR;
    const from = to - HOUR;
    await servers.call('backlog', { count: sizes.incidents, from, to });
    const peaks: number[] = [];
    const before: number[] = [];
    const bare: number[] = [];
    for (let index = 1; index <= sizes.runs; index++) {
      const input: MemoryFetchInput = {
        dynamoEndpoint: env.dynamo.endpoint,
        tableName: env.tables.state,
        instanceId: benchInstanceId('memory'),
        sourceUrl: servers.sourceUrl,
        sinkUrl: servers.sinkUrl,
        from,
      };
      // What the handler module reads at import; it makes no request.
      const { stdout } = await runFreshNode(['--no-warnings', file, JSON.stringify(input)], {
        ...process.env,
        AWS_REGION: 'us-east-1',
        STATE_TABLE: env.tables.state,
        LOG_LEVEL: 'SILENT',
      });
      const output = JSON.parse(stdout.trim().split('\n').at(-1)!) as MemoryFetchOutput;
      if (output.pushed !== sizes.incidents) {
        throw new Error(`memory: the fetch pushed ${output.pushed} of ${sizes.incidents}`);
      }
      peaks.push(output.maxRssKib / MIB);
      before.push(output.maxRssBeforeKib / MIB);
      bare.push((await bareNodeRss()) / MIB);
      options.log(
        `run ${index}/${sizes.runs}: peak ${(output.maxRssKib / MIB).toFixed(0)} MiB (${(output.maxRssBeforeKib / MIB).toFixed(0)} MiB before the fetch, ${output.fetches} fetches)`,
      );
    }
    await servers.call('clear', {});
    return {
      id: 'memory',
      title: 'Memory',
      method:
        `One invocation fetching ${sizes.incidents.toLocaleString('en-US')} incidents — \`max_fetch\` 1000, drained ` +
        `(${Math.ceil(sizes.incidents / 1000)} fetches of 1000) — run ${sizes.runs} times, each in a fresh process ` +
        'running the runner bundled with esbuild as for Lambda, against DynamoDB Local, the demo source and the ack ' +
        'sink; peak RSS from `process.resourceUsage().maxRSS`. Baseline: a fresh bare `node` process.',
      measurements: [
        measurement('Peak RSS of the invocation', 'MiB', peaks),
        measurement('Peak RSS before the fetch (code loaded, clients built)', 'MiB', before),
        measurement(
          'Growth during the fetch',
          'MiB',
          peaks.map((peak, index) => peak - before[index]!),
        ),
        measurement('Bare `node` (baseline)', 'MiB', bare),
      ],
      ratio: measurement(
        'Peak RSS / bare node',
        '×',
        peaks.map((peak, index) => peak / bare[index]!),
      ),
      checks: [
        check(
          `peak RSS within the connector Lambda's default ${LAMBDA_MEMORY_MB} MB`,
          `≤ ${LAMBDA_MEMORY_MB} MB`,
          peaks.map((mib) => (mib * 1024 * 1024) / 1e6),
          'MB',
          LAMBDA_MEMORY_MB,
        ),
      ],
      notes: [],
      elapsedMs: Date.now() - started,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
