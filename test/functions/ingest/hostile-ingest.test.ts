import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIncidentStore } from '../../../functions/ingest/incident-store.js';
import { type IngestServer, startIngestServer } from '../../../functions/ingest/server.js';
import { createFerrySink } from '../../../shared/sinks/ferry-sink.js';
import { aBatch } from '../../helpers/incidents.js';
import { hostileRecorder } from '../../reliability/hostile-inputs.js';
import {
  anIncident,
  anInstance,
  type IncidentsTableFixture,
  silentLogger,
  startIncidentsTable,
} from './helpers.js';

const TOKEN = 'hostile-ingest-token-0123456789';
const hostile = hostileRecorder('Ingest endpoint');

/** Records what the endpoint answered to a malformed input: a 400 naming the field is the promise. */
const recordAnswer = (input: string, status: number, field: string | undefined, expectedField?: string) =>
  hostile.record({
    input,
    expected: `400${expectedField ? ` naming ${expectedField}` : ''}, never 500`,
    measured: `${status}${field ? ` (${field})` : ''}`,
    passed: status === 400 && (expectedField === undefined || field === expectedField),
  });
const SCOPED_INSTANCE = 'scoped-instance';
const SCOPED_TOKEN = 'scoped-instance-token-0123456789';

let table: IncidentsTableFixture;
let server: IngestServer;

beforeAll(async () => {
  table = await startIncidentsTable();
  const store = new DynamoIncidentStore({ client: table.client, tableName: table.tableName });
  server = await startIngestServer({
    store,
    token: TOKEN,
    instanceTokens: { [SCOPED_INSTANCE]: SCOPED_TOKEN },
    port: 0,
    logger: silentLogger,
  });
});

afterAll(async () => {
  hostile.write();
  await server?.close();
  await table?.stop();
});

