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
 * function has no shared config and gets its credentials from environment variables, which stay
 * bundled. About 90 KiB per function.
 * The bundle test checks that no static import of them remains.
 */
export const unbundledSdkModules = [
  '@aws-sdk/nested-clients',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/token-providers',
  // Also reached only through a profile (AWS_PROFILE / shared config), after the environment's keys.
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  // Reached only when the environment has no keys: the container endpoint (SnapStart) or EC2's IMDS.
  // Ferry's functions do not use SnapStart; a function that enables it must bundle these again.
  '@smithy/credential-provider-imds',
  '@aws-sdk/credential-provider-http',
] as const;

export interface FerryBundlingOptions {
  /**
   * The optional sinks the bundle carries (shared/sinks/bundle-flags.d.ts); the others are left out.
   * @default all of them
   */
  readonly sinks?: { readonly xsoar: boolean; readonly eventbridge: boolean };
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
  ...(options.sinks
    ? {
        define: {
          FERRY_BUNDLE_XSOAR_SINK: String(options.sinks.xsoar),
          FERRY_BUNDLE_EVENTBRIDGE_SINK: String(options.sinks.eventbridge),
        },
      }
    : {}),
});

/** Environment every Ferry function gets. */
export const ferryFunctionEnvironment = {
  NODE_OPTIONS: '--enable-source-maps',
} as const;
