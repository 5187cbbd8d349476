import { connectors as registry } from '../functions/connectors.js';
import { parseConfig, parseInstanceDocument } from '../shared/config/instance-documents.js';
import { readConfigJson } from '../shared/config/read-config-json.js';
import type { InstanceDocument } from '../shared/config/schema.js';
import type { Connector } from '../shared/connector.js';
import { parseDuration } from '../shared/duration.js';
import { ConfigError } from '../shared/errors.js';
import { type FunctionSettings, resolveFunctionSettings } from './function-settings.js';
import { loopbackUrls, parameterNameOf, secureStringNames, unresolvableInAws } from './secret-references.js';
import { type SourceRead, sourceReadsOf } from './source-reads.js';

/** Where the ingestion endpoint's token lives unless the config or `-c ingestTokenParameter` says otherwise. */
export const defaultIngestTokenParameterName = '/ferry/ingest-token';

/** SSM's size limits for a parameter value: Standard tier, then Advanced tier (which costs money). */
export const parameterValueLimits = { standard: 4096, advanced: 8192 } as const;

/** One instance, checked and ready to deploy. */
export interface DeployInstance {
  /** The document stored in SSM `/ferry/instances/<id>`: exactly what the function parses. */
  readonly document: InstanceDocument;
  /** The schedule's `rate(N minutes)`. */
  readonly rateMinutes: number;
  /** SecureString parameters its function reads (secrets and the sink token), sorted. */
  readonly secureStrings: readonly string[];
  /** Pushes to the ingestion endpoint of this stack (the `ferry` sink without a `url`). */
  readonly usesIngestEndpoint: boolean;
  /**
   * Its own SecureString token for this stack's endpoint, which then lets it read and write this
   * instance only. @default - the stack's ingestion token
   */
  readonly instanceTokenParameterName?: string;
  /** The event bus (name or ARN) its `eventbridge` sink puts events on. @default - no eventbridge sink */
  readonly eventBus?: string;
  /** What it reads through the function's role (Security Hub, GuardDuty); empty for other connectors. */
  readonly sourceReads: readonly SourceRead[];
}

/** ferry.config.json, checked for AWS: everything the stack needs, nothing it has to validate again. */
export interface DeployConfig {
  /** Where it came from, for messages. */
  readonly source: string;
  readonly instances: readonly DeployInstance[];
  /** The connectors at least one instance uses, sorted: one Lambda function each. */
  readonly connectors: readonly string[];
  /** Lambda settings by connector name, and `ingest` for the ingestion endpoint's function. */
  readonly functions: Readonly<Record<string, FunctionSettings>>;
  readonly historyRetentionDays: number;
  /** Deploy the reference ingestion endpoint (incidents table, API, function). */
  readonly ingestEndpoint: boolean;
  /** The SecureString holding the endpoint's bearer token. */
  readonly ingestTokenParameterName: string;
  /** Per-instance tokens the endpoint accepts, each for its own instance only: SecureString name by instance id. */
  readonly instanceTokenParameterNames: Readonly<Record<string, string>>;
  /** Things that deploy but will not work as written (an `{"env": ...}` secret, a loopback URL). */
  readonly warnings: readonly string[];
}

export interface DeployConfigOptions {
  /** Named in every message. @default 'ferry.config.json' */
  readonly source?: string;
  /** @default every connector of `functions/connectors.ts` */
  readonly connectors?: Readonly<Record<string, Connector>>;
  /**
   * @default the top-level sink's `{"ssm": ...}` token when it has one, else
   * {@link defaultIngestTokenParameterName}
   */
  readonly ingestTokenParameterName?: string;
  /** Resolves relative `first_fetch` values while validating. @default new Date() */
  readonly now?: Date;
}

const parameterNamePattern = /^(?:arn:[^\s]+|\/?[A-Za-z0-9_.\-/]{1,1011})$/;

/**
 * EventBridge Scheduler runs `rate()` schedules in whole minutes, one at the least; anything else is a
 * config error naming the instance (locally `ferry start` takes shorter intervals).
 */
