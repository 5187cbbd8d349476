import type { Connector } from '../connector.js';
import { parseDuration, parsePointInTime } from '../duration.js';
import { ConfigError } from '../errors.js';
import { configErrorFromIssues } from './issues.js';
import { type CommonParams, commonParamKeys, commonParamsSchema, type InstanceDocument } from './schema.js';

/** The fetch settings of one instance, resolved against `now`. */
export interface FetchSettings {
  readonly firstFetch: Date;
  readonly maxFetch: number;
  /** At most this many incidents in one run (`max_per_run`), over all its pages; unset: no limit. */
  readonly maxPerRun?: number;
  readonly lookBackMs: number;
  readonly lagMs: number;
  readonly query: string | undefined;
  readonly fetchIntervalMs: number;
}

export interface ResolvedParams<P> {
  readonly settings: FetchSettings;
  /** The connector's own parameters, validated by its schema. */
  readonly params: P;
}

const split = (params: Record<string, unknown>) => {
  const common: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if ((commonParamKeys as string[]).includes(key)) common[key] = value;
    else own[key] = value;
  }
  return { common, own };
};

/**
 * Validates an instance's parameters — the common fetch parameters and the connector's own — and
 * resolves them against `now`. Throws a ConfigError naming the instance and the field.
 */
export const resolveParams = <P>(
  document: InstanceDocument,
  connector: Connector<P>,
  now: Date,
): ResolvedParams<P> => {
  const where = `Instance "${document.id}" (${document.connector})`;
  const { common, own } = split(document.params);
  const commonParsed = commonParamsSchema.safeParse(common);
  if (!commonParsed.success) {
    throw configErrorFromIssues(where, commonParsed.error.issues, {
      instanceId: document.id,
      prefix: 'params',
      input: common,
    });
  }
  const ownParsed = connector.params.safeParse(own);
  if (!ownParsed.success) {
    throw configErrorFromIssues(where, ownParsed.error.issues, {
      instanceId: document.id,
      prefix: 'params',
      input: own,
    });
  }
  for (const name of connector.secrets ?? []) {
    if (!document.secrets[name]) {
      throw new ConfigError(
        `${where}: the secret "${name}" is missing. Add "secrets": {"${name}": {"env": "<VARIABLE>"}} locally or {"ssm": "<SecureString name>"} in AWS.`,
        document.id,
        `secrets.${name}`,
      );
    }
  }
  const settings = toSettings(commonParsed.data, document, now);
  checkFirstFetch(where, document.id, settings.firstFetch, now);
  return { settings, params: ownParsed.data };
};

/**
 * An ISO `first_fetch` in the future would fetch nothing until then, silently. (An old ISO date is not
 * refused: it is explicit, and it stays in the config long after the instance has a last run.)
 */
const checkFirstFetch = (where: string, instanceId: string, firstFetch: Date, now: Date) => {
  if (firstFetch.getTime() <= now.getTime()) return;
  throw new ConfigError(
    `${where}: params.first_fetch is in the future (${firstFetch.toISOString()}), so no fetch would find anything until then. ` +
      'Use a time back from now ("3 days") or a past date.',
    instanceId,
    'params.first_fetch',
  );
};

const toSettings = (params: CommonParams, document: InstanceDocument, now: Date): FetchSettings => ({
  // Both parse: the schema refined them.
  firstFetch: parsePointInTime(params.first_fetch, now)!,
  maxFetch: params.max_fetch,
  maxPerRun: params.max_per_run,
  lookBackMs: params.look_back * 60_000,
  lagMs: typeof params.lag === 'number' ? params.lag * 1_000 : parseDuration(params.lag)!,
  query: params.query,
  fetchIntervalMs: parseDuration(document.fetchInterval)!,
});
