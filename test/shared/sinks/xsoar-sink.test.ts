import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, SinkError } from '../../../shared/errors.js';
import type { Incident } from '../../../shared/incident.js';
import { TRUNCATED_LABEL } from '../../../shared/sinks/fit-incident.js';
import { createXsoarSink, type XsoarSinkOptions } from '../../../shared/sinks/xsoar-sink.js';
import { aBatch, anIncident } from '../../helpers/incidents.js';
import {
  startXsoarStandIn,
  type XsoarStandIn,
  type XsoarStandInOptions,
} from '../../helpers/xsoar/stand-in.js';

const apiKey = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
const apiKeyId = '17';
const fast = { baseDelayMs: 1, maxDelayMs: 5 };

let xsoar: XsoarStandIn | undefined;
afterEach(async () => {
  await xsoar?.close();
  xsoar = undefined;
});

const start = async (options: XsoarStandInOptions) => {
  xsoar = await startXsoarStandIn(options);
  return xsoar;
};

const batch = (incidents: Incident[], runId?: string) => aBatch(incidents, { runId });

const sink = (server: XsoarStandIn, options: Partial<XsoarSinkOptions> = {}) =>
  createXsoarSink({ url: server.url, apiKey, resolveDelayMs: 0, http: { retries: 2, ...fast }, ...options });

