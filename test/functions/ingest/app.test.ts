import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIncidentStore, type IncidentStore } from '../../../functions/ingest/incident-store.js';
import { type IngestServer, startIngestServer } from '../../../functions/ingest/server.js';
import {
  anIncident,
  anInstance,
  type IncidentsTableFixture,
  type IngestFixture,
  silentLogger,
  startIngestFixture,
} from './helpers.js';

const token = 'ingest-test-token-0123456789';

let table: IncidentsTableFixture;
let server: IngestServer;
let ingest: IngestFixture;

beforeAll(async () => {
  ingest = await startIngestFixture(token);
  ({ table, server } = ingest);
});

afterAll(() => ingest?.stop());

const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
  fetch(`${server.url}/incidents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const list = (query: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
  fetch(`${server.url}/incidents?${query}`, { headers });

// biome-ignore lint/suspicious/noExplicitAny: the tests inspect the endpoint's JSON answers field by field
const json = (response: Response): Promise<any> => response.json();

const batchOf = (instance: string, ids: string[], runId = 'run-1') => ({
  instance,
  connector: 'demo',
  runId,
  incidents: ids.map((id) => anIncident(id)),
});

describe('GET /health', () => {
  it('answers 200 without a token', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'ok' });
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-token' }],
    ['a token prefix', { authorization: `Bearer ${token.slice(0, -1)}` }],
    ['another scheme', { authorization: `Basic ${token}` }],
  ])('refuses a POST with %s with 401 and stores nothing', async (_, headers) => {
    const instance = anInstance();
    const response = await post(batchOf(instance, ['a']), headers);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await json(response)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    const stored = await json(await list(`instance=${instance}`));
    expect(stored.incidents).toEqual([]);
  });

  it('refuses a GET without the token', async () => {
    const response = await list(`instance=${anInstance()}`, {});
    expect(response.status).toBe(401);
  });

  it('accepts the scheme case-insensitively', async () => {
    const response = await post(batchOf(anInstance(), ['a']), { authorization: `bearer ${token}` });
    expect(response.status).toBe(200);
  });
});

describe('POST /incidents', () => {
  it('stores a first push as new and answers accepted = incidents sent', async () => {
    const instance = anInstance();
    const response = await post(batchOf(instance, ['a', 'b', 'c']));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ accepted: 3, new: 3, duplicates: 0 });
  });

  it('answers a replayed batch with all duplicates and keeps one copy', async () => {
    const instance = anInstance();
    await post(batchOf(instance, ['a', 'b']));
    const replay = await post(batchOf(instance, ['a', 'b'], 'run-2'));
    expect(await json(replay)).toEqual({ accepted: 2, new: 0, duplicates: 2 });
    const { incidents } = await json(await list(`instance=${instance}`));
    expect(incidents.map((item: { key: string; runId: string }) => [item.key, item.runId])).toEqual([
      ['a', 'run-1'],
      ['b', 'run-1'],
    ]);
  });

  it('counts a key repeated inside one batch once', async () => {
    const response = await post(batchOf(anInstance(), ['a', 'a', 'b']));
    expect(await json(response)).toEqual({ accepted: 3, new: 2, duplicates: 1 });
  });

  it('stores each incident once when the same batch arrives twice at the same time', async () => {
    const instance = anInstance();
    const ids = Array.from({ length: 40 }, (_, i) => `c-${i}`);
    const answers = await Promise.all([post(batchOf(instance, ids)), post(batchOf(instance, ids, 'run-2'))]);
    const [first, second] = await Promise.all(answers.map(json));
    expect(first.new + second.new).toBe(40);
    expect(first.duplicates + second.duplicates).toBe(40);
    const { incidents } = await json(await list(`instance=${instance}&limit=1000`));
    expect(incidents).toHaveLength(40);
  });

  it('refuses an incident too large for one DynamoDB item with 400 naming its size', async () => {
    const huge = anIncident('huge', { rawJSON: JSON.stringify({ blob: 'x'.repeat(400 * 1024) }) });
    const response = await post({ ...batchOf(anInstance(), []), incidents: [huge] });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({
      code: 'INCIDENT_INVALID',
      index: 0,
      field: '(size)',
    });
  });

  it('accepts an empty batch', async () => {
    const response = await post(batchOf(anInstance(), []));
    expect(await json(response)).toEqual({ accepted: 0, new: 0, duplicates: 0 });
  });

  it('refuses a body over the limit with 413 (Content-Length)', async () => {
    const big = { ...batchOf(anInstance(), ['a']), padding: 'x'.repeat(5 * 1024 * 1024) };
    const response = await post(big);
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked body over the limit with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${server.url}/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const response = await post('{"instance":');
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('INVALID_JSON');
  });

  it('refuses a batch without an instance with 400 naming the field', async () => {
    const { instance: _, ...batch } = batchOf(anInstance(), ['a']);
    const response = await post(batch);
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('"instance"');
  });

  it('refuses a batch with an invalid incident with 400 naming the incident and field, storing none', async () => {
    const instance = anInstance();
    const batch = batchOf(instance, ['good', 'bad']);
    batch.incidents[1] = { ...anIncident('bad'), occurred: 'yesterday' };
    const response = await post(batch);
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error).toMatchObject({ code: 'INCIDENT_INVALID', index: 1, field: 'occurred' });
    expect(error.message).toContain('Incident #1 (dbotMirrorId "bad")');
    expect(error.message).toContain('"occurred"');
    const stored = await json(await list(`instance=${instance}`));
    expect(stored.incidents).toEqual([]);
  });

  it('refuses an incident without a name with 400 naming "name"', async () => {
    const response = await post({ ...batchOf(anInstance(), []), incidents: [{ rawJSON: '{}' }] });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ index: 0, field: 'name' });
  });

  it('stores a dbotMirrorId longer than a DynamoDB sort key allows, idempotently', async () => {
    const instance = anInstance();
    const id = 'i'.repeat(2000);
    expect(await json(await post(batchOf(instance, [id])))).toEqual({
      accepted: 1,
      new: 1,
      duplicates: 0,
    });
    expect(await json(await post(batchOf(instance, [id])))).toEqual({
      accepted: 1,
      new: 0,
      duplicates: 1,
    });
    const { incidents } = await json(await list(`instance=${instance}`));
    expect(incidents).toHaveLength(1);
    expect(incidents[0].key).toBe(id);
  });
});

describe('GET /incidents', () => {
  it('returns what arrived with its metadata, the incident unchanged', async () => {
    const instance = anInstance();
    const incident = anIncident('x', {
      labels: [{ type: 'host', value: 'web-1' }],
      CustomFields: { score: 0.25 },
    });
    await post({ instance, connector: 'demo', runId: 'run-7', incidents: [incident] });
    const response = await list(`instance=${instance}`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({
      incidents: [
        { key: 'x', instance, connector: 'demo', runId: 'run-7', receivedAt: expect.any(String), incident },
      ],
    });
    expect(Date.parse(body.incidents[0].receivedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it.each([
    ['no instance', ''],
    ['limit 0', 'instance=i&limit=0'],
    ['limit over 1000', 'instance=i&limit=1001'],
    ['a limit that is not a number', 'instance=i&limit=ten'],
  ])('refuses %s with 400', async (_, query) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('INVALID_REQUEST');
  });

  it('names the missing instance', async () => {
    expect((await json(await list(''))).error.message).toContain('"instance"');
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    [
      'another instance',
      Buffer.from(JSON.stringify({ pk: 'other', sk: 'KEY#a', arrival: 'x' })).toString('base64url'),
    ],
  ])('refuses a cursor that is %s with 400', async (_, cursor) => {
    const response = await list(`instance=mine&cursor=${cursor}`);
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('INVALID_CURSOR');
  });
});

describe('errors', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
    expect((await json(response)).error.code).toBe('NOT_FOUND');
  });

  it('answers a store failure with 500 without leaking its details', async () => {
    const broken: IncidentStore = {
      putBatch: async () => {
        throw new Error('ResourceNotFoundException: table arn:aws:dynamodb:secret-table');
      },
      list: async () => ({ incidents: [] }),
      listConflicts: async () => ({ conflicts: [] }),
    };
    const failing = await startIngestServer({ store: broken, token, port: 0, logger: silentLogger });
    try {
      const response = await fetch(`${failing.url}/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(batchOf('i', ['a'])),
      });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text).error.code).toBe('INTERNAL');
      expect(text).not.toContain('secret-table');
    } finally {
      await failing.close();
    }
  });
});