const post = (body: unknown, token = TOKEN) =>
  fetch(`${server.url}/incidents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

// biome-ignore lint/suspicious/noExplicitAny: the tests inspect the endpoint's JSON answers field by field
const json = (response: Response): Promise<any> => response.json();

const get = (path: string, token = TOKEN) =>
  fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

const batchWith = (instance: string, ...incidents: unknown[]) => ({
  instance,
  connector: 'c',
  runId: 'r',
  incidents,
});

/** `{"a": {"a": … {"a": 1}}}`, `depth` levels deep, built as text (no recursion to build or send it). */
const nestedText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('malformed incidents are answered 400 naming the field, never 500', () => {
  it.each([
    ['severity 2.7', { severity: 2.7 }, 'severity'],
    ['labels [1, null]', { labels: [1, null] }, 'labels[0]'],
    ['an object details', { details: { text: 'x' } }, 'details'],
    ['a numeric type', { type: 42 }, 'type'],
    ['CustomFields that is an array', { CustomFields: ['x'] }, 'CustomFields'],
    ['an empty dbotMirrorId', { dbotMirrorId: '' }, 'dbotMirrorId'],
    ['a dbotMirrorId with a lone surrogate', { dbotMirrorId: 'id-\uD800' }, 'dbotMirrorId'],
  ])('%s', async (what, overrides, field) => {
    const response = await post(batchWith(anInstance(), { ...anIncident('x'), ...overrides }));

    const answer = await json(response);
    recordAnswer(`an incident with ${what}`, response.status, answer.error?.field, field);
    expect(response.status).toBe(400);
    expect(answer.error.code).toBe('INCIDENT_INVALID');
    expect(answer.error.field).toBe(field);
    expect(answer.error.message).toContain(field);
  });

  it('CustomFields nested 5,000 deep', async () => {
    const incident = JSON.stringify(anIncident('deep')).replace(/}$/, `,"CustomFields":${nestedText(5000)}}`);
    const body = `{"instance":"${anInstance()}","connector":"c","runId":"r","incidents":[${incident}]}`;

    const response = await post(body);

    const answer = await json(response);
    recordAnswer(
      'an incident with CustomFields nested 5,000 deep',
      response.status,
      answer.error?.field,
      'CustomFields',
    );
    expect(response.status).toBe(400);
    expect(answer.error.field).toBe('CustomFields');
    expect(answer.error.message).toContain('nested more than');
  });

  it('an instance name with a lone surrogate', async () => {
    const response = await post(batchWith('inst-\uDC00', anIncident('x')));

    recordAnswer('a batch whose instance has a lone surrogate', response.status, undefined);
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toContain('instance');
  });

  it.each([
    ['an empty sort key', { sk: '', arrival: '2026-01-01T00:00:00.000Z#r#000000' }],
    ['an empty arrival', { sk: 'KEY#a', arrival: '' }],
    ['a foreign sort key', { sk: 'STATE', arrival: '2026-01-01T00:00:00.000Z#r#000000' }],
  ])('a cursor with %s', async (what, parts) => {
    const instance = anInstance();
    const cursor = Buffer.from(JSON.stringify({ pk: instance, ...parts })).toString('base64url');

    const response = await get(`/incidents?instance=${instance}&cursor=${cursor}`);

    recordAnswer(`GET /incidents with a cursor with ${what}`, response.status, undefined);
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('INVALID_CURSOR');
  });
});

describe('lone surrogates do not merge two ids', () => {
  it('two incidents without ids whose rawJSON differ only in a lone surrogate are refused, not merged', async () => {
    const instance = anInstance();
    const one = { name: 'a', rawJSON: '{"v":"\uD800"}' };

    const response = await post(batchWith(instance, one));

    recordAnswer('an incident without id whose rawJSON has a lone surrogate', response.status, undefined);
    expect(response.status).toBe(400);
    expect((await json(response)).error.field).toBe('rawJSON');
  });

  it('ids that differ in a paired (valid) surrogate are stored apart', async () => {
    const instance = anInstance();

    const response = await post(
      batchWith(instance, anIncident('id-\uD83D\uDE00'), anIncident('id-\uD83D\uDE01')),
    );

    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ new: 2, duplicates: 0 });
  });
});

describe('a second write under an existing key', () => {
  it('with the same content is a duplicate; with another content a 409 conflict, recorded, the first kept', async () => {
    const instance = anInstance();
    const seeded = anIncident('shadow', {
      name: 'Pre-seeded decoy',
      rawJSON: '{"id":"shadow","decoy":true}',
    });
    const real = anIncident('shadow', { name: 'The real alert' });
    await post(batchWith(instance, seeded));

    const again = await post(batchWith(instance, { ...seeded }));
    const conflicting = await post(batchWith(instance, anIncident('fresh'), real));

    expect(await json(again)).toMatchObject({ accepted: 1, new: 0, duplicates: 0 + 1 });
    const answer = await json(conflicting);
    hostile.record({
      input: 'a second write under a pre-seeded dbotMirrorId with another source event',
      expected: '409 naming the key, the first kept, the second recorded',
      measured: `${conflicting.status} (${(answer.conflicts ?? []).map((c: { key: string }) => c.key).join(', ')})`,
      passed: conflicting.status === 409 && answer.conflicts?.[0]?.key === 'shadow',
    });
    expect(conflicting.status).toBe(409);
    expect(answer).toMatchObject({
      accepted: 1,
      new: 1,
      duplicates: 0,
      conflicts: [{ index: 1, key: 'shadow' }],
    });
    expect(answer.error.code).toBe('CONFLICT');
    const listed = await json(await get(`/incidents?instance=${instance}`));
    expect(listed.incidents.map((item: { incident: { name: string } }) => item.incident.name)).toEqual([
      'Pre-seeded decoy',
      'Alert fresh',
    ]);
    const conflicts = await json(await get(`/conflicts?instance=${instance}`));
    expect(conflicts.conflicts).toHaveLength(1);
    expect(conflicts.conflicts[0]).toMatchObject({ key: 'shadow', incident: { name: 'The real alert' } });
  });

  it('the same source event renamed by a changed mapping is a duplicate, not a conflict', async () => {
    const instance = anInstance();
    await post(batchWith(instance, anIncident('renamed')));

    const response = await post(batchWith(instance, anIncident('renamed', { name: 'New mapping' })));

    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ new: 0, duplicates: 1 });
  });

  it('the same content with its keys in another order is a duplicate, not a conflict', async () => {
    const instance = anInstance();
    const incident = anIncident('order');
    await post(batchWith(instance, incident));
    const reordered = Object.fromEntries(Object.entries(incident).reverse());

    const response = await post(batchWith(instance, reordered));

    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ new: 0, duplicates: 1 });
  });

  it('the ferry sink takes a 409 as delivered with a notice (a re-push would conflict forever)', async () => {
    const instance = anInstance();
    await post(batchWith(instance, anIncident('dup', { rawJSON: '{"id":"dup","seeded":true}' })));
    const sink = createFerrySink({ url: server.url, token: TOKEN, http: { retries: 0 } });

    const result = await sink.push(aBatch([anIncident('dup'), anIncident('other')], { instance }));

    expect(result.accepted).toBe(2);
    expect(result.notice).toContain('1 incident(s) conflicted');
    expect(result.notice).toContain('"dup"');
    expect(result.notice).toContain(`/conflicts?instance=${instance}`);
  });
});

describe('per-instance tokens', () => {
  it('reads and writes its own instance', async () => {
    const response = await post(batchWith(SCOPED_INSTANCE, anIncident('mine')), SCOPED_TOKEN);
    const listed = await get(`/incidents?instance=${SCOPED_INSTANCE}`, SCOPED_TOKEN);

    expect(response.status).toBe(200);
    expect(listed.status).toBe(200);
  });

  it('may neither write nor read another instance (403), while the main token reads every one', async () => {
    const other = anInstance();
    await post(batchWith(other, anIncident('theirs')));

    const write = await post(batchWith(other, anIncident('intruder')), SCOPED_TOKEN);
    const read = await get(`/incidents?instance=${other}`, SCOPED_TOKEN);
    const conflicts = await get(`/conflicts?instance=${other}`, SCOPED_TOKEN);
    const operator = await get(`/incidents?instance=${SCOPED_INSTANCE}`);

    hostile.record({
      input: "one instance's token writing and reading another instance",
      expected: '403 each',
      measured: [write.status, read.status, conflicts.status].join(', '),
      passed: [write.status, read.status, conflicts.status].every((status) => status === 403),
    });
    expect([write.status, read.status, conflicts.status]).toEqual([403, 403, 403]);
    expect((await json(write)).error.code).toBe('FORBIDDEN');
    expect(operator.status).toBe(200);
    const stored = await json(await get(`/incidents?instance=${other}`));
    expect(stored.incidents.map((item: { key: string }) => item.key)).toEqual(['theirs']);
  });
});
