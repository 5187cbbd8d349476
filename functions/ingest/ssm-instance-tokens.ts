import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../shared/errors.js';
import { registerSecrets } from '../../shared/redact.js';
import type { TokenSource } from './app.js';
import { type CachedReadOptions, cachedRead } from './cached-read.js';

/** The environment variable the stack sets: `{ "<instance id>": "<SecureString name>" }` as JSON. */
export const instanceTokensVariable = 'INGEST_INSTANCE_TOKEN_PARAMETERS';

/** GetParameters takes at most 10 names a call. */
const namesPerCall = 10;

export interface SsmInstanceTokensOptions extends CachedReadOptions {
  readonly client: SSMClient;
  /** The SecureString holding each instance's own token, by instance id. */
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * Per-instance ingestion tokens (`IngestAppOptions.instanceTokens`) from SSM SecureStrings: every
 * parameter read together (GetParameters, 10 a call, decrypted) on first use and again every
 * `maxAgeMs`, a failed re-read keeping the previous values (`cached-read.ts`). A parameter that does
 * not exist or is empty disables that instance's token alone, logged by name: the main token and the
 * other instances keep working. Values are registered for redaction and never logged.
 */
export const createSsmInstanceTokens = (
  options: SsmInstanceTokensOptions,
): Readonly<Record<string, TokenSource>> => {
  const { client, logger } = options;
  const names = [...new Set(Object.values(options.parameters))];

  const readAll = async (): Promise<ReadonlyMap<string, string>> => {
    const values = new Map<string, string>();
    for (let start = 0; start < names.length; start += namesPerCall) {
      const asked = names.slice(start, start + namesPerCall);
      const answer = await client.send(new GetParametersCommand({ Names: asked, WithDecryption: true }));
      for (const parameter of answer.Parameters ?? []) {
        // A name is answered by its name, a shared parameter's ARN by the ARN: keep whichever was asked.
        const name = asked.find((candidate) => candidate === parameter.Name || candidate === parameter.ARN);
        if (name && parameter.Value) values.set(name, parameter.Value);
      }
      const missing = asked.filter((name) => !values.has(name));
      if (missing.length > 0) {
        logger?.error(
          'Instance ingestion tokens missing or empty in SSM: those instances can only use the main token',
          { parameterNames: missing },
        );
      }
    }
    registerSecrets([...values.values()]);
    return values;
  };
  const tokens = cachedRead(readAll, { parameterNames: names }, options);

  return Object.fromEntries(
    Object.entries(options.parameters).map(([instance, name]) => [
      instance,
      // '' tells the app this instance has no usable token (it never matches).
      async () => (await tokens()).get(name) ?? '',
    ]),
  );
};

/**
 * Reads {@link instanceTokensVariable}: unset or empty means no per-instance tokens. Anything but an
 * object of non-empty strings is a deployment fault, refused at cold start with the variable named.
 */
export const instanceTokenParameters = (value: string | undefined): Record<string, string> => {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(
      `${instanceTokensVariable} is not JSON: the stack sets it to {"<instance>": "<parameter>"}.`,
    );
  }
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((name) => typeof name === 'string' && name !== '');
  if (!valid) {
    throw new ConfigError(
      `${instanceTokensVariable} must be a JSON object of instance id to SSM parameter name, as the stack sets it.`,
    );
  }
  return parsed as Record<string, string>;
};
