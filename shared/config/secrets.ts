import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { SecretMissingError } from '../errors.js';
import { registerCredentialPair, registerSecrets } from '../redact.js';
import type { SecretRef } from './schema.js';

export interface SecretResolverOptions {
  /** For `{"ssm": ...}` references; created once per cold start and passed in. */
  readonly ssm?: SSMClient;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How long a SecureString value is cached. @default 60_000 */
  readonly maxAgeMs?: number;
}

/**
 * Resolves secret references to values, registering each for redaction. `owner` says whose secrets
 * these are, so an error blames the right one: the instance's own (`secrets` in its entry, the default)
 * or its sink's (`sink` in the config file).
 */
export type SecretResolver = (
  instanceId: string,
  refs: Record<string, SecretRef>,
  owner?: SecretOwner,
) => Promise<Record<string, string>>;

export type SecretOwner = 'instance' | 'sink';

/** `secret "apiKey"` for the instance's own, `the sink's secret "token"` for its sink's. */
const secretName = (key: string, owner: SecretOwner) =>
  owner === 'sink' ? `the sink's secret "${key}"` : `secret "${key}"`;
/**
 * A user name and password resolved together (`username`/`password`, `credentials.username`/
 * `credentials.password`) are also registered as the pair Basic auth encodes.
 */
const registerPairs = (values: Record<string, string>): void => {
  for (const [key, username] of Object.entries(values)) {
    const match = /^(.*?)(username|user)$/i.exec(key);
    const password = match ? values[`${match[1]}password`] : undefined;
    if (password !== undefined) registerCredentialPair(username, password);
  }
};

/** Creates a resolver for `{env}` and `{ssm}` references, caching SSM values briefly. */
export const createSecretResolver = (options: SecretResolverOptions = {}): SecretResolver => {
  const env = options.env ?? process.env;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const cache = new Map<string, { value: string; at: number }>();

  const fromSsm = async (
    instanceId: string,
    key: string,
    name: string,
    owner: SecretOwner,
  ): Promise<string> => {
    const what = secretName(key, owner);
    const cached = cache.get(name);
    if (cached && Date.now() - cached.at < maxAgeMs) return cached.value;
    if (!options.ssm) {
      throw new SecretMissingError(
        `Instance "${instanceId}": ${what} refers to SSM parameter "${name}", but SSM is not available here. Locally, use {"env": "<VARIABLE>"}.`,
      );
    }
    try {
      const { Parameter } = await options.ssm.send(
        new GetParameterCommand({ Name: name, WithDecryption: true }),
      );
      const value = Parameter?.Value;
      if (!value) throw new ParameterNotFound({ message: 'empty value', $metadata: {} });
      cache.set(name, { value, at: Date.now() });
      return value;
    } catch (error) {
      if (error instanceof ParameterNotFound) {
        throw new SecretMissingError(
          `Instance "${instanceId}": ${what} refers to SSM parameter "${name}", which does not exist or is empty. ` +
            `Create it: aws ssm put-parameter --type SecureString --name "${name}" --value '<secret>'`,
          { cause: error },
        );
      }
      throw error;
    }
  };

  const fromEnv = (instanceId: string, key: string, variable: string, owner: SecretOwner): string => {
    const what = secretName(key, owner);
    const value = env[variable];
    if (!value) {
      throw new SecretMissingError(
        `Instance "${instanceId}": ${what} refers to environment variable ${variable}, which is not set. Export it before starting Ferry.`,
      );
    }
    return value;
  };

  return async (instanceId, refs, owner = 'instance') => {
    const entries = await Promise.all(
      Object.entries(refs).map(async ([key, ref]) => {
        const value =
          'env' in ref
            ? fromEnv(instanceId, key, ref.env, owner)
            : await fromSsm(instanceId, key, ref.ssm, owner);
        return [key, value] as const;
      }),
    );
    registerSecrets(entries.map(([, value]) => value));
    const values = Object.fromEntries(entries);
    registerPairs(values);
    return values;
  };
};