describe('the xsoar sink against XSOAR 6', () => {
  it('creates one incident per request, with the documented body and the API key, and returns their ids', async () => {
    const server = await start({ flavour: 6, apiKey });
    const incidents = [
      anIncident('a', {
        type: 'Phishing',
        details: 'Reported by the mail gateway',
        labels: [{ type: 'Email/from', value: 'x@example.com' }],
        CustomFields: { 'Scan IP': '10.0.0.1', AlertSource: 'demo' },
      }),
      anIncident('b', { severity: 0.5 }),
    ];

    const result = await sink(server, { playbookId: 'Phishing - Generic v3' }).push(batch(incidents));

    expect(result).toEqual({ accepted: 2, duplicates: 0, ids: ['1', '2'] });
    expect(server.incidents.map((item) => item.headers.authorization)).toEqual([apiKey, apiKey]);
    expect(server.incidents[0]?.body).toEqual({
      name: 'Alert a',
      type: 'Phishing',
      severity: 2,
      occurred: '2024-05-01T10:00:00.000Z',
      details: 'Reported by the mail gateway',
      labels: [
        { type: 'Email/from', value: 'x@example.com' },
        { type: 'Instance', value: 'soc-demo' },
        { type: 'Brand', value: 'Ferry' },
        { type: 'ferry_instance', value: 'soc-demo' },
        { type: 'ferry_run', value: expect.any(String) },
      ],
      rawJSON: JSON.stringify({ id: 'a', kind: 'alert' }),
      CustomFields: { scanip: '10.0.0.1', alertsource: 'demo' },
      dbotMirrorId: 'a',
      sourceInstance: 'soc-demo',
      sourceBrand: 'Ferry',
      createInvestigation: true,
      playbookId: 'Phishing - Generic v3',
    });
    expect(server.incidents[1]?.body).toMatchObject({ severity: 0.5, createInvestigation: true });
  });

  it('gives incidents without a type the configured one, and can leave the investigation to XSOAR', async () => {
    const server = await start({ flavour: 6, apiKey });
    await sink(server, { incidentType: 'Ferry Alert', createInvestigation: false }).push(
      batch([anIncident('a')]),
    );
    expect(server.incidents[0]?.body).toMatchObject({ type: 'Ferry Alert', createInvestigation: false });
  });

  it('fails at once on 401 with a non-retryable error that names the API key', async () => {
    const server = await start({ flavour: 6, apiKey });
    const push = sink(server, { apiKey: 'wrong' }).push(batch([anIncident('a')]));

    await expect(push).rejects.toBeInstanceOf(SinkError);
    await expect(push).rejects.toMatchObject({ details: { status: 401, retryable: false } });
    await expect(push).rejects.toThrow(/"apiKey"/);
    expect(server.requests).toHaveLength(1);
  });

  it('waits as long as a 429 asks (Retry-After), then creates the incident', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.failNext(1, { status: 429, headers: { 'retry-after': '1' } });

    const result = await sink(server).push(batch([anIncident('a')]));

    expect(result.ids).toEqual(['1']);
    const [limited, created] = server.requests;
    expect([limited?.status, created?.status]).toEqual([429, 200]);
    expect((created?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('fails at once, retryable, when Retry-After ends past the push deadline', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.failNext(1, { status: 429, headers: { 'retry-after': '20' } });
    const started = Date.now();

    const push = sink(server).push(batch([anIncident('a')]), { deadline: Date.now() + 2_000 });

    await expect(push).rejects.toMatchObject({ details: { status: 429, retryable: true } });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('never re-sends a create that answered 500 before a search by its dbotMirrorId says it is not there', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.failNext(2, { status: 500 });

    expect((await sink(server).push(batch([anIncident('a')]))).ids).toEqual(['1']);
    expect(server.requests.map((request) => `${request.kind} ${request.status}`)).toEqual([
      'create 500',
      'search 200',
      'create 500',
      'search 200',
      'create 200',
    ]);
  });

  it('does not create again what a 502 gateway answer hid: the search finds it', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.storeThenFail(1);
    server.onCreated = () => server.storeThenFail(undefined);

    expect(await sink(server).push(batch([anIncident('a')]))).toMatchObject({
      accepted: 1,
      duplicates: 0,
      ids: ['1'],
    });
    expect(server.requests.map((request) => `${request.kind} ${request.status}`)).toEqual([
      'create 502',
      'search 200',
    ]);
    expect(server.incidents).toHaveLength(1);
  });

  it('gives up on a lasting 5xx with a retryable error that says how far it got', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.failAfter(2, { status: 503 });

    const push = sink(server, { concurrency: 1 }).push(
      batch(['a', 'b', 'c', 'd'].map((id) => anIncident(id))),
    );

    await expect(push).rejects.toMatchObject({ details: { status: 503, retryable: true } });
    await expect(push).rejects.toThrow(/2 of 4 incidents were created by this push/);
    await expect(push).rejects.toThrow(/the next fetch looks them up in XSOAR before creating any/);
    expect(server.incidents).toHaveLength(2);
  });

  it('refuses a wrong URL (404) without retrying, naming sink.url', async () => {
    const server = await start({ flavour: 6, apiKey });
    const push = sink(server, { url: `${server.url}/wrong/path` }).push(batch([anIncident('a')]));
    await expect(push).rejects.toMatchObject({ details: { status: 404, retryable: false } });
    await expect(push).rejects.toThrow(/sink\.url/);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a rejected incident (400) without retrying, naming its key', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.failNext(1, { status: 400, body: '{"id":"bad_request","status":400,"detail":"field type"}' });
    const push = sink(server).push(batch([anIncident('A-42')]));
    await expect(push).rejects.toMatchObject({ details: { status: 400, retryable: false } });
    await expect(push).rejects.toThrow(/"A-42"/);
  });

  it('never counts a 200 that is not JSON (a login page) as delivered', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.failNext(1, {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>Sign in</html>',
    });
    const push = sink(server).push(batch([anIncident('a')]));
    await expect(push).rejects.toMatchObject({ details: { retryable: false } });
    await expect(push).rejects.toThrow(/not JSON/);
  });

  it('counts an empty 200 (dropped by a pre-processing rule) as accepted, without an id', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.failNext(1, { status: 200, body: '' });
    expect(await sink(server).push(batch([anIncident('a'), anIncident('b')]))).toMatchObject({
      accepted: 2,
      ids: ['1'],
    });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.delayMs = 40;
    const incidents = Array.from({ length: 12 }, (_, i) => anIncident(`id-${i}`));

    const result = await sink(server, { concurrency: 3 }).push(batch(incidents));

    expect(result.ids).toHaveLength(12);
    expect(server.concurrency.max).toBe(3);
    // ids come back in the batch's order, whatever order the requests finished in
    const byName = new Map(server.incidents.map((item) => [item.body.name, item.id]));
    expect(result.ids).toEqual(incidents.map((incident) => byName.get(incident.name)));
  });

  it('stops at the deadline: in-flight requests are aborted and the error is retryable', async () => {
    const server = await start({ flavour: 6, apiKey });
    server.delayMs = 150;
    const controller = new AbortController();
    setTimeout(
      () => controller.abort(new Error('The invocation deadline is near; the fetch was stopped.')),
      400,
    );

    const push = sink(server, { concurrency: 1 }).push(
      batch(Array.from({ length: 10 }, (_, i) => anIncident(`id-${i}`))),
      { signal: controller.signal },
    );

    await expect(push).rejects.toMatchObject({ details: { retryable: true } });
    await expect(push).rejects.toThrow(/deadline/);
  });

  it('sends an oversized incident shortened and labelled, and says so for the history', async () => {
    const server = await start({ flavour: 6, apiKey });
    const huge = anIncident('huge', { rawJSON: JSON.stringify({ id: 'huge', blob: 'x'.repeat(3_000_000) }) });

    const result = await sink(server, { maxIncidentBytes: 100_000 }).push(batch([huge, anIncident('small')]));

    expect(result).toMatchObject({ accepted: 2, truncated: 1, ids: ['1', '2'] });
    expect(result.notice).toMatch(/1 incident was over the sink's 100000-byte limit.*"huge"/);
    const sent = server.incidents[0]?.body;
    expect(Buffer.byteLength(JSON.stringify(sent))).toBeLessThanOrEqual(100_000);
    expect(JSON.parse(sent?.rawJSON as string)).toMatchObject({ ferry_truncated: true });
    expect(sent?.labels).toContainEqual({ type: TRUNCATED_LABEL, value: expect.stringContaining('rawJSON') });
    expect(sent).toMatchObject({ dbotMirrorId: 'huge', sourceInstance: 'soc-demo' });
    expect(server.incidents[1]?.body.rawJSON).toBe(JSON.stringify({ id: 'small', kind: 'alert' }));
  });

  it('shrinks and resends an incident a proxy refuses as too large (413)', async () => {
    const server = await start({ flavour: 6, apiKey, maxBodyBytes: 40_000 });
    const large = anIncident('large', { rawJSON: JSON.stringify({ blob: 'y'.repeat(200_000) }) });

    const result = await sink(server).push(batch([large]));

    expect(result).toMatchObject({ accepted: 1, truncated: 1, ids: ['1'] });
    expect(server.requests.map((request) => request.status)).toEqual([413, 413, 200]);
  });
});