export const scheduleRateMinutes = (document: InstanceDocument, source: string): number => {
  const ms = parseDuration(document.fetchInterval) ?? Number.NaN;
  const where = `${source}: instance "${document.id}": fetchInterval "${document.fetchInterval}"`;
  if (!(ms >= 60_000)) {
    throw new ConfigError(
      `${where} is shorter than 1 minute, the shortest rate EventBridge Scheduler runs in AWS. ` +
        'Set "fetchInterval": "1 minute" or longer (only "ferry start" runs shorter intervals, locally).',
      document.id,
      'fetchInterval',
    );
  }
  if (ms % 60_000 !== 0) {
    throw new ConfigError(
      `${where} is not a whole number of minutes, which EventBridge Scheduler's rate() requires. ` +
        `Use "${Math.floor(ms / 60_000)} minutes" or "${Math.ceil(ms / 60_000)} minutes".`,
      document.id,
      'fetchInterval',
    );
  }
  return ms / 60_000;
};

/** The one error synth fails with: the problem itself, or all of them listed. */
const combine = (source: string, problems: readonly ConfigError[]): ConfigError => {
  if (problems.length === 1) return problems[0]!;
  return new ConfigError(
    `${source} cannot be deployed; ${problems.length} problems:\n  - ${problems.map((p) => p.message).join('\n  - ')}`,
    undefined,
    undefined,
    { cause: new AggregateError(problems) },
  );
};

/**
 * Checks a parsed ferry.config.json for AWS and builds what the stack deploys: every instance's SSM
 * document, schedule rate and SecureStrings. Throws one ConfigError naming each instance and field that
 * is wrong: unlike a fetch, a deploy is all or nothing, because a skipped instance would lose its
 * schedule and parameter.
 */
export const resolveDeployConfig = (input: unknown, options: DeployConfigOptions = {}): DeployConfig => {
  const source = options.source ?? 'ferry.config.json';
  const known = options.connectors ?? registry;
  const now = options.now ?? new Date();
  // With the connectors given, parseConfig also checks each instance's connector and parameters.
  const parsed = parseConfig(input, source, { connectors: known, now });
  const problems: ConfigError[] = [...parsed.errors];
  const warnings: string[] = [];

  const topToken = parsed.file.sink.type === 'ferry' ? parsed.file.sink.token : undefined;
  const tokenName =
    options.ingestTokenParameterName ??
    (topToken && 'ssm' in topToken ? parameterNameOf(topToken.ssm) : defaultIngestTokenParameterName);
  if (!parameterNamePattern.test(tokenName)) {
    problems.push(
      new ConfigError(
        `The ingestion token parameter "${tokenName}" is not an SSM parameter name (letters, digits, "_.-/").`,
        undefined,
        'sink.token',
      ),
    );
  }

  const instances: DeployInstance[] = [];
  for (const configured of parsed.instances) {
    try {
      instances.push(deployInstance(configured, { source, tokenName, warnings }));
    } catch (error) {
      problems.push(error instanceof ConfigError ? error : new ConfigError(String(error), configured.id));
    }
  }
  const functions = resolveFunctionSettings(parsed.file.functions, {
    connectors: Object.keys(known),
    source,
  });
  problems.push(...functions.problems);
  problems.push(...instanceTokenProblems(instances, source));
  if (problems.length > 0) throw combine(source, problems);

  const topSink = parsed.file.sink;
  const topUsesEndpoint = topSink.type === 'ferry' && topSink.url === undefined;
  return {
    source,
    instances,
    connectors: [...new Set(instances.map((instance) => instance.document.connector))].sort(),
    functions: functions.settings,
    historyRetentionDays: parsed.file.historyRetentionDays,
    ingestEndpoint: topUsesEndpoint || instances.some((instance) => instance.usesIngestEndpoint),
    ingestTokenParameterName: tokenName,
    instanceTokenParameterNames: Object.fromEntries(
      instances.flatMap(({ document, instanceTokenParameterName }) =>
        instanceTokenParameterName ? [[document.id, instanceTokenParameterName]] : [],
      ),
    ),
    warnings,
  };
};

interface InstanceContext {
  readonly source: string;
  readonly tokenName: string;
  readonly warnings: string[];
}

