import { relative, resolve } from 'node:path';
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../shared/errors.js';
import { type DeployConfig, type DeployConfigOptions, readDeployConfig } from './deploy-config.js';
import { FerryStack, type FerryStackProps } from './ferry-stack.js';

/**
 * Context keys the app reads (`npx cdk deploy -c key=value`). Each is optional.
 * - `config`: the config file (else env FERRY_CONFIG, else ferry.config.json)
 * - `stackName`: default "Ferry"; deploy a second copy under another name (give it its own
 *   `instanceParameterPrefix` too)
 * - `ingestTokenParameter`: the SecureString with the ingestion token (default: the config's
 *   `sink.token` when it is `{"ssm": ...}`, else /ferry/ingest-token)
 * - `instanceParameterPrefix`: default /ferry/instances/
 * - `secureStringKeyArn`: the customer managed KMS key of your SecureStrings (default aws/ssm)
 * - `alarmEmail`: subscribe an address to the alarms
 * - `removalPolicy`: "retain" (default) or "destroy" the tables with the stack
 * - `bundleMetafile`: "true" writes esbuild's metafile next to each bundle
 * - `instanceShards`: spread the instances over this many nested stacks (needed past 150 instances;
 *   choose it once and keep it in cdk.json: see `instance-shards.ts`)
 * - `ssmThroughput`: "high" turns on Parameter Store's higher throughput (billed per read), needed when
 *   the instances read more than half of the standard 40 a second (see `ssm-throughput.ts`)
 */
export const contextKeys = [
  'config',
  'stackName',
  'ingestTokenParameter',
  'instanceParameterPrefix',
  'secureStringKeyArn',
  'alarmEmail',
  'removalPolicy',
  'bundleMetafile',
  'instanceShards',
  'ssmThroughput',
] as const;

export interface CreateFerryAppOptions {
  /** The connectors that exist. @default every connector of `functions/connectors.ts` */
  readonly connectors?: DeployConfigOptions['connectors'];
  /** @default `functions/<connector>/handler.ts` */
  readonly connectorEntry?: FerryStackProps['connectorEntry'];
  /**
   * CDK's own check of the templates against CloudFormation's resource schemas. Thorough and slow
   * (seconds per synth); `cdk synth --no-validation` or CDK_VALIDATION=false turn it off as well.
   * @default true
   */
  readonly builtinCloudFormationValidation?: boolean;
  /** CDK context, as `-c` would set it (tests). @default - from the CLI */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Where the cloud assembly goes. @default - the CLI's, or a temporary directory */
  readonly outdir?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export interface FerryApp {
  readonly app: App;
  readonly stack: FerryStack;
  readonly config: DeployConfig;
}

const text = (value: unknown): string | undefined =>
  value === undefined || value === null || value === '' ? undefined : String(value);

const removalPolicyOf = (value: string | undefined): RemovalPolicy => {
  if (value === undefined || value === 'retain') return RemovalPolicy.RETAIN;
  if (value === 'destroy') return RemovalPolicy.DESTROY;
  throw new ConfigError(
    `Context "removalPolicy" is "${value}"; use "retain" or "destroy".`,
    undefined,
    'removalPolicy',
  );
};

/**
 * Builds the CDK app from ferry.config.json: reads and checks the config (a ConfigError names each
 * instance and field that is wrong), creates the stack, and registers cdk-nag's AwsSolutions checks.
 * The caller synthesizes (`app.synth()`).
 */
export const createFerryApp = (options: CreateFerryAppOptions = {}): FerryApp => {
  const env = options.env ?? process.env;
  // autoSynth off: a config error must not leave a half-built assembly behind for the CLI.
  const app = new App({
    autoSynth: false,
    outdir: options.outdir,
    context: options.context,
    builtinCloudFormationValidation: options.builtinCloudFormationValidation,
  });
  const context = (key: (typeof contextKeys)[number]) => text(app.node.tryGetContext(key));

  const configPath = resolve(context('config') ?? env.FERRY_CONFIG ?? 'ferry.config.json');
  const config = readDeployConfig(configPath, {
    source: relative(process.cwd(), configPath) || configPath,
    ingestTokenParameterName: context('ingestTokenParameter'),
    connectors: options.connectors,
  });
  const stack = new FerryStack(app, context('stackName') ?? 'Ferry', {
    description: `Ferry: XSOAR-style fetch-incidents on AWS (${config.instances.length} instances from ${config.source})`,
    // No AWS::CDK::Metadata resource: telemetry is off here as it is in cdk.json.
    analyticsReporting: false,
    config,
    instanceParameterPrefix: context('instanceParameterPrefix'),
    secureStringKeyArn: context('secureStringKeyArn'),
    alarmEmail: context('alarmEmail'),
    dataRemovalPolicy: removalPolicyOf(context('removalPolicy')),
    bundling: { metafile: context('bundleMetafile') === 'true' },
    connectorEntry: options.connectorEntry,
    instanceShards: context('instanceShards'),
    ssmThroughput: context('ssmThroughput'),
  });
  // Synthesis fails on any finding that is not acknowledged where it occurs (with its reason).
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, config };
};
