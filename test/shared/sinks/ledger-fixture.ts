import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalDynamoClient, type LocalDynamo } from '../../../local/dynamodb.js';
import { ensureTables, type TableNames } from '../../../local/tables.js';
import { DynamoDeliveryLedger } from '../../../shared/state/delivery-ledger.js';
import { startTestDynamo } from '../../helpers/test-dynamo.js';

/** DynamoDB Local (java) with a fresh state table, a ledger on it, and a count of requests by operation. */
export interface LedgerFixture {
  readonly dynamo: LocalDynamo;
  readonly client: DynamoDBClient;
  readonly tables: TableNames;
  readonly ledger: DynamoDeliveryLedger;
  /** DynamoDB requests sent through `client`, by operation (`BatchGetItem`, `BatchWriteItem`, ...). */
  readonly requests: Map<string, number>;
  stop(): Promise<void>;
}

export const startLedgerFixture = async (): Promise<LedgerFixture> => {
  const dynamo = await startTestDynamo();
  const client = createLocalDynamoClient(dynamo.endpoint);
  const suffix = randomUUID().slice(0, 8);
  const tables: TableNames = { state: `ferry-state-${suffix}`, incidents: `ferry-incidents-${suffix}` };
  await ensureTables(client, tables);
  const requests = new Map<string, number>();
  // Counted once per request sent, retries included (the finalizeRequest step runs per attempt).
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      requests.set(operation, (requests.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRequests' },
  );
  return {
    dynamo,
    client,
    tables,
    ledger: new DynamoDeliveryLedger({ client, tableName: tables.state }),
    requests,
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
};

/** A unique instance id: tests share one table and never see each other's items. */
export const anInstanceId = (label = 'instance'): string => `${label}-${randomUUID().slice(0, 8)}`;