describe('DynamoIncidentStore', () => {
  it('keeps arrival order for batches received in the same millisecond', async () => {
    const frozen = new Date('2024-05-01T10:00:00.000Z');
    const store = new DynamoIncidentStore({
      client: table.client,
      tableName: table.tableName,
      now: () => frozen,
    });
    const instance = anInstance();
    for (const [index, id] of ['z', 'y', 'x'].entries()) {
      await store.putBatch({
        instance,
        connector: 'demo',
        runId: `run-${9 - index}`,
        incidents: [anIncident(id)],
      });
    }
    const { incidents } = await store.list({ instance, limit: 10 });
    expect(incidents.map((item) => item.key)).toEqual(['z', 'y', 'x']);
    expect(incidents.map((item) => item.receivedAt)).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:00:00.001Z',
      '2024-05-01T10:00:00.002Z',
    ]);
  });

  it('pages with a cursor that resumes right after the last incident returned', async () => {
    const store = new DynamoIncidentStore({
      client: table.client,
      tableName: table.tableName,
      concurrency: 2,
    });
    const instance = anInstance();
    const ids = Array.from({ length: 7 }, (_, i) => `p-${i}`);
    await store.putBatch({
      instance,
      connector: 'demo',
      runId: 'run-1',
      incidents: ids.map((id) => anIncident(id)),
    });
    const first = await store.list({ instance, limit: 3 });
    const second = await store.list({ instance, limit: 3, cursor: first.cursor });
    const third = await store.list({ instance, limit: 3, cursor: second.cursor });
    expect([first, second, third].map((page) => page.incidents.map((item) => item.key))).toEqual([
      ['p-0', 'p-1', 'p-2'],
      ['p-3', 'p-4', 'p-5'],
      ['p-6'],
    ]);
    expect(third.cursor).toBeUndefined();
  });
});
