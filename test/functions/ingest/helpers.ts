import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { incidentsTableDefinition } from '../../../functions/ingest/incident-store.js';
import { createLocalDynamoClient, type LocalDynamo, startTestDynamo } from '../../../local/dynamodb.js';
import type { Incident } from '../../../shared/incident.js';
import { createLogger } from '../../../shared/logger.js';

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

/** An incident as a connector builds it: its id is the dbotMirrorId, the event is the rawJSON. */
export const anIncident = (id: string, overrides: Partial<Incident> = {}): Incident => ({
  name: `Alert ${id}`,
  occurred: '2024-05-01T10:00:00.000Z',
  rawJSON: JSON.stringify({ id, kind: 'alert' }),
  dbotMirrorId: id,
  severity: 2,
  ...overrides,
});

/** A unique instance id per test: tests share one table and never see each other's incidents. */
export const anInstance = (): string => `instance-${randomUUID().slice(0, 8)}`;
