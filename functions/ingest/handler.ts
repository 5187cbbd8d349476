import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { handle } from 'hono/aws-lambda';
import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { createIngestApp } from './app.js';
import { DynamoIncidentStore } from './incident-store.js';
import {
  createSsmInstanceTokens,
  instanceTokenParameters,
  instanceTokensVariable,
} from './ssm-instance-tokens.js';
import { createSsmTokenSource } from './ssm-token.js';

const requiredEnv = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new ConfigError(
      `Environment variable ${name} is not set: the stack sets it on the ingest function.`,
    );
  return value;
};

// Everything below runs once per cold start: the clients, the logger and the token cache are reused
// by every invocation of this container.
const logger = createLogger({ serviceName: 'ferry-ingest' });
const store = new DynamoIncidentStore({
  client: new DynamoDBClient({}),
  tableName: requiredEnv('INCIDENTS_TABLE'),
});
const ssm = new SSMClient({});
const token = createSsmTokenSource({
  client: ssm,
  parameterName: requiredEnv('INGEST_TOKEN_PARAMETER'),
  logger,
});
// Each scoped token reads and writes its own instance only (deploy.md, "Per-instance ingestion tokens").
const instanceTokens = createSsmInstanceTokens({
  client: ssm,
  parameters: instanceTokenParameters(process.env[instanceTokensVariable]),
  logger,
});

/** The ingest Lambda: API Gateway HTTP API (payload v2) → the ingestion app. */
export const handler = handle(createIngestApp({ store, token, instanceTokens, logger }));
