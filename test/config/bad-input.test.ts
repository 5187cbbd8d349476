import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleRateMinutes } from '../../cdk/deploy-config.js';
import { connectors } from '../../functions/connectors.js';
import { helloworld } from '../../functions/helloworld/connector.js';
import type { IngestServer } from '../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { parseConfig } from '../../shared/config/instance-documents.js';
import type { InstanceSource } from '../../shared/config/instance-source.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../shared/config/schema.js';
import { createSecretResolver } from '../../shared/config/secrets.js';
import { ConfigError, ErrorCodes } from '../../shared/errors.js';
import { createFetchHandler } from '../../shared/handler/create-fetch-handler.js';
import { validateIncident } from '../../shared/incident.js';
import type { RunOutcome } from '../../shared/runner/run-fetch.js';
import { INGEST_TOKEN, startTestIngest, storedIds } from '../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../helpers/local-dynamo.js';
import { aLambdaContext, silentLogger } from '../helpers/runtime.js';

const SOURCE = 'ferry.config.json';
const good = {
  connector: 'helloworld',
  params: { url: 'https://alerts.example.com' },
  secrets: { apiKey: { env: 'KEY' } },
};
const withParams = (params: Record<string, unknown>) => ({ ...good, params: { ...good.params, ...params } });

/** Every config field, in turn, given a wrong value: [what, instance entry, field named, words of the fix]. */
const badInstances: [string, unknown, string, RegExp][] = [
  [
    'connector of the wrong type',
    { ...good, connector: 42 },
    'connector',
    /name the connector \(for example "helloworld"\) \(got 42\)/,
  ],
  [
    'an unknown connector',
    { ...good, connector: 'nope' },
    'connector',
    /does not exist\. Set "connector" to one of: .*helloworld/,
  ],
  ['an unknown key', { ...good, colour: 'red' }, '', /unknown key "colour" \(check the spelling/],
  ['enabled of the wrong type', { ...good, enabled: 'yes' }, 'enabled', /must be true or false/],
  [
    'fetchInterval of the wrong type',
    { ...good, fetchInterval: 5 },
    'fetchInterval',
    /must be a duration such as/,
  ],
  [
    'fetchInterval unparseable',
    { ...good, fetchInterval: 'soon' },
    'fetchInterval',
    /must be a duration such as "30 seconds"/,
  ],
  ['params of the wrong type', { ...good, params: 'url=x' }, 'params', /must be an object of parameters/],
  ['max_fetch 0', withParams({ max_fetch: 0 }), 'params.max_fetch', /must be at least 1/],
  ['max_fetch blank', withParams({ max_fetch: '' }), 'params.max_fetch', /must be a number/],
  ['max_fetch 5000', withParams({ max_fetch: 5000 }), 'params.max_fetch', /must be at most 1000/],
  ['max_fetch fractional', withParams({ max_fetch: 2.5 }), 'params.max_fetch', /whole number/],
  [
    'first_fetch unparseable',
    withParams({ first_fetch: 'the day before yesterday' }),
    'params.first_fetch',
    /must be a time back from now \("3 days"/,
  ],
  [
    'first_fetch of the wrong type',
    withParams({ first_fetch: 3 }),
    'params.first_fetch',
    /must be a time back from now/,
  ],
  ['look_back negative', withParams({ look_back: -5 }), 'params.look_back', /must be 0 or more minutes/],
  ['lag unparseable', withParams({ lag: 'a bit' }), 'params.lag', /must be a duration such as/],
  [
    'lag of the wrong type',
    withParams({ lag: true }),
    'params.lag',
    /must be a number of seconds or a duration/,
  ],
  ['query of the wrong type', withParams({ query: 5 }), 'params.query', /must be a string/],
  ['an unknown connector parameter', withParams({ urll: 'x' }), 'params', /unknown key "urll"/],
  [
    "the connector's own parameter invalid",
    withParams({ url: 'not a url' }),
    'params.url',
    /must be the alert API's base URL/,
  ],
  [
    'a secret given as a value',
    { ...good, secrets: { apiKey: 'hunter2-value' } },
    'secrets.apiKey',
    /must be a reference, never the value/,
  ],
  [
    'a required secret missing',
    { ...good, secrets: {} },
    'secrets.apiKey',
    /the secret "apiKey" is missing\. Add "secrets"/,
  ],
  [
    'a sink of an unknown type',
    { ...good, sink: { type: 'kafka' } },
    'sink.type',
    /Expected 'ferry' \| 'xsoar' \| 'eventbridge'/,
  ],
];

describe('bad configuration: one clear error per instance, the others unaffected', () => {
  it.each(badInstances)('%s', (_, entry, field, fix) => {
    const config = parseConfig({ instances: { 'bad-one': entry, 'good-one': good } }, SOURCE, { connectors });

    expect(config.instances.map((instance) => instance.id)).toEqual(['good-one']);
    expect(config.errors).toHaveLength(1);
    const [error] = config.errors;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', instanceId: 'bad-one' });
    if (field) expect(error?.field).toBe(field);
    expect(error?.message).toMatch(/instance "bad-one"/i);
    if (field) expect(error?.message).toContain(field.split('.').at(-1));
    expect(error?.message).toMatch(fix);
    // A secret's value never appears in an error about it.
    expect(error?.message).not.toContain('hunter2-value');
  });

  it("refuses a fetchInterval below EventBridge Scheduler's minimum at deploy, naming the instance and the fix", () => {
    const document = instanceDocumentSchema.parse({
      ...good,
      id: 'fast-one',
      fetchInterval: '30 seconds',
      sink: { type: 'ferry' },
    });
    expect(() => scheduleRateMinutes(document, SOURCE)).toThrow(
      /instance "fast-one": fetchInterval "30 seconds" is shorter than 1 minute.*Set "fetchInterval": "1 minute" or longer/,
    );
    expect(() => scheduleRateMinutes({ ...document, fetchInterval: '90 seconds' }, SOURCE)).toThrow(
      /not a whole number of minutes.*Use "1 minutes" or "2 minutes"/,
    );
  });
});

describe('incidents that break the contract: a clear error naming the incident and the field', () => {
  const valid = { name: 'n', occurred: '2026-03-10T11:00:00Z', rawJSON: '{}', dbotMirrorId: 'e1' };
  it.each([
    ['no name', { ...valid, name: undefined }, /"name" is required/],
    ['an empty name', { ...valid, name: '' }, /"name" is required/],
    ['occurred not ISO-8601', { ...valid, occurred: '10/03/2026 11:00' }, /"occurred"/],
    ['rawJSON not a string', { ...valid, rawJSON: { a: 1 } }, /"rawJSON"/],
    ['dbotMirrorId not a string', { ...valid, dbotMirrorId: 12 }, /"dbotMirrorId"/],
  ])('%s', (_, incident, field) => {
    expect(validateIncident(valid, 0)).toEqual(valid);
    expect(() => validateIncident(incident, 1)).toThrow(/Incident #1 .*is invalid/);
    expect(() => validateIncident(incident, 1)).toThrow(field);
    expect(() => validateIncident(incident, 1)).toThrow(/the fetch was not committed, so nothing is lost/);
  });

  it('too big: over the limit given, naming its size', () => {
    const big = { ...valid, rawJSON: JSON.stringify({ blob: 'x'.repeat(500_000) }) };
    expect(() => validateIncident(big, 3, 384 * 1024)).toThrow(
      /Incident #3 .*is \d+ bytes, over the 393216-byte limit/,
    );
  });
});

describe('bad input at fetch time, against the real handler, store, endpoint and source', () => {
  let fixture: DynamoFixture;
  let ingest: IngestServer;
  let source: DemoSource;
  const API_KEY = 'bad-input-key';

  beforeAll(async () => {
    fixture = await startDynamoFixture();
    ingest = await startTestIngest(fixture.incidents);
    source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
    source.add({ created: Date.now() - 60_000 });
  }, DYNAMO_START_TIMEOUT_MS);

  afterAll(async () => {
    await source?.close();
    await ingest?.close();
    await fixture?.stop();
  });

  const aDocument = (overrides: Record<string, unknown> = {}) =>
    instanceDocumentSchema.parse({
      id: anInstanceId('input'),
      connector: 'helloworld',
      params: { url: source.url, first_fetch: '1 hour' },
      secrets: { apiKey: { env: 'BAD_INPUT_KEY' } },
      sink: { type: 'ferry', token: { env: 'BAD_INPUT_TOKEN' }, allowInsecure: true },
      ...overrides,
    });

  const handlerFor = (documents: InstanceDocument[], instances?: InstanceSource) =>
    createFetchHandler({
      connector: helloworld,
      instances:
        instances ?? ({ getInstance: async (id) => documents.find((d) => d.id === id)! } as InstanceSource),
      store: fixture.store,
      secrets: createSecretResolver({ env: { BAD_INPUT_KEY: API_KEY, BAD_INPUT_TOKEN: INGEST_TOKEN } }),
      logger: silentLogger,
      sinkDefaults: { ferryUrl: ingest.url },
    });

  it('a secret reference that does not exist: the error names the instance and the variable; nothing runs; the others fetch', async () => {
    const broken = aDocument({ secrets: { apiKey: { env: 'NO_SUCH_VARIABLE' } } });
    const healthy = aDocument();
    const handler = handlerFor([broken, healthy]);
    const requestsBefore = source.requests;

    const outcome = (await handler({ instanceId: broken.id }, aLambdaContext())) as RunOutcome;
    const requestsAfterBroken = source.requests;
    const other = (await handler({ instanceId: healthy.id }, aLambdaContext())) as RunOutcome;

    expect(outcome).toMatchObject({ status: 'error', pushed: 0, error: { code: ErrorCodes.SECRET_MISSING } });
    expect(outcome.error?.message).toContain(broken.id);
    expect(outcome.error?.message).toContain('NO_SUCH_VARIABLE');
    expect(requestsAfterBroken).toBe(requestsBefore);
    expect(await fixture.store.read(broken.id)).toMatchObject({
      lastRun: {},
      version: 0,
      leaseId: undefined,
    });
    expect((await fixture.store.listHistory(broken.id))[0]).toMatchObject({ status: 'error' });
    expect(other).toMatchObject({ status: 'ok', pushed: 1 });
  });

  it('a configuration that turned invalid (an edited SSM document): recorded, fetch not run, the others fetch', async () => {
    const healthy = aDocument();
    const brokenId = anInstanceId('input');
    // What the instance source throws for an instance whose document no longer validates.
    const [invalid] = parseConfig({ instances: { [brokenId]: withParams({ max_fetch: 0 }) } }, SOURCE, {
      connectors,
    }).errors;
    const instances = {
      getInstance: async (id: string) => {
        if (id === healthy.id) return healthy;
        throw invalid;
      },
    } as InstanceSource;
    const handler = handlerFor([], instances);
    const requestsBefore = source.requests;

    const outcome = (await handler({ instanceId: brokenId }, aLambdaContext())) as RunOutcome;
    const other = (await handler({ instanceId: healthy.id }, aLambdaContext())) as RunOutcome;

    expect(outcome).toMatchObject({ status: 'error', error: { code: 'CONFIG_INVALID' } });
    expect(outcome.error?.message).toMatch(
      new RegExp(`instance "${brokenId}".*params\\.max_fetch must be at least 1`, 'i'),
    );
    expect(source.requests - requestsBefore).toBe(1); // the healthy instance's request only
    expect(await fixture.store.read(brokenId)).toBeUndefined();
    expect((await fixture.store.listHistory(brokenId))[0]).toMatchObject({
      status: 'error',
      error: { code: 'CONFIG_INVALID' },
    });
    expect(other.status).toBe('ok');
  });

  describe('a corrupted state item: a clear error and the documented recovery, never a silent reset', () => {
    const corrupt = async (instanceId: string, expression: string, values: Record<string, unknown>) =>
      DynamoDBDocumentClient.from(fixture.client).send(
        new UpdateCommand({
          TableName: fixture.tables.state,
          Key: { pk: instanceId, sk: 'STATE' },
          UpdateExpression: expression,
          ExpressionAttributeValues: values,
        }),
      );

    it.each([
      ['lastRun not a map', 'SET lastRun = :v', { ':v': ['a', 'list'] }],
      ['version not a number', 'SET version = :v', { ':v': 'seven' }],
      ['the cursor time not a date', 'SET lastRun = :v', { ':v': { time: 'yesterday' } }],
      ['the cursor time a number', 'SET lastRun = :v', { ':v': { time: 1773140400000 } }],
    ])('%s', async (_, expression, values) => {
      const document = aDocument();
      const handler = handlerFor([document]);
      expect((await handler({ instanceId: document.id }, aLambdaContext())) as RunOutcome).toMatchObject({
        status: 'ok',
      });
      const pushedBefore = await storedIds(fixture.incidents, document.id);
      await corrupt(document.id, expression, values);
      const requestsBefore = source.requests;

      const outcome = (await handler({ instanceId: document.id }, aLambdaContext())) as RunOutcome;

      expect(outcome).toMatchObject({ status: 'error', pushed: 0, error: { code: 'STATE_CORRUPT' } });
      expect(outcome.error?.message).toContain(`ferry last-run ${document.id} --set`);
      expect(outcome.error?.message).toContain(`ferry last-run ${document.id} --reset`);
      expect(source.requests).toBe(requestsBefore);
      // Not reset: the corrupted value is still there for the operator to repair from, and no lease is left.
      const raw = await DynamoDBDocumentClient.from(fixture.client).send(
        new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
          TableName: fixture.tables.state,
          Key: { pk: document.id, sk: 'STATE' },
          ConsistentRead: true,
        }),
      );
      const [key] = Object.keys(values).map(() => expression.split(' ')[1]!);
      expect(raw.Item?.[key!]).toEqual(values[':v']);
      expect(raw.Item?.leaseId).toBeUndefined();
      expect(await storedIds(fixture.incidents, document.id)).toEqual(pushedBefore);

      // The documented recovery (what `ferry last-run <id> --set` does), then the instance fetches again.
      await fixture.store.setLastRun(document.id, {
        lastRun: { time: new Date(Date.now() - 60_000).toISOString() },
        now: Date.now(),
      });
      expect((await handler({ instanceId: document.id }, aLambdaContext())) as RunOutcome).toMatchObject({
        status: 'ok',
      });
    });
  });
});
