import { randomUUID } from 'node:crypto';
import { createLocalDynamoClient } from '../../local/dynamodb.js';
import { ensureTables } from '../../local/tables.js';
import type { KitStateStore } from '../../shared/kit/conformance-target.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import { startTestDynamo } from './test-dynamo.js';

interface KitDynamo {
  readonly store: DynamoStateStore;
  stop(): Promise<void>;
}

let running: Promise<KitDynamo> | undefined;

const start = async (): Promise<KitDynamo> => {
  // The real DynamoDB Local (java), as in every state-store test: the resume check is about the store.
  const dynamo = await startTestDynamo();
  const client = createLocalDynamoClient(dynamo.endpoint);
  const suffix = randomUUID().slice(0, 8);
  try {
    await ensureTables(client, {
      state: `ferry-kit-state-${suffix}`,
      incidents: `ferry-kit-incidents-${suffix}`,
    });
  } catch (error) {
    client.destroy();
    await dynamo.stop();
    throw error;
  }
  return {
    store: new DynamoStateStore({ client, tableName: `ferry-kit-state-${suffix}` }),
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
};

/**
 * The DynamoDB-backed state store the resume check runs on: one DynamoDB Local per test file, started on
 * first use and shared by every suite of the file (instances keep them apart).
 */
export const kitDynamoStore = async (): Promise<DynamoStateStore> => {
  running ??= start().catch((error: unknown) => {
    running = undefined;
    throw error;
  });
  return (await running).store;
};

/** Stops the file's DynamoDB Local, if one was started. */
export const stopKitDynamo = async (): Promise<void> => {
  const current = running;
  running = undefined;
  if (current) await (await current).stop();
};

/** The kit's state store in this repository's tests: DynamoDB Local, shared by the suites of a file. */
export const kitDynamo: KitStateStore = { open: kitDynamoStore, close: stopKitDynamo };
