import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDynamoClient, type LocalDynamo, startLocalDynamo } from '../../local/dynamodb.js';
import { defaultTableNames, ensureTables } from '../../local/tables.js';
import { isLoopbackAddress, listeningAddresses } from '../helpers/listening-addresses.js';
import { DYNAMO_START_TIMEOUT_MS } from '../helpers/local-dynamo.js';
import { hostileRecorder } from '../reliability/hostile-inputs.js';

const hostile = hostileRecorder('Network exposure');
afterAll(() => hostile.write());

/** Reads the kernel's socket table for the endpoint's port: every listening address must be loopback. */
const expectLoopbackOnly = async (engine: string, endpoint: string) => {
  const addresses = await listeningAddresses(Number(new URL(endpoint).port));
  hostile.record({
    input: `embedded ${engine}: its listening TCP sockets (/proc/net/tcp, tcp6)`,
    expected: 'loopback only',
    measured: addresses.join(', ') || 'no socket found',
    passed: addresses.length > 0 && addresses.every(isLoopbackAddress),
  });
  expect(addresses.length).toBeGreaterThan(0);
  expect(addresses.filter((address) => !isLoopbackAddress(address))).toEqual([]);
};

const key = { pk: { S: 'instance-1' }, sk: { S: 'STATE' } };

async function putState(client: DynamoDBClient, cursor: string): Promise<void> {
  await client.send(
    new PutItemCommand({ TableName: defaultTableNames.state, Item: { ...key, cursor: { S: cursor } } }),
  );
}

async function readCursor(client: DynamoDBClient): Promise<string | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: defaultTableNames.state, Key: key, ConsistentRead: true }),
  );
  return Item?.cursor?.S;
}

describe('startLocalDynamo with DynamoDB Local (java)', () => {
  let dataDir: string;
  let dynamo: LocalDynamo | undefined;
  let client: DynamoDBClient | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ferry-ddb-'));
    const started = Date.now();
    // A JVM start is seconds on an idle machine, many times that on two shared cores.
    dynamo = await startLocalDynamo({
      engine: 'java',
      dataDir,
      startTimeoutMs: DYNAMO_START_TIMEOUT_MS - 10_000,
    });
    console.info(`DynamoDB Local ready in ${Date.now() - started} ms`);
    client = createLocalDynamoClient(dynamo.endpoint);
    await ensureTables(client);
  }, DYNAMO_START_TIMEOUT_MS);

  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and reports the java engine', () => {
    expect(dynamo!.engine).toBe('java');
    expect(dynamo!.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('has its socket bound to the loopback address only, not to every interface', async () => {
    await expectLoopbackOnly('DynamoDB Local (java)', dynamo!.endpoint);
  });

  it('creates both tables with a pk/sk key, on demand', async () => {
    for (const TableName of [defaultTableNames.state, defaultTableNames.incidents]) {
      const { Table } = await client!.send(new DescribeTableCommand({ TableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    }
  });

  it('enables TTL on expiresAt for the state table only', async () => {
    const state = await client!.send(new DescribeTimeToLiveCommand({ TableName: defaultTableNames.state }));
    expect(state.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const incidents = await client!.send(
      new DescribeTimeToLiveCommand({ TableName: defaultTableNames.incidents }),
    );
    expect(incidents.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });

  it('is idempotent: a second ensureTables changes nothing', async () => {
    await expect(ensureTables(client!)).resolves.toBeUndefined();
  });

  it('stores and reads an item', async () => {
    await putState(client!, 'before-restart');
    expect(await readCursor(client!)).toBe('before-restart');
  });

  it(
    'keeps the data across a restart on the same dataDir',
    async () => {
      await putState(client!, 'persisted');
      client!.destroy();
      await dynamo!.stop();
      const stoppedEndpoint = dynamo!.endpoint;
      dynamo = undefined;
      await expect(fetch(stoppedEndpoint)).rejects.toThrow();

      dynamo = await startLocalDynamo({
        engine: 'java',
        dataDir,
        startTimeoutMs: DYNAMO_START_TIMEOUT_MS - 10_000,
      });
      client = createLocalDynamoClient(dynamo.endpoint);
      await ensureTables(client);

      expect(await readCursor(client)).toBe('persisted');
    },
    DYNAMO_START_TIMEOUT_MS,
  );
});

describe('startLocalDynamo with dynalite', () => {
  let dataDir: string;
  let dynamo: LocalDynamo | undefined;
  let client: DynamoDBClient | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ferry-dynalite-'));
  });

  afterEach(async () => {
    client?.destroy();
    await dynamo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the tables, tolerating the missing UpdateTimeToLive, and stores items', async () => {
    dynamo = await startLocalDynamo({ engine: 'dynalite' });
    client = createLocalDynamoClient(dynamo.endpoint);

    await ensureTables(client);
    await putState(client, 'in-memory');

    expect(dynamo.engine).toBe('dynalite');
    expect(await readCursor(client)).toBe('in-memory');
  });

  it('has its socket bound to the loopback address only', async () => {
    dynamo = await startLocalDynamo({ engine: 'dynalite' });

    await expectLoopbackOnly('dynalite', dynamo.endpoint);
  });

  it('keeps the data across a restart on the same dataDir', async () => {
    dynamo = await startLocalDynamo({ engine: 'dynalite', dataDir });
    client = createLocalDynamoClient(dynamo.endpoint);
    await ensureTables(client);
    await putState(client, 'persisted');
    client.destroy();
    await dynamo.stop();

    dynamo = await startLocalDynamo({ engine: 'dynalite', dataDir });
    client = createLocalDynamoClient(dynamo.endpoint);

    expect(await readCursor(client)).toBe('persisted');
  });
});

describe('startLocalDynamo failures', () => {
  let blocker: Server | undefined;
  const sockets = new Set<Socket>();

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  });

  it('fails at once, with the process output, when DynamoDB Local cannot bind its port', {
    timeout: 200_000,
  }, async () => {
    // Accepts connections and never answers: the readiness poll must not wait on it.
    blocker = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blocker!.listen(0, '0.0.0.0', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const started = Date.now();

    await expect(startLocalDynamo({ engine: 'java', port, startTimeoutMs: 180_000 })).rejects.toThrow(
      /DynamoDB Local exited[\s\S]*Address already in use/,
    );
    // Well before the start timeout: it failed on the exit, not on the readiness poll giving up.
    expect(Date.now() - started).toBeLessThan(90_000);
  });
});
