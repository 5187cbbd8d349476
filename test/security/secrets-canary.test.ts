import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { helloworld } from '../../functions/helloworld/connector.js';
import type { IngestServer } from '../../functions/ingest/server.js';
import { startIngestServer } from '../../functions/ingest/server.js';
import { createDashboardApp } from '../../local/dashboard/app.js';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import type { InstanceSource } from '../../shared/config/instance-source.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../shared/config/schema.js';
import { createSecretResolver } from '../../shared/config/secrets.js';
import { type Connector, defineConnector } from '../../shared/connector.js';
import { createFetchHandler, type FetchHandlerResult } from '../../shared/handler/create-fetch-handler.js';
import { buildIncident } from '../../shared/incident.js';
import { createLogger } from '../../shared/logger.js';
import type { ReplayStore } from '../../shared/state/replay-store.js';
import { INGEST_TOKEN, listAllIncidents, startTestIngest } from '../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../helpers/local-dynamo.js';
import { aLambdaContext } from '../helpers/runtime.js';

/**
 * A canary secret value, pushed through every path a secret can take: it must appear nowhere a
 * person or a log pipeline can read. (cdk.out: test/cdk/bundles.test.ts "writes no secret value
 * anywhere in cdk.out".) The ingestion endpoint's auth is at the end of this file (one DynamoDB Local
 * per file); its unit tests are in test/functions/ingest/app.test.ts ("authentication", body limits).
 */
const CANARY = 'ferry-canary-9f3c1e7a52d4b8';
const ROOT = resolve(import.meta.dirname, '../..');

let fixture: DynamoFixture;
let ingest: IngestServer;
let source: DemoSource;
const output: string[] = [];

beforeAll(async () => {
  fixture = await startDynamoFixture();
  ingest = await startTestIngest(fixture.incidents);
  source = await startDemoSource({ apiKey: CANARY, ratePerSecond: 0 });
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  vi.restoreAllMocks();
  await source?.close();
  await ingest?.close();
  await fixture?.stop();
});

