import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { incidentsTableDefinition } from '../functions/ingest/incident-store.js';
import { LocalSetupError } from '../shared/errors.js';
import { STATE_TTL_ATTRIBUTE, stateTableDefinition } from '../shared/state/table-layout.js';

type TableDefinition = Pick<
  CreateTableCommandInput,
  'AttributeDefinitions' | 'KeySchema' | 'GlobalSecondaryIndexes'
>;

/** The names of Ferry's two DynamoDB tables. */
export interface TableNames {
  /** Per instance: the kinds of item of `shared/state/table-layout.ts`. */
  readonly state: string;
  /** What the reference ingestion endpoint received. */
  readonly incidents: string;
}

/** The table names used locally and by default in the stack. */
export const defaultTableNames: TableNames = { state: 'ferry-state', incidents: 'ferry-incidents' };

const readyTimeoutMs = 30_000;

/**
 * Creates Ferry's tables where missing and waits until they are ACTIVE; enables TTL on the state
 * table. Idempotent: run it at every local start. Engines without UpdateTimeToLive (dynalite) are
 * tolerated — items there simply never expire.
 *
 * @example
 * await ensureTables(createLocalDynamoClient(dynamo.endpoint));
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames = defaultTableNames,
): Promise<void> {
  await Promise.all([
    ensureTable(client, names.state, {
      AttributeDefinitions: [...stateTableDefinition.AttributeDefinitions],
      KeySchema: [...stateTableDefinition.KeySchema],
    }),
    ensureTable(client, names.incidents, incidentsTableDefinition),
  ]);
  await enableTtl(client, names.state, STATE_TTL_ATTRIBUTE);
}

async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  definition: TableDefinition,
): Promise<void> {
  if ((await tableStatus(client, tableName)) === undefined) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          ...definition,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      // Another process created it between our describe and create: fine, wait for it below.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  await waitUntilActive(client, tableName);
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus ?? 'UNKNOWN';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  // A short poll instead of the SDK waiter: its 20 s minimum delay is made for the real service.
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const status = await tableStatus(client, tableName);
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new LocalSetupError(
        `Table ${tableName} is ${status ?? 'missing'} after ${readyTimeoutMs} ms; expected ACTIVE.`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string, attributeName: string): Promise<void> {
  try {
    const { TimeToLiveDescription: ttl } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    // UpdateTimeToLive fails with a ValidationException when TTL is already enabled.
    if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attributeName, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite answers UpdateTimeToLive with UnknownOperationException; TTL is a nicety locally.
    if (error instanceof Error && error.name === 'UnknownOperationException') return;
    throw error;
  }
}
