import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { FerryConfigFile } from '../shared/config/schema.js';
import { ConfigError } from '../shared/errors.js';

/** The Lambda settings of one function, as `functions.<name>` in ferry.config.json sets them. */
export interface FunctionSettings {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** One of the retention periods CloudWatch Logs accepts. */
  readonly logRetentionDays: RetentionDays;
}

/**
 * The settings a connector's function gets when `functions.<connector>` leaves them out.
 * - `memoryMb` 256: Lambda gives CPU in proportion to memory; 128 MB makes an ESM bundle with the AWS
 *   SDK start noticeably slower, and a fetch is mostly waiting on HTTP.
 * - `timeoutSeconds` 60: one fetch interval at the shortest rate; the runner drains `hasMore` pages
 *   until shortly before this deadline, and its lease expires by itself after it.
 * - `logRetentionDays` 30.
 */
export const connectorFunctionDefaults: FunctionSettings = {
  memoryMb: 256,
  timeoutSeconds: 60,
  logRetentionDays: RetentionDays.ONE_MONTH,
};

/** `functions.ingest` tunes the ingestion endpoint's function rather than a connector's. */
export const ingestFunctionKey = 'ingest';

/**
 * The ingest function's defaults: it answers an HTTP request, so its timeout stays below API Gateway's
 * 30-second integration limit.
 */
export const ingestFunctionDefaults: FunctionSettings = {
  memoryMb: 256,
  timeoutSeconds: 15,
  logRetentionDays: RetentionDays.ONE_MONTH,
};

/** API Gateway HTTP APIs give up on an integration after 30 seconds. */
const maxIngestTimeoutSeconds = 29;

const allowedRetentionDays: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

/** What {@link resolveFunctionSettings} found: settings by function key, and every problem at once. */
export interface ResolvedFunctionSettings {
  readonly settings: Readonly<Record<string, FunctionSettings>>;
  readonly problems: readonly ConfigError[];
}

/**
 * Resolves `functions.<name>` for every connector in use and for the ingest function, filling in
 * defaults, and checks what the schema cannot: the key names a known connector, the retention is one
 * CloudWatch accepts, and the ingest timeout fits API Gateway's limit.
 */
export const resolveFunctionSettings = (
  functions: FerryConfigFile['functions'],
  known: { readonly connectors: readonly string[]; readonly source: string },
): ResolvedFunctionSettings => {
  const settings: Record<string, FunctionSettings> = {};
  const problems: ConfigError[] = [];
  for (const name of known.connectors) settings[name] = connectorFunctionDefaults;
  settings[ingestFunctionKey] = ingestFunctionDefaults;

  for (const [name, given] of Object.entries(functions)) {
    const where = `${known.source}: functions.${name}`;
    const defaults = settings[name];
    if (!defaults) {
      problems.push(
        new ConfigError(
          `${where}: there is no connector "${name}". Use one of: ${[...known.connectors, ingestFunctionKey].join(', ')}.`,
          undefined,
          `functions.${name}`,
        ),
      );
      continue;
    }
    const resolved = { ...defaults, ...given } as FunctionSettings;
    if (!allowedRetentionDays.includes(resolved.logRetentionDays)) {
      problems.push(
        new ConfigError(
          `${where}.logRetentionDays is ${resolved.logRetentionDays}, which CloudWatch Logs does not offer. Use one of: ${allowedRetentionDays.join(', ')}.`,
          undefined,
          `functions.${name}.logRetentionDays`,
        ),
      );
    }
    if (name === ingestFunctionKey && resolved.timeoutSeconds > maxIngestTimeoutSeconds) {
      problems.push(
        new ConfigError(
          `${where}.timeoutSeconds is ${resolved.timeoutSeconds}, but API Gateway stops waiting after 30 seconds. Use at most ${maxIngestTimeoutSeconds}.`,
          undefined,
          `functions.${name}.timeoutSeconds`,
        ),
      );
    }
    settings[name] = resolved;
  }
  return { settings, problems };
};
