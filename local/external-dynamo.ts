import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigError } from '../shared/errors.js';
import type { LocalDynamo } from './dynamodb.js';

/** The AWS SDK's standard variable for a DynamoDB endpoint: `ferry start` honours it as the SDK does. */
export const DYNAMODB_ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_DYNAMODB';

/** An existing DynamoDB the local system uses instead of starting an embedded one. */
export interface ExternalDynamo {
  readonly dynamo: LocalDynamo;
  readonly client: DynamoDBClient;
}

/**
 * The DynamoDB named by `AWS_ENDPOINT_URL_DYNAMODB`, when it is set: a DynamoDB Local or dynalite the
 * user runs, a shared test instance, or DynamoDB itself. Its credentials and region come from the usual
 * variables; a local endpoint without them gets the placeholder credentials DynamoDB Local accepts.
 */
export const externalDynamo = (env: NodeJS.ProcessEnv = process.env): ExternalDynamo | undefined => {
  const endpoint = env[DYNAMODB_ENDPOINT_VARIABLE]?.trim();
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(
      `${DYNAMODB_ENDPOINT_VARIABLE} is not a URL; set it to the DynamoDB endpoint, such as http://127.0.0.1:8000, or unset it to use the embedded one.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      `${DYNAMODB_ENDPOINT_VARIABLE} must be an http(s) URL (got the scheme "${url.protocol}"); for example http://127.0.0.1:8000.`,
    );
  }
  // Only the origin: a path or credentials in the URL have no meaning to DynamoDB and must not be shown.
  const origin = url.origin;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? undefined
      : { accessKeyId: 'local', secretAccessKey: 'local' };
  const client = new DynamoDBClient({
    endpoint: origin,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(credentials ? { credentials } : {}),
  });
  return {
    client,
    dynamo: { endpoint: origin, engine: 'external', stop: async () => client.destroy() },
  };
};