describe('the xsoar sink answered as XSOAR answers', () => {
  it('402: says the licence is the problem, not Ferry, and does not retry', async () => {
    const server = await start({ flavour: 6, apiKey, licence: 'expired' });
    const push = sink(server).push(batch([anIncident('a')]));
    await expect(push).rejects.toMatchObject({ details: { status: 402, retryable: false } });
    await expect(push).rejects.toThrow(/licence does not cover this API.*renew or extend the licence/);
    expect(server.requests).toHaveLength(1);
  });

  it("403: names the key's role, not the key", async () => {
    const server = await start({ flavour: 8, apiKey, apiKeyId, role: 'read-only' });
    const push = sink(server, { version: 8, apiKeyId }).push(batch([anIncident('a')]));
    await expect(push).rejects.toMatchObject({ details: { status: 403, retryable: false } });
    await expect(push).rejects.toThrow(/give the API key a role that may create and search incidents/);
  });

  it('the stand-in refuses an occurred XSOAR cannot parse with its 400 body (validation converts it before)', async () => {
    const server = await start({ flavour: 6, apiKey });
    const push = sink(server).push(batch([anIncident('a', { occurred: '2026-01-31 10:00' })]));
    await expect(push).rejects.toMatchObject({ details: { status: 400, retryable: false } });
    await expect(push).rejects.toThrow(/cannot parse it as RFC 3339/);
  });

  it('signs every request with an XSOAR 8 advanced key: a fresh nonce each, and a wrong key refused', async () => {
    const server = await start({ flavour: 8, apiKey, apiKeyId, apiKeyType: 'advanced' });
    const advanced = { version: 8, apiKeyId, apiKeyType: 'advanced' } as const;

    await sink(server, advanced).push(batch([anIncident('a'), anIncident('b')]));
    const wrong = sink(server, { ...advanced, apiKey: 'not-the-key' }).push(batch([anIncident('c')]));

    const nonces = server.incidents.map((item) => item.headers['x-xdr-nonce']);
    expect(nonces).toHaveLength(2);
    expect(new Set(nonces).size).toBe(2);
    expect(server.incidents[0]?.headers.authorization).not.toBe(apiKey);
    await expect(wrong).rejects.toMatchObject({ details: { status: 401, retryable: false } });
  });
});

