import { fileURLToPath } from 'node:url';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: entries, package-lock.json and tsconfig.json are found from here. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Every Ferry function runs Node.js 22 on Graviton. */
export const lambdaRuntime = Runtime.NODEJS_22_X;
export const lambdaArchitecture = Architecture.ARM_64;

/**
 * ESM bundles may still hold CommonJS dependencies that call `require`; ESM has none, so the banner
 * defines one. The alias keeps the banner's import from clashing with a bundled `createRequire`.
 */
export const esmRequireBanner =
  "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);";

/**
 * Parts of the AWS SDK left out of the bundle although the SDK is bundled: the pieces of the default
 * credential chain that only a shared-config profile reaches (SSO sessions, `aws login` sessions, role
 * assumption through STS). The chain imports them dynamically, and only for such a profile; a Lambda
 * function has no shared config and gets its credentials from environment variables (or, under
 * SnapStart, from the container endpoint), both of which stay bundled. About 70 KiB per function.
 * The bundle test checks that no static import of them remains.
 */
export const unbundledSdkModules = [
  '@aws-sdk/nested-clients',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/token-providers',
] as const;

export interface FerryBundlingOptions {
  /**
   * Write esbuild's metafile (`index.meta.json`) next to each bundle, for bundle analysis
   * (https://esbuild.github.io/analyze/).
   * @default false
   */
  readonly metafile?: boolean;
}

/**
 * How every Ferry function is bundled: local esbuild (never Docker), ESM for Node 22, minified with a
 * source map, and the AWS SDK bundled rather than taken from the runtime, so the SDK version that runs
 * is the one the tests ran (package-lock.json), not whatever the runtime ships that month.
 */
export const ferryBundling = (options: FerryBundlingOptions = {}): BundlingOptions => ({
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  // ESM builds of dependencies first: they tree-shake, their CommonJS builds do not.
  mainFields: ['module', 'main'],
  banner: esmRequireBanner,
  bundleAwsSDK: true,
  externalModules: [...unbundledSdkModules],
  minify: true,
  // Stack traces in CloudWatch point at the TypeScript source (NODE_OPTIONS=--enable-source-maps);
  // the map names files and lines only, without the sources' content.
  sourceMap: true,
  sourcesContent: false,
  metafile: options.metafile ?? false,
});

/** Environment every Ferry function gets. */
export const ferryFunctionEnvironment = {
  NODE_OPTIONS: '--enable-source-maps',
} as const;
