import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoIncidentStore, incidentsTableDefinition } from '../../../functions/ingest/incident-store.js';
import { type IngestServer, startIngestServer } from '../../../functions/ingest/server.js';
import { createLocalDynamoClient, type LocalDynamo } from '../../../local/dynamodb.js';
import { createLogger } from '../../../shared/logger.js';
import { startTestDynamo } from '../../helpers/test-dynamo.js';

/** A real DynamoDB Local (java) with a fresh incidents table built from the shared definition. */
export interface IncidentsTableFixture {
  readonly dynamo: LocalDynamo;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  stop(): Promise<void>;
}

export const startIncidentsTable = async (): Promise<IncidentsTableFixture> => {
  const dynamo = await startTestDynamo();
  const client = createLocalDynamoClient(dynamo.endpoint);
  const tableName = `ferry-incidents-${randomUUID()}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      ...incidentsTableDefinition,
    }),
  );
  return {
    dynamo,
    client,
    tableName,
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
};

export const silentLogger = createLogger({ level: 'SILENT' });

/** The reference endpoint served locally (the app the Lambda runs) over a fresh incidents table. */
export interface IngestFixture {
  readonly table: IncidentsTableFixture;
  readonly server: IngestServer;
  stop(): Promise<void>;
}

export const startIngestFixture = async (token: string): Promise<IngestFixture> => {
  const table = await startIncidentsTable();
  const store = new DynamoIncidentStore({ client: table.client, tableName: table.tableName });
  const server = await startIngestServer({ store, token, port: 0, logger: silentLogger });
  return {
    table,
    server,
    stop: async () => {
      await server.close();
      await table.stop();
    },
  };
};

export { anIncident } from '../../helpers/incidents.js';

/** A unique instance id per test: tests share one table and never see each other's incidents. */
export const anInstance = (): string => `instance-${randomUUID().slice(0, 8)}`;