describe('the xsoar sink against XSOAR 8', () => {
  it('posts to /xsoar/public/v1/incident with the API key and its ID', async () => {
    const server = await start({ flavour: 8, apiKey, apiKeyId });

    const result = await sink(server, { version: 8, apiKeyId }).push(batch([anIncident('a')]));

    expect(result.ids).toEqual(['1']);
    expect(server.incidents[0]?.headers).toMatchObject({ authorization: apiKey, 'x-xdr-auth-id': apiKeyId });
  });

  it('accepts the URL with /xsoar already on it', async () => {
    const server = await start({ flavour: 8, apiKey, apiKeyId });
    await sink(server, { version: 8, apiKeyId, url: `${server.url}/xsoar/` }).push(batch([anIncident('a')]));
    expect(server.incidents).toHaveLength(1);
  });

  it('fails at once on 401 with an error naming the key and its ID', async () => {
    const server = await start({ flavour: 8, apiKey, apiKeyId });
    const push = sink(server, { version: 8, apiKeyId: '99' }).push(batch([anIncident('a')]));
    await expect(push).rejects.toMatchObject({ details: { status: 401, retryable: false } });
    await expect(push).rejects.toThrow(/"apiKeyId"/);
  });

  it('needs the key ID', () => {
    expect(() =>
      createXsoarSink({ url: 'https://api-acme.xdr.us.paloaltonetworks.com', apiKey, version: 8 }),
    ).toThrow(ConfigError);
  });
});

