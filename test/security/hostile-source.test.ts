import { createServer, type IncomingHttpHeaders } from 'node:http';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpjson } from '../../functions/httpjson/connector.js';
import { createDashboardApp } from '../../local/dashboard/app.js';
import type { InstanceSource } from '../../shared/config/instance-source.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../shared/config/schema.js';
import { createSecretResolver } from '../../shared/config/secrets.js';
import { createFetchHandler, type FetchHandlerResult } from '../../shared/handler/create-fetch-handler.js';
import { type ListeningServer, listen } from '../../shared/listen.js';
import { createLogger } from '../../shared/logger.js';
import type { ReplayStore } from '../../shared/state/replay-store.js';
import { INGEST_TOKEN, startTestIngest } from '../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../helpers/local-dynamo.js';
import { aLambdaContext } from '../helpers/runtime.js';
import { hostileRecorder } from '../reliability/hostile-inputs.js';

const hostile = hostileRecorder('Hostile source, end to end');

/**
 * The hostile source, against the real handler, runner, httpjson connector and DynamoDB:
 * a source that redirects to another origin, and one whose 401 echoes the credential in derived forms.
 */
// 22 characters with a `"` and a `\`: JSON-escaping changes it.
const API_KEY = 'hx"9\\Kq2-Lm7Pz4Vb8-Nw3';
const USERNAME = 'svc-hostile';
const PASSWORD = 'Pw"\\0123456789';
const BASIC = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');

let fixture: DynamoFixture;
let ingest: ListeningServer;
let source: ListeningServer;
let elsewhere: ListeningServer;
const elsewhereSeen: IncomingHttpHeaders[] = [];
const output: string[] = [];
let mode: 'redirect-302' | 'redirect-307' | 'echo-401' = 'redirect-302';

const page = () =>
  JSON.stringify({
    items: [{ id: `e-${Date.now()}`, ts: new Date(Date.now() - 60_000).toISOString(), title: 'moved' }],
  });

beforeAll(async () => {
  fixture = await startDynamoFixture();
  ingest = await startTestIngest(fixture.incidents);
  elsewhere = await listen(
    createServer((request, response) => {
      elsewhereSeen.push(request.headers);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(page());
    }),
  );
  source = await listen(
    createServer((request, response) => {
      if (mode === 'echo-401') {
        // A careless API: its error repeats what it was sent, JSON-escaped, and the Basic header too.
        // It also shows a cut of what it got, and its bytes in hex, lower and upper case.
        const sent = String(request.headers['x-api-key'] ?? request.headers.authorization);
        const hex = Buffer.from(sent).toString('hex');
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            message: `invalid credentials ${sent}; got "${sent.slice(0, 12)}…" (${hex}, ${hex.slice(10, 40).toUpperCase()})`,
            received: { headers: request.headers },
            hint: `${'.'.repeat(270)}${request.headers['x-api-key']}`,
          }),
        );
        return;
      }
      response.writeHead(mode === 'redirect-302' ? 302 : 307, {
        location: `${elsewhere.url}/alerts${request.url?.slice(7) ?? ''}`,
      });
      response.end();
    }),
  );
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  hostile.write();
  await source?.close();
  await elsewhere?.close();
  await ingest?.close();
  await fixture?.stop();
});

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

const aDocument = (auth: Record<string, unknown>, secrets: Record<string, unknown>): InstanceDocument =>
  instanceDocumentSchema.parse({
    id: anInstanceId('hostile'),
    connector: 'httpjson',
    params: {
      url: `${source.url}/alerts`,
      auth,
      query_params: { since: '{{start}}' },
      items_path: 'items',
      fields: { id: 'id', occurred: 'ts', name: '{{title}}' },
      first_fetch: '1 hour',
    },
    secrets,
    sink: { type: 'ferry', token: { env: 'INGEST_TOKEN' } },
  });

const handlerFor = (documents: InstanceDocument[]) =>
  createFetchHandler({
    connector: httpjson,
    instances: { getInstance: async (id) => documents.find((d) => d.id === id)! } as InstanceSource,
    store: fixture.store,
    secrets: createSecretResolver({ env: { API_KEY, USERNAME, PASSWORD, INGEST_TOKEN } }),
    logger: createLogger({ level: 'DEBUG' }),
    sinkDefaults: { ferryUrl: ingest.url },
  });

const headerAuth = () => aDocument({ type: 'header', header: 'X-Api-Key' }, { token: { env: 'API_KEY' } });
const basicAuth = () =>
  aDocument({ type: 'basic' }, { username: { env: 'USERNAME' }, password: { env: 'PASSWORD' } });

