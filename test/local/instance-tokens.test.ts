import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { type LocalSystem, startLocalSystem } from '../../local/system.js';
import type { RunOutcome } from '../../shared/runner/run-fetch.js';
import { storedIds } from '../helpers/ingest.js';
import { DYNAMO_START_TIMEOUT_MS } from '../helpers/local-dynamo.js';
import { silentLogger } from '../helpers/runtime.js';

// `ferry start` with an instance that has its own ingestion token, as the stack deploys it in AWS:
// the instance pushes with it, and the local endpoint accepts it for that instance only.
const API_KEY = 'local-scoped-demo-key';
const SHARED = 'local-shared-ingest-token-0001';
const OWN = 'local-own-ingest-token-7f3a2c';

let dir: string;
let source: DemoSource;
let system: LocalSystem;
const savedEnv = { ...process.env };

const config = (instances: Record<string, unknown>) =>
  JSON.stringify({ sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } }, instances });
const instance = (sink?: unknown) => ({
  connector: 'helloworld',
  fetchInterval: '1 hour',
  params: { url: source.url, first_fetch: '1 hour' },
  secrets: { apiKey: { env: 'SCOPED_DEMO_KEY' } },
  ...(sink ? { sink } : {}),
});
const ownSink = { type: 'ferry', token: { env: 'ALERTS_INGEST_TOKEN' } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-scoped-'));
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  Object.assign(process.env, {
    SCOPED_DEMO_KEY: API_KEY,
    FERRY_INGEST_TOKEN: SHARED,
    ALERTS_INGEST_TOKEN: OWN,
  });
  await writeFile(join(dir, 'ferry.config.json'), config({ alerts: instance(ownSink), shared: instance() }));
  system = await startLocalSystem({
    configPath: join(dir, 'ferry.config.json'),
    inMemory: true,
    ingestPort: 0,
    demoSource: false,
    schedule: false,
    logger: silentLogger,
    dynamoStartTimeoutMs: DYNAMO_START_TIMEOUT_MS - 10_000,
  });
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await system?.stop();
  await source?.close();
  process.env = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

const list = (token: string, instanceId: string) =>
  fetch(`${system.runtime.ingestUrl}/incidents?instance=${instanceId}`, {
    headers: { authorization: `Bearer ${token}` },
  });

describe('per-instance ingestion tokens in ferry start', { timeout: 60_000 }, () => {
  it('an instance pushes with its own token; that token reads its own instance only', async () => {
    const id = source.add({ created: Date.now() - 60_000 }).id;

    const own = (await system.invoke('alerts', 'fetch')) as RunOutcome;
    const shared = (await system.invoke('shared', 'fetch')) as RunOutcome;

    expect(own).toMatchObject({ status: 'ok', pushed: 1 });
    expect(shared).toMatchObject({ status: 'ok', pushed: 1 });
    expect(await storedIds(system.incidents, 'alerts')).toEqual([id]);
    expect((await list(OWN, 'alerts')).status).toBe(200);
    expect((await list(OWN, 'shared')).status).toBe(403);
    expect((await list(SHARED, 'alerts')).status).toBe(200);
  });

  it('knows the token of an instance added to the file while it runs', async () => {
    await writeFile(
      join(dir, 'ferry.config.json'),
      config({
        alerts: instance(ownSink),
        shared: instance(),
        added: instance({ ...ownSink, token: { env: 'ADDED_TOKEN' } }),
      }),
    );
    process.env.ADDED_TOKEN = 'local-added-ingest-token-5e1b';

    const added = (await system.invoke('added', 'fetch')) as RunOutcome;

    expect(added).toMatchObject({ status: 'ok' });
    expect((await list('local-added-ingest-token-5e1b', 'added')).status).toBe(200);
    expect((await list('local-added-ingest-token-5e1b', 'alerts')).status).toBe(403);
  });
});