/** Everything written to stdout and stderr (Powertools writes its JSON lines there) while `act` runs. */
const capturing = async <T>(act: () => Promise<T>): Promise<T> => {
  const record = (chunk: unknown) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  try {
    return await act();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
};

/**
 * A careless connector: it logs its key, reports it in its health, keeps it in its cursor, puts it
 * in a request URL, and throws errors that quote it. Redaction must catch every one.
 */
const leaky = defineConnector({
  name: 'helloworld',
  style: 'cursor',
  params: z.object({ url: z.string(), fail: z.boolean().default(false) }).strict(),
  secrets: ['apiKey'],
  async test(ctx) {
    throw new Error(`test failed for key ${ctx.secrets.apiKey}`);
  },
  async fetchIncidents(ctx) {
    const key = ctx.secrets.apiKey!;
    ctx.logger.info(`connecting with ${key}`, { apiKey: key, nested: { header: `Bearer ${key}` } });
    ctx.logger.debug('debug line', { key });
    ctx.health(`token ${key} is about to expire`, { isError: true });
    await ctx.http.request({
      url: `${ctx.params.url}/alerts?since=2026-01-01T00:00:00Z&api_key=${key}`,
      headers: { authorization: `Bearer ${key}` },
    });
    if (ctx.params.fail) throw new Error(`the source refused key ${key}`);
    return {
      incidents: [
        buildIncident(
          { id: 'e1' },
          { name: () => 'one', occurred: () => '2026-03-10T11:00:00Z', id: (e) => e.id },
        ),
      ],
      nextRun: { token: key, time: '2026-03-10T11:00:00Z' },
    };
  },
}) as Connector;

const handlerFor = (connector: Connector, documents: InstanceDocument[]) =>
  createFetchHandler({
    connector,
    instances: { getInstance: async (id) => documents.find((d) => d.id === id)! } as InstanceSource,
    store: fixture.store,
    secrets: createSecretResolver({ env: { CANARY_KEY: CANARY, INGEST_TOKEN } }),
    logger: createLogger({ level: 'DEBUG' }),
    sinkDefaults: { ferryUrl: ingest.url },
  });

const aDocument = (params: Record<string, unknown>, id = anInstanceId('canary')) =>
  instanceDocumentSchema.parse({
    id,
    connector: 'helloworld',
    params,
    secrets: { apiKey: { env: 'CANARY_KEY' } },
    sink: { type: 'ferry', token: { env: 'INGEST_TOKEN' }, allowInsecure: true },
  });

const expectNoCanary = (where: string, value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  expect(text.includes(CANARY), `${where} contains the canary: ${text.slice(0, 2000)}`).toBe(false);
};

describe('a canary secret appears nowhere', () => {
  const ok = aDocument({ url: '' });
  const failing = aDocument({ url: '', fail: true });
  const results: FetchHandlerResult[] = [];

  beforeAll(async () => {
    for (const document of [ok, failing]) (document.params as { url: string }).url = source.url;
    const handler = handlerFor(leaky, [ok, failing]);
    source.setFailure('none');
    await capturing(async () => {
      for (const document of [ok, failing]) {
        results.push(await handler({ instanceId: document.id }, aLambdaContext()));
        results.push(await handler({ instanceId: document.id, operation: 'debug' }, aLambdaContext()));
        results.push(await handler({ instanceId: document.id, operation: 'test' }, aLambdaContext()));
      }
      // The real connector, refused by its source (401), then rate limited (429).
      const real = aDocument({ url: source.url, first_fetch: '1 hour' });
      const realHandler = handlerFor(helloworld, [real]);
      source.setFailure('unauthorized', { count: 4 });
      results.push(await realHandler({ instanceId: real.id }, aLambdaContext()));
      source.setFailure('rate-limited', { count: 4, retryAfterSeconds: 3600 });
      results.push(await realHandler({ instanceId: real.id }, aLambdaContext()));
      source.setFailure('none');
    });
  }, 60_000);

  it('was really used: the source accepted it and the runs did what they should', () => {
    expect(
      results.map((r) => (r.kind === 'fetch' ? r.status : r.kind === 'test' ? `test:${r.ok}` : r.kind)),
    ).toEqual(['ok', 'ok', 'test:false', 'error', 'error', 'test:false', 'error', 'error']);
  });

  it('in the logs (every Powertools line, at DEBUG)', () => {
    expect(output.join('').length).toBeGreaterThan(1000);
    expect(output.join('')).toContain('***');
    expectNoCanary('the log output', output.join(''));
  });

  it('in the outcomes the handler returns (errors, messages, cursors, debug incidents)', () => {
    expectNoCanary('the outcomes', results);
  });

  it('in the history records and the state items', async () => {
    for (const document of [ok, failing]) {
      expectNoCanary('the history', await fixture.store.listHistory(document.id));
    }
    // The cursor is the connector's own state and is stored as given: a connector must keep secrets
    // out of it (RELIABILITY.md). The health message and the last error are Ferry's, and are redacted.
    const state = await fixture.store.read(failing.id);
    expectNoCanary('the health', state?.health);
  });

  it("in the dashboard's JSON API", async () => {
    const handler = handlerFor(leaky, [ok, failing]);
    const app = createDashboardApp({
      mode: 'running',
      store: fixture.store,
      replays: { list: async () => [] } as unknown as ReplayStore,
      invoke: (instanceId, operation = 'fetch') => handler({ instanceId, operation }, aLambdaContext()),
      listInstances: async () => ({ documents: [ok, failing], errors: [] }),
      connectorOf: async () => 'helloworld',
    });
    const call = async (path: string, method = 'GET') =>
      (
        await app.request(`http://127.0.0.1:8790${path}`, {
          method,
          headers: { host: '127.0.0.1:8790', 'content-type': 'application/json' },
          body: method === 'POST' ? '{}' : undefined,
        })
      ).text();
    const answers = await capturing(async () => [
      await call('/api/overview'),
      await call(`/api/instances/${ok.id}/history`),
      await call(`/api/instances/${failing.id}/history`),
      await call(`/api/instances/${ok.id}/debug`, 'POST'),
      await call(`/api/instances/${failing.id}/debug`, 'POST'),
      await call(`/api/instances/${ok.id}/test`, 'POST'),
    ]);
    expect(answers.join('').length).toBeGreaterThan(500);
    for (const answer of answers) expectNoCanary('a dashboard answer', answer);
  });

  it('in `ferry fetch --debug` output (the real CLI, logs at DEBUG)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-canary-'));
    try {
      const configPath = join(dir, 'ferry.config.json');
      await writeFile(
        configPath,
        JSON.stringify({
          sink: { type: 'ferry' },
          instances: {
            canary: {
              connector: 'helloworld',
              params: { url: source.url, first_fetch: '1 hour' },
              secrets: { apiKey: { env: 'CANARY_KEY' } },
            },
          },
        }),
      );
      source.add({ created: Date.now() - 60_000, description: 'an alert' });
      const run = () =>
        new Promise<{ stdout: string; stderr: string }>((done) => {
          execFile(
            process.execPath,
            [
              join(ROOT, 'bin/ferry.js'),
              'fetch',
              'canary',
              '--debug',
              '--config',
              configPath,
              '--data-dir',
              join(dir, 'data'),
            ],
            {
              cwd: ROOT,
              env: {
                ...process.env,
                CANARY_KEY: CANARY,
                FERRY_INGEST_TOKEN: INGEST_TOKEN,
                LOG_LEVEL: 'DEBUG',
                NO_COLOR: '1',
                NODE_NO_WARNINGS: '1',
              },
              timeout: 110_000,
            },
            (_error, stdout, stderr) => done({ stdout, stderr }),
          );
        });
      const ran = await run();
      expect(ran.stdout, ran.stderr).toContain('"dbotMirrorId"');
      source.setFailure('unauthorized', { count: 4 });
      const refused = await run();
      source.setFailure('none');
      expect(refused.stderr).toContain('SOURCE_AUTH');
      for (const { stdout, stderr } of [ran, refused]) {
        expectNoCanary('the CLI stdout', stdout);
        expectNoCanary('the CLI stderr', stderr);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the ingestion endpoint', () => {
  let endpoint: IngestServer;
  const logs: string[] = [];
  beforeAll(async () => {
    // The canary is the endpoint's token here.
    endpoint = await startIngestServer({
      store: fixture.incidents,
      token: CANARY,
      port: 0,
      logger: createLogger({ level: 'DEBUG' }),
    });
  });
  afterAll(async () => {
    await endpoint?.close();
  });

  const push = (instance: string, headers: Record<string, string>, body?: string) =>
    capturing(async () => {
      const response = await fetch(`${endpoint.url}/incidents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body:
          body ??
          JSON.stringify({
            instance,
            connector: 'helloworld',
            runId: 'r1',
            incidents: [{ name: 'one', occurred: '2026-03-10T11:00:00Z', rawJSON: '{}', dbotMirrorId: 'e1' }],
          }),
      });
      const text = await response.text();
      logs.push(text);
      return { status: response.status, text };
    });

  it.each([
    ['no token', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${CANARY.slice(0, -1)}x` }],
    ['the token with a suffix', { authorization: `Bearer ${CANARY}0` }],
    ['the token under another scheme', { authorization: `Basic ${CANARY}` }],
  ])('refuses %s with 401, stores nothing and echoes no token', async (_, headers) => {
    const instance = anInstanceId('auth');
    const answer = await push(instance, headers);
    expect(answer.status).toBe(401);
    expectNoCanary('the 401 answer', answer.text);
    expect(await listAllIncidents(fixture.incidents, instance)).toEqual([]);
  });

  it('accepts the right token (the refusals above are about the token, nothing else)', async () => {
    const instance = anInstanceId('auth');
    const answer = await push(instance, { authorization: `Bearer ${CANARY}` });
    expect(answer.status).toBe(200);
    expect(await listAllIncidents(fixture.incidents, instance)).toHaveLength(1);
  });

  it('refuses a body over its limit with 413 and stores nothing', async () => {
    const instance = anInstanceId('auth');
    const huge = JSON.stringify({
      instance,
      connector: 'helloworld',
      runId: 'r1',
      incidents: [
        {
          name: 'big',
          occurred: '2026-03-10T11:00:00Z',
          rawJSON: 'x'.repeat(6 * 1024 * 1024),
          dbotMirrorId: 'e1',
        },
      ],
    });
    const answer = await push(instance, { authorization: `Bearer ${CANARY}` }, huge);
    expect(answer.status).toBe(413);
    expect(await listAllIncidents(fixture.incidents, instance)).toEqual([]);
  });

  it('logs no token, right or wrong', () => {
    expectNoCanary('the endpoint logs', output.join(''));
  });

  it('compares tokens in constant time (SHA-256 digests through timingSafeEqual; timing is not asserted)', () => {
    const app = readFileSync(join(ROOT, 'functions/ingest/bearer-auth.ts'), 'utf8');
    expect(app).toMatch(/timingSafeEqual\(digest\(presented\), digest\(expected\)\)/);
    expect(app).not.toMatch(/presented\s*===\s*secret|secret\s*===\s*presented/);
  });
});
