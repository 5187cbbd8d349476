import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalDynamoClient, type LocalDynamo, startLocalDynamo } from '../../local/dynamodb.js';
import { externalDynamo } from '../../local/external-dynamo.js';
import { startLocalSystem } from '../../local/system.js';
import { defaultTableNames } from '../../local/tables.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import { silentLogger } from '../helpers/runtime.js';

// An existing DynamoDB, as a user would run one beside Ferry (dynalite: pure Node, starts at once).
let existing: LocalDynamo;
let dir: string;

beforeAll(async () => {
  existing = await startLocalDynamo({ engine: 'dynalite' });
  dir = await mkdtemp(join(tmpdir(), 'ferry-external-dynamo-'));
});

afterAll(async () => {
  await existing?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('ferry start with AWS_ENDPOINT_URL_DYNAMODB', () => {
  it('uses the DynamoDB it names instead of starting one, creating the tables it lacks', async () => {
    const configPath = join(dir, 'ferry.config.json');
    await writeFile(configPath, JSON.stringify({ instances: {} }));
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', existing.endpoint);

    const system = await startLocalSystem({
      configPath,
      dataDir: join(dir, 'data'),
      ingestPort: 0,
      demoSource: false,
      schedule: false,
      logger: silentLogger,
    });
    try {
      expect(system.dynamo).toMatchObject({ engine: 'external', endpoint: existing.endpoint });
      const { TableNames = [] } = await createLocalDynamoClient(existing.endpoint).send(
        new ListTablesCommand({}),
      );
      expect(TableNames).toEqual(
        expect.arrayContaining([defaultTableNames.state, defaultTableNames.incidents]),
      );
      // What the system writes lands in that DynamoDB.
      await system.store.setLastRun('external-check', {
        lastRun: { time: '2026-01-01T00:00:00.000Z' },
        now: Date.now(),
      });
      const reader = createLocalDynamoClient(existing.endpoint);
      const state = await new DynamoStateStore({ client: reader, tableName: defaultTableNames.state }).read(
        'external-check',
      );
      expect(state?.lastRun).toEqual({ time: '2026-01-01T00:00:00.000Z' });
    } finally {
      await system.stop();
    }
    // Stopping the local system leaves the user's DynamoDB running.
    const { TableNames = [] } = await createLocalDynamoClient(existing.endpoint).send(
      new ListTablesCommand({}),
    );
    expect(TableNames).toContain(defaultTableNames.state);
  }, 60_000);

  it('refuses an endpoint that is not an http(s) URL, saying what to set', () => {
    expect(() => externalDynamo({ AWS_ENDPOINT_URL_DYNAMODB: 'localhost:8000' })).toThrow(
      /must be an http\(s\) URL|is not a URL/,
    );
    expect(() => externalDynamo({ AWS_ENDPOINT_URL_DYNAMODB: 'not a url' })).toThrow(/is not a URL/);
  });

  it('keeps only the origin: credentials in the URL are never shown', () => {
    const external = externalDynamo({ AWS_ENDPOINT_URL_DYNAMODB: 'http://user:secret@127.0.0.1:8000/path' });
    expect(external?.dynamo.endpoint).toBe('http://127.0.0.1:8000');
    external?.client.destroy();
  });

  it('is not used when the variable is unset', () => {
    expect(externalDynamo({})).toBeUndefined();
  });
});