describe('the xsoar sink through the Generic Webhook', () => {
  const credentials = { username: 'ferry', password: 's3cret:with:colons' };
  const webhook = (server: XsoarStandIn, options: Partial<XsoarSinkOptions> = {}) =>
    createXsoarSink({
      url: server.url,
      mode: 'webhook',
      webhookInstance: 'Ferry Webhook',
      ...credentials,
      http: { retries: 2, ...fast },
      ...options,
    });

  it('posts [{name, type, occurred, raw_json}] with basic auth: the event under raw_json.event, the rest under raw_json.ferry', async () => {
    const server = await start({ flavour: 'webhook', webhook: { name: 'Ferry Webhook' }, ...credentials });
    const incident = anIncident('a', {
      type: 'Phishing',
      details: 'more',
      CustomFields: { 'Scan IP': '1.2.3.4' },
    });

    const result = await webhook(server).push(batch([incident]));

    expect(result).toEqual({ accepted: 1, duplicates: 0, ids: ['1'] });
    expect(server.incidents[0]?.body).toEqual({
      name: 'Alert a',
      type: 'Phishing',
      occurred: '2024-05-01T10:00:00.000Z',
      raw_json: {
        event: { id: 'a', kind: 'alert' },
        ferry: {
          instance: 'soc-demo',
          connector: 'helloworld',
          runId: expect.any(String),
          key: 'a',
          dbotMirrorId: 'a',
          sourceBrand: 'Ferry',
          severity: 2,
          details: 'more',
          labels: expect.arrayContaining([{ type: 'Instance', value: 'soc-demo' }]),
          CustomFields: { scanip: '1.2.3.4' },
        },
      },
    });
    // What XSOAR stored: the webhook wrote the request headers into the raw JSON, beside the event.
    const raw = JSON.parse(server.incidents[0]?.incident.rawJSON as string);
    expect(raw.event).toEqual({ id: 'a', kind: 'alert' });
    expect(raw.headers).not.toHaveProperty('authorization');
  });

  it('keeps an event that is not an object, or has its own "headers", intact under event', async () => {
    const server = await start({ flavour: 'webhook', webhook: { name: 'Ferry Webhook' }, ...credentials });
    await webhook(server).push(
      batch([
        anIncident('a', { rawJSON: '[1,2]' }),
        anIncident('b', { rawJSON: JSON.stringify({ headers: { from: 'x@example.com' } }) }),
      ]),
    );
    const stored = server.incidents.map((item) => JSON.parse(item.incident.rawJSON as string));
    expect(stored.map((raw) => raw.event)).toEqual([[1, 2], { headers: { from: 'x@example.com' } }]);
  });

  it('sends many incidents per request (batchSize), the token in a header with a "_header:" username', async () => {
    const server = await start({
      flavour: 'webhook',
      webhook: { name: 'Ferry Webhook' },
      username: '_header:X-Ferry-Token',
      password: 'tok-123',
    });
    const items = ['a', 'b', 'c', 'd', 'e'].map((id) => anIncident(id));

    const result = await webhook(server, {
      username: '_header:X-Ferry-Token',
      password: 'tok-123',
      batchSize: 2,
    }).push(batch(items));

    expect(result).toMatchObject({ accepted: 5, ids: ['1', '2', '3', '4', '5'] });
    expect(server.requests.map((request) => request.status)).toEqual([200, 200, 200]);
    expect(server.incidents[0]?.headers['x-ferry-token']).toBe('tok-123');
    expect(server.incidents[0]?.headers.authorization).toBeUndefined();
  });

  it("is the default mode when a webhook instance is named: the one that runs the instance's classifier and mapper", async () => {
    const server = await start({ flavour: 'webhook', webhook: { name: 'Ferry Webhook' }, ...credentials });
    await createXsoarSink({ url: server.url, webhookInstance: 'Ferry Webhook', ...credentials }).push(
      batch([anIncident('a')]),
    );
    expect(server.incidents[0]?.incident).toMatchObject({
      sourceInstance: 'Ferry Webhook',
      sourceBrand: 'Generic Webhook',
    });
  });

  it('fails at once on 401 with an error naming the credentials', async () => {
    const server = await start({ flavour: 'webhook', webhook: { name: 'Ferry Webhook' }, ...credentials });
    const push = webhook(server, { password: 'nope' }).push(batch([anIncident('a')]));
    await expect(push).rejects.toMatchObject({ details: { status: 401, retryable: false } });
    await expect(push).rejects.toThrow(/"credentials"/);
  });

  it('names the webhook instance when nothing answers at its URL', async () => {
    const server = await start({ flavour: 'webhook', webhook: { name: 'Ferry Webhook' }, ...credentials });
    const push = webhook(server, { webhookInstance: 'Other' }).push(batch([anIncident('a')]));
    await expect(push).rejects.toMatchObject({ details: { status: 404, retryable: false } });
    await expect(push).rejects.toThrow(/"Other"/);
  });
});

describe('the xsoar sink and TLS', () => {
  it('refuses plain http:// to a remote host', () => {
    expect(() => createXsoarSink({ url: 'http://xsoar.example.com', apiKey })).toThrow(/allowInsecure/);
  });

  it('allows it when the configuration says so, and always to loopback', () => {
    expect(createXsoarSink({ url: 'http://xsoar.example.com', apiKey, allowInsecure: true }).type).toBe(
      'xsoar',
    );
    expect(createXsoarSink({ url: 'http://localhost:8443', apiKey }).type).toBe('xsoar');
    expect(createXsoarSink({ url: 'https://xsoar.example.com', apiKey }).type).toBe('xsoar');
  });
});
