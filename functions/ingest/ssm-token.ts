import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { registerSecrets } from '../../shared/redact.js';

export interface SsmTokenSourceOptions {
  readonly client: SSMClient;
  /** Name of the SecureString holding the ingestion token. */
  readonly parameterName: string;
  /** How long a value read is used before it is read again (a rotated token takes effect). @default 5 minutes */
  readonly maxAgeMs?: number;
  /** After a failed re-read, how long the previous value is kept before trying again. @default 30 seconds */
  readonly retryAfterFailureMs?: number;
  readonly logger?: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The ingestion token from an SSM SecureString (`WithDecryption`), read on first use and cached.
 * Concurrent callers share one read. When a re-read fails, the previous value keeps serving: an SSM
 * hiccup must not lock every sink out. The value is registered for redaction and never logged.
 *
 * @example
 * const token = createSsmTokenSource({ client: new SSMClient({}), parameterName: '/ferry/ingest/token' });
 */
export const createSsmTokenSource = (options: SsmTokenSourceOptions): (() => Promise<string>) => {
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000;
  const now = options.now ?? Date.now;
  let cached: { value: string; expiresAt: number } | undefined;
  let reading: Promise<string> | undefined;

  const read = async (): Promise<string> => {
    const { Parameter } = await options.client.send(
      new GetParameterCommand({ Name: options.parameterName, WithDecryption: true }),
    );
    const value = Parameter?.Value;
    if (!value) {
      throw new ConfigError(
        `SSM parameter "${options.parameterName}" is empty: put the ingestion token there as a SecureString.`,
      );
    }
    registerSecrets([value]);
    return value;
  };

  const refresh = async (): Promise<string> => {
    try {
      const value = await read();
      cached = { value, expiresAt: now() + maxAgeMs };
      return value;
    } catch (error) {
      if (!cached) throw error;
      options.logger?.warn('Re-reading the ingestion token failed; the cached one stays in use', {
        parameterName: options.parameterName,
        error: errorMessage(error),
      });
      cached = { value: cached.value, expiresAt: now() + retryAfterFailureMs };
      return cached.value;
    } finally {
      reading = undefined;
    }
  };

  return async () => {
    if (cached && now() < cached.expiresAt) return cached.value;
    reading ??= refresh();
    return reading;
  };
};
