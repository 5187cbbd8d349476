import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createSsmInstanceSource } from '../config/instance-source.js';
import { createSecretResolver } from '../config/secrets.js';
import type { Connector } from '../connector.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createRunMetrics } from '../metrics.js';
import { DynamoDeliveryLedger } from '../state/delivery-ledger.js';
import { DynamoStateStore } from '../state/dynamo-state-store.js';
import { DynamoQuarantineStore } from '../state/quarantine-store.js';
import { DynamoReplayStore } from '../state/replay-store.js';
import { createFetchHandler } from './create-fetch-handler.js';

const requiredEnv = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new ConfigError(`The function's environment lacks ${name}; deploy it with "npx cdk deploy".`);
  return value;
};

/**
 * A connector's Lambda entry point. Clients and the logger are created here, once per cold start;
 * the endpoints follow the SDK's standard variables (`AWS_ENDPOINT_URL_SSM`, ...), which is how tests
 * run this very handler against local servers.
 * @example export const handler = createLambdaHandler(helloworld);
 */
export const createLambdaHandler = (connector: Connector) => {
  const logger = createLogger({ serviceName: `ferry-${connector.name}` });
  const ssm = new SSMClient({});
  const dynamo = new DynamoDBClient({});
  const stateTable = requiredEnv('STATE_TABLE');
  const store = new DynamoStateStore({
    client: dynamo,
    tableName: stateTable,
    historyRetentionDays: Number(process.env.HISTORY_RETENTION_DAYS ?? 30),
  });
  return createFetchHandler({
    connector,
    instances: createSsmInstanceSource({ ssm, prefix: process.env.INSTANCE_PARAMETER_PREFIX }),
    store,
    secrets: createSecretResolver({ ssm }),
    logger,
    onOutcome: createRunMetrics(),
    replays: new DynamoReplayStore({ client: dynamo, tableName: stateTable }),
    quarantine: new DynamoQuarantineStore({ client: dynamo, tableName: stateTable }),
    sinkDefaults: {
      ferryUrl: process.env.FERRY_INGEST_URL,
      // The xsoar sink's delivery ledger lives in the state table (LEDGER# items).
      ledger:
        typeof FERRY_BUNDLE_XSOAR_SINK === 'undefined' ||
        FERRY_BUNDLE_XSOAR_SINK ||
        typeof FERRY_BUNDLE_EVENTBRIDGE_SINK === 'undefined' ||
        FERRY_BUNDLE_EVENTBRIDGE_SINK
          ? new DynamoDeliveryLedger({ client: dynamo, tableName: stateTable })
          : undefined,
      // Only where the bundle carries the EventBridge sink (see shared/sinks/bundle-flags.d.ts).
      eventBridge:
        typeof FERRY_BUNDLE_EVENTBRIDGE_SINK !== 'undefined' && !FERRY_BUNDLE_EVENTBRIDGE_SINK
          ? undefined
          : new EventBridgeClient({}),
    },
  });
};
