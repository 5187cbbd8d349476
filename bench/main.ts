/**
 * `npm run bench`: runs every benchmark of issue 9 and writes BENCHMARKS.md.
 *
 *   npm run bench                       the full suite (about 10 minutes on 2 cores), writes BENCHMARKS.md
 *   npm run bench -- --quick            small sizes, a smoke run; prints, writes only with --out
 *   npm run bench -- --only drain,memory   some benchmarks (ids below)
 *   npm run bench:units                 DynamoDB units and $/instance-month alone (a few minutes)
 *   npm run bench -- --out FILE         where the report goes
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backlogDrain } from './benchmarks/backlog-drain.js';
import { catchUpAmplification } from './benchmarks/catch-up.js';
import { coldStart } from './benchmarks/cold-start.js';
import { dynamoRequests } from './benchmarks/dynamo-requests.js';
import { dynamoUnits } from './benchmarks/dynamo-units.js';
import { ingestRate } from './benchmarks/ingest-rate.js';
import { memory } from './benchmarks/memory.js';
import { rateLimitedDrain } from './benchmarks/rate-limited-drain.js';
import { runnerOverhead } from './benchmarks/runner-overhead.js';
import { stateSize } from './benchmarks/state-size.js';
import { type BenchEnvironment, startBenchEnvironment } from './environment.js';
import { loadAverage, machineInfo } from './machine.js';
import { projectRoot } from './paths.js';
import { type BenchRun, renderReport } from './report.js';
import type { BenchOptions, BenchResult } from './result.js';
import { formatDuration, formatNumber } from './stats.js';

interface Benchmark {
  /** Its number in issue 9. */
  readonly number: string;
  readonly id: string;
  readonly title: string;
  readonly run: (env: BenchEnvironment, options: BenchOptions) => Promise<BenchResult>;
}

/** In the issue's order, which is also the report's. */
const benchmarks: readonly Benchmark[] = [
  { number: '1', id: 'overhead', title: 'Runner overhead', run: runnerOverhead },
  { number: '2', id: 'drain', title: 'Backlog drain', run: backlogDrain },
  { number: '2b', id: 'ingest', title: 'Reference endpoint ingest rate', run: ingestRate },
  { number: '2c', id: 'catch-up', title: 'Catch-up amplification', run: catchUpAmplification },
  { number: '2d', id: 'rate-limit', title: 'Drain at the rate limit', run: rateLimitedDrain },
  { number: '3', id: 'requests', title: 'DynamoDB requests per fetch', run: dynamoRequests },
  { number: '4', id: 'state', title: 'State item size', run: stateSize },
  { number: '4b', id: 'units', title: 'DynamoDB units and cost per steady fetch', run: dynamoUnits },
  { number: '5', id: 'cold-start', title: 'Cold start', run: (_env, options) => coldStart(options) },
  { number: '6', id: 'memory', title: 'Memory', run: memory },
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = values.quick ?? false;
const only = values.only?.split(',').map((id) => id.trim());
const unknown = only?.filter((id) => !benchmarks.some((benchmark) => benchmark.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark(s): ${unknown.join(', ')}. Choose from: ${benchmarks.map((b) => b.id).join(', ')}.`,
  );
  process.exit(2);
}
const selected = benchmarks.filter((benchmark) => !only || only.includes(benchmark.id));
const out = values.out ?? (quick || only ? undefined : join(projectRoot, 'BENCHMARKS.md'));

const startedAt = new Date();
const clock = () => formatDuration(Date.now() - startedAt.getTime()).padStart(8);
const log = (line: string) => console.log(`[${clock()}] ${line}`);

const machine = machineInfo();
log(
  `${quick ? 'Quick' : 'Full'} run on ${machine.cpu} × ${machine.cores}, ${machine.ramGiB.toFixed(0)} GiB, Node ${machine.node}; ` +
    `commit ${machine.commit.slice(0, 12)}${machine.dirty ? ' (uncommitted changes)' : ''}; load ${loadAverage()}`,
);
log('starting DynamoDB Local and the servers process');
const env = await startBenchEnvironment();
const stop = () => env.stop();
process.once('SIGINT', () => {
  void stop().finally(() => process.exit(130));
});

const runs: BenchRun[] = [];
try {
  for (const [index, benchmark] of selected.entries()) {
    const loadBefore = loadAverage();
    log(`(${index + 1}/${selected.length}) ${benchmark.title} — load ${loadBefore}`);
    const options: BenchOptions = { quick, log: (line) => log(`    ${line}`) };
    try {
      const result = await benchmark.run(env, options);
      runs.push({ ...benchmark, result, loadBefore, loadAfter: loadAverage() });
      for (const item of result.checks) {
        log(
          `    ${item.met ? 'met   ' : 'MISSED'} ${item.what}: ${formatNumber(item.value.median)} ${item.unit} (target ${item.target})`,
        );
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`    FAILED: ${message}`);
      if (error instanceof Error && error.stack) console.error(error.stack);
      runs.push({ ...benchmark, error: message, loadBefore, loadAfter: loadAverage() });
    }
  }
} finally {
  await stop();
}

const report = renderReport({ machine, quick, startedAt, elapsedMs: Date.now() - startedAt.getTime(), runs });
if (out) {
  await writeFile(out, report);
  log(`wrote ${out}`);
} else {
  console.log(`\n${report}`);
}
const failed = runs.filter((run) => run.error).length;
log(
  `done in ${formatDuration(Date.now() - startedAt.getTime())}${failed > 0 ? `; ${failed} benchmark(s) failed` : ''}`,
);
process.exit(failed > 0 ? 1 : 0);
