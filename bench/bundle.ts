import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { projectRoot } from './paths.js';

/**
 * What the CDK bundling sets beyond esbuild's basics: the `createRequire` banner (CommonJS dependencies
 * in an ESM file still call `require`) and the SDK modules left out (only a shared-config profile
 * reaches them). Read from `cdk/lambda-bundling.ts` itself, not from cdk.out, so the benchmark measures
 * what deploys without a synth; imported on first use (aws-cdk-lib is slow to load).
 */
const cdkBundling = async () => {
  const { esmRequireBanner, unbundledSdkModules } = await import('../cdk/lambda-bundling.js');
  return { banner: esmRequireBanner, external: [...unbundledSdkModules] };
};

/** A function's bundle, as the benchmark built it. */
export interface FunctionBundle extends BundleOutput {
  /** The folder under `functions/`. */
  readonly name: string;
  readonly file: string;
}

/** What a bundle holds: its size, and the bytes each package (or the repository's own code) adds. */
export interface BundleOutput {
  readonly bytes: number;
  /** Largest first: `zod`, `@smithy/core`, ... or `(ferry)` for the repository's own sources. */
  readonly parts: readonly { readonly name: string; readonly bytes: number }[];
}

const packageOf = (input: string): string =>
  /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? '(ferry)';

/** Every `functions/<name>/handler.ts`: each connector's Lambda, and the ingest function. */
export const functionEntries = async (): Promise<{ name: string; entry: string }[]> => {
  const root = join(projectRoot, 'functions');
  const entries: { name: string; entry: string }[] = [];
  for (const dirent of await readdir(root, { withFileTypes: true })) {
    if (!dirent.isDirectory()) continue;
    const entry = join(root, dirent.name, 'handler.ts');
    if (
      await stat(entry).then(
        () => true,
        () => false,
      )
    )
      entries.push({ name: dirent.name, entry });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
};

/** A fresh temporary directory for bundles. */
export const bundleDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'ferry-bench-'));

/**
 * Bundles one entry the way a Ferry Lambda is bundled: esbuild, ESM for Node, minified, every
 * dependency (the AWS SDK included, but for the modules the CDK leaves out) inside the one file, ESM
 * builds of dependencies preferred (`mainFields`, as the CDK bundling does: they tree-shake).
 */
export const bundle = async (
  entry: string,
  outfile: string,
  options: { readonly plugins?: Plugin[] } = {},
): Promise<BundleOutput> => {
  const { banner, external } = await cdkBundling();
  const result = await build({
    plugins: options.plugins ?? [],
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: banner },
    external,
    // As deployed with the default `ferry` sink: the CDK bundles the optional sinks only where used.
    define: { FERRY_BUNDLE_XSOAR_SINK: 'false', FERRY_BUNDLE_EVENTBRIDGE_SINK: 'false' },
    logLevel: 'silent',
    metafile: true,
  });
  const parts = new Map<string, number>();
  let bytes = 0;
  for (const output of Object.values(result.metafile.outputs)) {
    bytes += output.bytes;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      parts.set(packageOf(input), (parts.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
  }
  return {
    bytes,
    parts: [...parts].map(([name, size]) => ({ name, bytes: size })).sort((a, b) => b.bytes - a.bytes),
  };
};

/** Bundles every function's handler into `dir/<name>/index.mjs`. */
export const bundleFunctions = async (dir: string): Promise<FunctionBundle[]> => {
  const bundles: FunctionBundle[] = [];
  for (const { name, entry } of await functionEntries()) {
    const file = join(dir, name, 'index.mjs');
    bundles.push({ name, file, ...(await bundle(entry, file)) });
  }
  return bundles;
};