describe('a source that redirects to another origin', () => {
  it.each(['redirect-302', 'redirect-307'] as const)(
    '%s: the other origin never sees the key',
    async (redirect) => {
      mode = redirect;
      elsewhereSeen.length = 0;
      const document = headerAuth();

      const outcome = (await capturing(() =>
        handlerFor([document])({ instanceId: document.id }, aLambdaContext()),
      )) as FetchHandlerResult & { status: string; pushed: number };

      const withKey = elsewhereSeen.filter((headers) => headers['x-api-key'] !== undefined).length;
      hostile.record({
        input: `an httpjson instance (X-Api-Key) whose source answers ${redirect.slice(-3)} to another origin, fetched by the runner`,
        expected: 'no key at the other origin; ok only then',
        measured: `${elsewhereSeen.length} request(s) at the other origin, ${withKey} with the key; history: ${outcome.status}`,
        passed: elsewhereSeen.length > 0 && withKey === 0,
      });
      expect(elsewhereSeen.length).toBeGreaterThan(0);
      for (const headers of elsewhereSeen) {
        expect(headers['x-api-key']).toBeUndefined();
        expect(JSON.stringify(headers)).not.toContain('Lm7Pz4');
      }
      // The history may say ok only because no key went elsewhere: the page came without it.
      expect(outcome.status).toBe('ok');
      expect(outcome.pushed).toBe(1);
    },
  );
});

/** Every form of the credentials a leak could take. */
const forms = [
  API_KEY,
  JSON.stringify(API_KEY).slice(1, -1),
  API_KEY.slice(0, 21),
  encodeURIComponent(API_KEY),
  BASIC,
  JSON.stringify(PASSWORD).slice(1, -1),
  'Lm7Pz4',
  // Cuts (the first 8 characters, a window) and hex, lower and upper case, whole or cut.
  API_KEY.slice(0, 8),
  API_KEY.slice(9, 17),
  Buffer.from(API_KEY).toString('hex').slice(0, 16),
  Buffer.from(API_KEY).toString('hex').slice(10, 40).toUpperCase(),
  Buffer.from(`Basic ${BASIC}`).toString('hex').slice(20, 36),
];
const expectNoForm = (where: string, value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const found = forms.filter((form) => text.includes(form));
  hostile.record({
    input: `a 401 echoing the key (JSON-escaped, cut, URL-encoded, hex) and the Basic header: ${where.replace(/hostile-[0-9a-f]{8}/g, '<instance>')}`,
    expected: 'no form of a credential',
    measured: found.length === 0 ? 'none found' : `${found.length} form(s) found`,
    passed: found.length === 0,
  });
  for (const form of forms)
    expect(text.includes(form), `${where} contains "${form}": ${text.slice(0, 1500)}`).toBe(false);
};

describe('a source whose 401 echoes the credentials in derived forms', () => {
  let header: InstanceDocument;
  let basic: InstanceDocument;
  const results: FetchHandlerResult[] = [];

  beforeAll(async () => {
    header = headerAuth();
    basic = basicAuth();
    mode = 'echo-401';
    const handler = handlerFor([header, basic]);
    await capturing(async () => {
      for (const document of [header, basic]) {
        results.push(await handler({ instanceId: document.id }, aLambdaContext()));
        results.push(await handler({ instanceId: document.id, operation: 'test' }, aLambdaContext()));
      }
    });
  }, 60_000);

  it('failed as auth failures (the credentials really were sent and refused)', () => {
    expect(JSON.stringify(results)).toContain('SOURCE_AUTH');
  });

  it('reach none of: the outcomes (fetch and `ferry test`), the logs, the history, the DynamoDB items, the dashboard', async () => {
    expectNoForm('the outcomes', results);
    expect(output.join('').length).toBeGreaterThan(500);
    expectNoForm('the logs', output.join(''));
    const doc = DynamoDBDocumentClient.from(fixture.client);
    for (const document of [header, basic]) {
      expectNoForm(
        `the history (${document === header ? 'X-Api-Key' : 'Basic'} auth)`,
        await fixture.store.listHistory(document.id),
      );
      const { Item } = await doc.send(
        new GetCommand({ TableName: fixture.tables.state, Key: { pk: document.id, sk: 'STATE' } }),
      );
      expect(Item?.lastErrorCode).toBe('SOURCE_AUTH');
      expectNoForm(`the state item (${document === header ? 'X-Api-Key' : 'Basic'} auth)`, Item);
    }
    const app = createDashboardApp({
      mode: 'running',
      store: fixture.store,
      replays: { list: async () => [] } as unknown as ReplayStore,
      invoke: async () => ({ kind: 'test', instanceId: '', ok: true }),
      listInstances: async () => ({ documents: [header, basic], errors: [] }),
      connectorOf: async () => 'httpjson',
    });
    for (const [what, path] of [
      ['overview', '/api/overview'],
      ['history (X-Api-Key auth)', `/api/instances/${header.id}/history`],
      ['history (Basic auth)', `/api/instances/${basic.id}/history`],
    ] as const) {
      const answer = await (
        await app.request(`http://127.0.0.1:8790${path}`, { headers: { host: '127.0.0.1:8790' } })
      ).text();
      expect(answer).toContain('401');
      expectNoForm(`the dashboard's ${what}`, answer);
    }
  });
});
