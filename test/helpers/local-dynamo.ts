import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoIncidentStore } from '../../functions/ingest/incident-store.js';
import { createLocalDynamoClient, type LocalDynamo } from '../../local/dynamodb.js';
import { ensureTables, type TableNames } from '../../local/tables.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import { startTestDynamo } from './test-dynamo.js';

/** One DynamoDB Local per test file, with its own state and incidents tables. */
export interface DynamoFixture {
  readonly dynamo: LocalDynamo;
  readonly client: DynamoDBClient;
  readonly tables: TableNames;
  readonly store: DynamoStateStore;
  readonly incidents: DynamoIncidentStore;
  stop(): Promise<void>;
}

/**
 * How long a `beforeAll` that starts DynamoDB Local may take: the JVM starts in ~5 s on an idle
 * machine, but several times slower when the two cores are shared with other suites.
 */
export const DYNAMO_START_TIMEOUT_MS = 120_000;

/**
 * Starts the real DynamoDB Local (java) and creates both tables under names unique to the caller.
 * Call it once per file in `beforeAll` (with {@link DYNAMO_START_TIMEOUT_MS}); isolate tests by
 * instance id, never by restarting it.
 */
export const startDynamoFixture = async (): Promise<DynamoFixture> => {
  const dynamo = await startTestDynamo({ startTimeoutMs: DYNAMO_START_TIMEOUT_MS - 10_000 });
  const client = createLocalDynamoClient(dynamo.endpoint);
  const suffix = randomUUID().slice(0, 8);
  const tables: TableNames = { state: `ferry-state-${suffix}`, incidents: `ferry-incidents-${suffix}` };
  try {
    await ensureTables(client, tables);
  } catch (error) {
    client.destroy();
    await dynamo.stop();
    throw error;
  }
  return {
    dynamo,
    client,
    tables,
    store: new DynamoStateStore({ client, tableName: tables.state }),
    incidents: new DynamoIncidentStore({ client, tableName: tables.incidents }),
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
};

/** A unique instance id: tests share one table and never see each other's items. */
export const anInstanceId = (label = 'instance'): string => `${label}-${randomUUID().slice(0, 8)}`;
