import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigError } from '../shared/errors.js';
import type { LocalDynamo } from './dynamodb.js';

/** The AWS SDK's standard variable for a DynamoDB endpoint: `ferry start` honours it as the SDK does. */
export const DYNAMODB_ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_DYNAMODB';

/** An existing DynamoDB the local system uses instead of starting an embedded one. */
export interface ExternalDynamo {
  readonly dynamo: LocalDynamo;
  readonly client: DynamoDBClient;
  /** The region its client signs for: a DynamoDB Local without `-sharedDb` keeps one database per region. */
  readonly region: string;
}

/**
 * Variables through which the SDK's standard credential chain finds credentials: when one is set, the
 * user has chosen credentials, and every client of the local system (`ferry start` and the CLI attached
 * to it) uses them. DynamoDB Local without `-sharedDb` keeps one database per access key and region, so
 * two processes on other credentials would each see tables of their own.
 */
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
] as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The region a client for an external DynamoDB signs for, as the SDK reads it from the environment. */
export const externalDynamoRegion = (env: NodeJS.ProcessEnv = process.env): string =>
  env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';

/**
 * A client for an external DynamoDB at `endpoint` (an origin): the SDK's standard credential chain,
 * except for a DynamoDB on this machine when the environment names no credentials at all, which gets the
 * placeholder credentials DynamoDB Local accepts (the chain would otherwise end at the instance metadata
 * service and its time-outs). `ferry start` and the CLI attached to it build theirs the same way.
 */
export const externalDynamoClient = (
  endpoint: string,
  env: NodeJS.ProcessEnv = process.env,
  region = externalDynamoRegion(env),
): DynamoDBClient => {
  const chosen = CREDENTIAL_VARIABLES.some((variable) => env[variable]);
  const placeholder = !chosen && LOOPBACK_HOSTS.has(new URL(endpoint).hostname);
  return new DynamoDBClient({
    endpoint,
    region,
    ...(placeholder ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
};

/**
 * The DynamoDB named by `AWS_ENDPOINT_URL_DYNAMODB`, when it is set: a DynamoDB Local or dynalite the
 * user runs, a shared test instance, or DynamoDB itself. Credentials and region as in
 * {@link externalDynamoClient}.
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
  const region = externalDynamoRegion(env);
  const client = externalDynamoClient(origin, env, region);
  return {
    client,
    region,
    dynamo: { endpoint: origin, engine: 'external', stop: async () => client.destroy() },
  };
};
