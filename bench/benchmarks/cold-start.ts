import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { bundle, bundleDir, bundleFunctions, type FunctionBundle } from '../bundle.js';
import { projectRoot } from '../paths.js';
import {
  type BenchOptions,
  type BenchResult,
  check,
  type Measurement,
  measurement,
  type TargetCheck,
} from '../result.js';

export interface ColdStartSizes {
  /** Fresh processes per bundle, and for the baseline. */
  readonly runs: number;
}

export const coldStartSizes = (quick: boolean): ColdStartSizes => (quick ? { runs: 3 } : { runs: 10 });

const KIB = 1024;

/** What the handlers read from their environment at import (values never used: no request is made). */
const handlerEnvironment = {
  STATE_TABLE: 'ferry-state',
  INCIDENTS_TABLE: 'ferry-incidents',
  INGEST_TOKEN_PARAMETER: '/ferry/ingest/token',
  FERRY_INGEST_URL: 'https://ingest.example.com',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'ferry-bench',
  POWERTOOLS_DEV: 'false',
  LOG_LEVEL: 'SILENT',
};

const floorsDir = join(projectRoot, 'bench', 'cold-start-floors');

/** Every `@aws-sdk/*` import resolved to inert stand-ins (`bench/cold-start-floors/aws-sdk-stub.ts`). */
const withoutAwsSdk: Plugin = {
  name: 'without-aws-sdk',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\// }, () => ({ path: join(floorsDir, 'aws-sdk-stub.ts') }));
  },
};

interface Floor {
  readonly description: string;
  readonly entry: string;
  readonly plugins?: Plugin[];
}

/**
 * What bounds the ratio from below, measured beside the functions: the built-ins any HTTPS client
 * loads; the AWS SDK clients alone; and helloworld's handler with the SDK replaced by inert stand-ins
 * (what a zero-cost AWS client would leave: Ferry's code, zod, Powertools).
 */
const floors: Record<string, Floor> = {
  https: {
    description: '`node:https` and `node:crypto` only (what any HTTPS client loads)',
    entry: join(floorsDir, 'https.ts'),
  },
  'sdk-clients': {
    description: "the AWS SDK's DynamoDB and SSM clients only, built as a handler builds them",
    entry: join(floorsDir, 'sdk-clients.ts'),
  },
  'helloworld-without-sdk': {
    description: "helloworld's handler with the AWS SDK replaced by inert stand-ins",
    entry: join(projectRoot, 'functions', 'helloworld', 'handler.ts'),
    plugins: [withoutAwsSdk],
  },
};

/** The floors bundled like the functions, into `dir/floor-<name>/index.mjs`. */
const bundleFloors = async (dir: string): Promise<FunctionBundle[]> => {
  const bundles: FunctionBundle[] = [];
  for (const [name, { entry, plugins }] of Object.entries(floors)) {
    const file = join(dir, `floor-${name}`, 'index.mjs');
    bundles.push({ name, file, ...(await bundle(entry, file, { plugins })) });
  }
  return bundles;
};

/** Wall-clock ms of one fresh `node` process running `args`, start to exit. */
const runNode = (args: string[]): number => {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH, ...handlerEnvironment },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`cold start: node ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
};

/**
 * Each function's bundle (built here with esbuild as the CDK bundles it) and the time a fresh Node process
 * takes to import it, against a fresh `node -e 0` on the same machine, alternating. This is the part of
 * a Lambda cold start the code controls; the runtime's own start is in the baseline.
 */
export const coldStart = async (
  options: BenchOptions,
  sizes = coldStartSizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const dir = await bundleDir();
  try {
    const bundles = [...(await bundleFunctions(dir)), ...(await bundleFloors(dir))];
    for (const { name, bytes } of bundles) options.log(`bundled ${name}: ${(bytes / KIB).toFixed(0)} KiB`);
    const baseline: number[] = [];
    const imports = new Map<string, number[]>(bundles.map(({ name }) => [name, []]));
    runNode(['-e', '0']); // warm the page cache
    for (const { file } of bundles)
      runNode(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`]);
    for (let run = 0; run < sizes.runs; run++) {
      baseline.push(runNode(['-e', '0']));
      for (const { name, file } of bundles) {
        const script = `await import(${JSON.stringify(pathToFileURL(file).href)})`;
        imports.get(name)!.push(runNode(['--input-type=module', '-e', script]));
      }
    }
    const measurements: Measurement[] = [measurement('`node -e 0` (baseline)', 'ms', baseline)];
    const checks: TargetCheck[] = [];
    const notes: string[] = [];
    for (const { name, bytes, parts } of bundles) {
      const times = imports.get(name)!;
      const ratios = times.map((ms, index) => ms / baseline[index]!);
      const floor = floors[name]?.description;
      const connector = name !== 'ingest' && floor === undefined;
      const label = floor
        ? `floor: ${floor}`
        : connector
          ? `${name} (connector)`
          : `${name} (ingestion endpoint, for reference)`;
      measurements.push(measurement(`${label}: bundle`, 'KiB', [bytes / KIB]));
      measurements.push(measurement(`${label}: fresh process importing it`, 'ms', times));
      measurements.push(measurement(`${label}: import / baseline`, '×', ratios));
      const largest = parts
        .slice(0, 6)
        .map((part) => `${part.name} ${(part.bytes / KIB).toFixed(0)}`)
        .join(', ');
      if (!floor) notes.push(`${name}: the largest parts of the bundle, in KiB: ${largest}.`);
      if (connector) {
        checks.push(check(`${name} bundle size`, '≤ 500 KiB', [bytes / KIB], 'KiB', 500));
        checks.push(check(`${name} import / \`node -e 0\``, '≤ 1.5×', ratios, '×', 1.5));
      }
    }
    return {
      id: 'cold-start',
      title: 'Cold start',
      method:
        'Each `functions/<name>/handler.ts` bundled with esbuild (ESM, `platform: node`, `target: node20`, minified, ' +
        'the `createRequire` banner; as `cdk/lambda-bundling.ts` has it, `mainFields` module-first and the SDK ' +
        'modules only a shared-config profile loads left out); then, alternating, ' +
        `${sizes.runs} fresh \`node --input-type=module -e "await import(bundle)"\` processes per bundle and ` +
        `${sizes.runs} fresh \`node -e 0\`, timed start to exit. The handler module builds its clients and ` +
        'logger at import, as in Lambda (no request is made). Three floors are bundled and timed the same way ' +
        '(`bench/cold-start-floors/`): the built-ins any HTTPS client loads, the AWS SDK clients alone, and ' +
        "helloworld's handler with every `@aws-sdk/*` module replaced by inert stand-ins.",
      measurements,
      checks,
      notes,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
