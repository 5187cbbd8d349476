import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoIncidentStore } from '../functions/ingest/incident-store.js';
import { createLocalDynamoClient, type LocalDynamo, startLocalDynamo } from '../local/dynamodb.js';
import { ensureTables, type TableNames } from '../local/tables.js';
import { DynamoStateStore } from '../shared/state/dynamo-state-store.js';
import { type CapacityCounter, countCapacity } from './capacity-counter.js';
import { countRequests, type RequestCounter } from './request-counter.js';
import { type BenchServers, startBenchServers } from './servers/servers.js';

/** A fresh instance id: every repetition starts from an empty state item. */
export const benchInstanceId = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

/** What every benchmark runs against: DynamoDB Local, its tables, and the servers process. */
export interface BenchEnvironment {
  readonly dynamo: LocalDynamo;
  /** The client the state store uses, with a request counter on it. */
  readonly client: DynamoDBClient;
  readonly requests: RequestCounter;
  /** The capacity units DynamoDB reports for the same requests. */
  readonly capacity: CapacityCounter;
  readonly tables: TableNames;
  readonly store: DynamoStateStore;
  /** The reference endpoint's store, on its own client (its requests are not counted). */
  readonly incidents: DynamoIncidentStore;
  readonly servers: BenchServers;
  stop(): Promise<void>;
}

export interface BenchEnvironmentOptions {
  /** Lease-and-commit cycles that warm DynamoDB Local up before any measurement. @default 300 */
  readonly warmUpCycles?: number;
  /** Where DynamoDB Local comes from (tests share one). @default a new one (java) */
  readonly startDynamo?: () => Promise<LocalDynamo>;
}

/** Starts DynamoDB Local (java, as the tests use), creates the tables, and forks the servers. */
export const startBenchEnvironment = async (
  options: BenchEnvironmentOptions = {},
): Promise<BenchEnvironment> => {
  const startDynamo = options.startDynamo ?? (() => startLocalDynamo({ engine: 'java' }));
  const [dynamo, servers] = await Promise.all([startDynamo(), startBenchServers()]);
  const client = createLocalDynamoClient(dynamo.endpoint);
  const ingestClient = createLocalDynamoClient(dynamo.endpoint);
  const suffix = randomUUID().slice(0, 8);
  const tables: TableNames = { state: `bench-state-${suffix}`, incidents: `bench-incidents-${suffix}` };
  const stop = async () => {
    client.destroy();
    ingestClient.destroy();
    await Promise.allSettled([dynamo.stop(), servers.stop()]);
  };
  const store = new DynamoStateStore({ client, tableName: tables.state });
  try {
    await ensureTables(client, tables);
    await warmUp(store, options.warmUpCycles ?? 300);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dynamo,
    client,
    requests: countRequests(client),
    capacity: countCapacity(client),
    tables,
    store,
    incidents: new DynamoIncidentStore({ client: ingestClient, tableName: tables.incidents }),
    servers,
    stop,
  };
};

/**
 * DynamoDB Local runs in a JVM that is several times slower until its JIT has compiled the request
 * path: lease-and-commit cycles first, so that the first benchmark does not pay for the warm-up.
 */
const warmUp = async (store: DynamoStateStore, cycles: number): Promise<void> => {
  const instanceId = benchInstanceId('warm-up');
  for (let cycle = 0; cycle < cycles; cycle++) {
    const leaseId = `warm-up-${cycle}`;
    const now = Date.now();
    const { version } = await store.acquire(instanceId, { leaseId, now, expiresAt: now + 60_000 });
    await store.commit(instanceId, {
      leaseId,
      expectedVersion: version,
      lastRun: { time: new Date(now).toISOString(), seen: { [String(cycle)]: 'AAAAAAAA' } },
      now,
      release: true,
      pushed: 1,
    });
  }
};
