import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../shared/errors.js';
import { registerSecrets } from '../../shared/redact.js';
import { type CachedReadOptions, cachedRead } from './cached-read.js';

export interface SsmTokenSourceOptions extends CachedReadOptions {
  readonly client: SSMClient;
  /** Name of the SecureString holding the ingestion token. */
  readonly parameterName: string;
}

/**
 * The ingestion token from an SSM SecureString (`WithDecryption`), read on first use and cached
 * (`cached-read.ts`: a failed re-read keeps the previous value). The value is registered for
 * redaction and never logged.
 *
 * @example
 * const token = createSsmTokenSource({ client: new SSMClient({}), parameterName: '/ferry/ingest/token' });
 */
export const createSsmTokenSource = (options: SsmTokenSourceOptions): (() => Promise<string>) => {
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
  return cachedRead(read, { parameterName: options.parameterName }, options);
};
