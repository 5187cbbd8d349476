import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalDynamoClient, type LocalDynamo, startLocalDynamo } from '../../local/dynamodb.js';
import { externalDynamoClient } from '../../local/external-dynamo.js';
import { startLocalSystem } from '../../local/system.js';
import { silentLogger } from '../helpers/runtime.js';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The user's own DynamoDB Local, run with its defaults: without -sharedDb it keeps one database per
 * access key and region, so a client on other credentials sees other (no) tables — the reason the CLI
 * must reach it as `ferry start` does.
 */
let users: LocalDynamo;
let dir: string;

/** What the operator's shell exports: credentials of their own and a region. */
const operatorCredentials = {
  AWS_ACCESS_KEY_ID: 'AKIDFERRYOPERATOR',
  AWS_SECRET_ACCESS_KEY: 'operator-secret-key',
};

beforeAll(async () => {
  users = await startLocalDynamo({ engine: 'java', sharedDb: false, startTimeoutMs: 90_000 });
  dir = await mkdtemp(join(tmpdir(), 'ferry-cli-external-'));
}, 120_000);

afterAll(async () => {
  await users?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Runs the real `ferry` bin in its own process with `env` only (and what a shell needs to find node). */
const ferry = (env: Record<string, string>, ...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ferry.js'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', ...env },
        timeout: 110_000,
      },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

describe('the CLI attached to a ferry start on an external DynamoDB', () => {
  it('reads and writes the DynamoDB the start uses, with the credentials and region it uses', async () => {
    const configPath = join(dir, 'ferry.config.json');
    const dataDir = join(dir, 'data');
    await writeFile(
      configPath,
      JSON.stringify({
        sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
        instances: {
          demo: {
            connector: 'helloworld',
            params: { url: 'http://127.0.0.1:9' },
            secrets: { apiKey: { env: 'DEMO_API_KEY' } },
          },
        },
      }),
    );
    for (const [name, value] of Object.entries(operatorCredentials)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', users.endpoint);
    const system = await startLocalSystem({
      configPath,
      dataDir,
      ingestPort: 0,
      demoSource: false,
      schedule: false,
      logger: silentLogger,
    });
    try {
      await system.store.setLastRun('demo', {
        lastRun: { time: '2026-02-03T04:05:06.000Z' },
        now: Date.now(),
      });
      // The premise: on the placeholder credentials and the default region there are no tables at all.
      const { TableNames: placeholderTables = [] } = await createLocalDynamoClient(users.endpoint).send(
        new ListTablesCommand({}),
      );
      expect(placeholderTables).toEqual([]);

      // The operator's shell: the same credentials, no endpoint and no region exported (the start's are used).
      const shell = { ...operatorCredentials };
      const read = await ferry(shell, 'last-run', 'demo', '--config', configPath, '--data-dir', dataDir);
      expect(read.stderr).toBe('');
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toEqual({ time: '2026-02-03T04:05:06.000Z' });

      const set = await ferry(
        shell,
        ...['last-run', 'demo', '--set', '{"time":"2026-02-04T00:00:00.000Z"}'],
        ...['--config', configPath, '--data-dir', dataDir],
      );
      expect(set.code).toBe(0);
      expect((await system.store.read('demo'))?.lastRun).toEqual({ time: '2026-02-04T00:00:00.000Z' });
    } finally {
      await system.stop();
    }
  }, 240_000);
});

describe('externalDynamoClient', () => {
  it('gives a DynamoDB on this machine the placeholder credentials when none are chosen', async () => {
    const client = externalDynamoClient('http://127.0.0.1:8000', {});
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'local' });
    client.destroy();
  });

  it("uses the SDK's credentials when the environment chooses them", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDCHOSEN');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'chosen-secret');
    const client = externalDynamoClient('http://127.0.0.1:8000', process.env);
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'AKIDCHOSEN' });
    client.destroy();
  });

  it('signs for the region it is given (the running start’s)', async () => {
    const client = externalDynamoClient('http://127.0.0.1:8000', {}, 'ap-southeast-2');
    expect(await client.config.region()).toBe('ap-southeast-2');
    client.destroy();
  });
});