const deployInstance = (configured: InstanceDocument, context: InstanceContext): DeployInstance => {
  const { source } = context;
  const where = `${source}: instance "${configured.id}"`;
  const rateMinutes = scheduleRateMinutes(configured, source);

  // The stack's own endpoint checks the token in its SecureString, so an instance pushing to it
  // authenticates with that parameter, whatever the local config uses ({"env": ...} for `ferry start`).
  const sink = configured.sink;
  const usesIngestEndpoint = sink.type === 'ferry' && sink.url === undefined;
  let document = configured;
  let instanceTokenParameterName: string | undefined;
  if (sink.type === 'ferry' && usesIngestEndpoint) {
    const own = sink.token && 'ssm' in sink.token ? parameterNameOf(sink.token.ssm) : undefined;
    if (own !== undefined && own !== context.tokenName) {
      // Its own SecureString: the endpoint accepts it for this instance only (the stack grants the
      // ingest function read on exactly these parameters). The sink sends it as configured.
      if (!parameterNamePattern.test(own)) {
        throw new ConfigError(
          `${where}: sink.token "${sink.token && 'ssm' in sink.token ? sink.token.ssm : own}" is not an SSM parameter name (letters, digits, "_.-/").`,
          configured.id,
          'sink.token',
        );
      }
      instanceTokenParameterName = own;
    } else {
      // The stack's own endpoint checks the shared token in its SecureString, so an instance pushing to
      // it authenticates with that parameter, whatever the local config uses ({"env": ...} for `ferry start`).
      document = { ...configured, sink: { ...sink, token: { ssm: context.tokenName } } };
    }
  }

  // What the function will read back must parse: the same check it runs at every invocation.
  const text = JSON.stringify(document);
  parseInstanceDocument(document.id, text, source);
  if (Buffer.byteLength(text) > parameterValueLimits.advanced) {
    throw new ConfigError(
      `${where}: its document is ${Buffer.byteLength(text)} bytes, over SSM's ${parameterValueLimits.advanced}-byte limit for a parameter. Shorten its params.`,
      configured.id,
      'params',
    );
  }
  context.warnings.push(...unresolvableInAws(document, source), ...loopbackUrls(document, source));
  return {
    document,
    rateMinutes,
    secureStrings: secureStringNames(document),
    usesIngestEndpoint,
    ...(instanceTokenParameterName ? { instanceTokenParameterName } : {}),
    sourceReads: sourceReadsOf(document),
    ...(sink.type === 'eventbridge' ? { eventBus: sink.eventBusName ?? 'default' } : {}),
  };
};

/**
 * The Lambda environment holds the instance-to-parameter map (`INGEST_INSTANCE_TOKEN_PARAMETERS`), and
 * all of a function's variables share 4 KB; the rest of the ingest function's take about 400 bytes.
 */
export const maxInstanceTokensBytes = 3500;

/** A per-instance token is one instance's own: shared, it would not say which instance may be written. */
const instanceTokenProblems = (instances: readonly DeployInstance[], source: string): ConfigError[] => {
  const problems: ConfigError[] = [];
  const owners = new Map<string, string>();
  for (const { document, instanceTokenParameterName: name } of instances) {
    if (!name) continue;
    const owner = owners.get(name);
    if (owner === undefined) owners.set(name, document.id);
    else
      problems.push(
        new ConfigError(
          `${source}: instance "${document.id}": sink.token "${name}" is already instance "${owner}"'s own ingestion ` +
            'token. A per-instance token belongs to one instance: give each its own SecureString, or remove ' +
            'sink.token from both to use the shared ingestion token.',
          document.id,
          'sink.token',
        ),
      );
  }
  const bytes = Buffer.byteLength(JSON.stringify(Object.fromEntries([...owners].map(([n, i]) => [i, n]))));
  if (owners.size > 0 && bytes > maxInstanceTokensBytes) {
    problems.push(
      new ConfigError(
        `${source}: ${owners.size} per-instance ingestion tokens take ${bytes} bytes in the ingest function's ` +
          `environment, over the ${maxInstanceTokensBytes} bytes Lambda's 4 KB leaves for them. Use shorter ` +
          'parameter names, or the shared token (no sink.token) for some instances.',
        undefined,
        'sink.token',
      ),
    );
  }
  return problems;
};

/**
 * Reads ferry.config.json (synchronously: a CDK app builds its tree synchronously) and checks it.
 * `options.source` defaults to `path`.
 */
export const readDeployConfig = (path: string, options: DeployConfigOptions = {}): DeployConfig => {
  const input = readConfigJson(path, 'Pass -c config=<file> or set FERRY_CONFIG.');
  return resolveDeployConfig(input, { source: path, ...options });
};
