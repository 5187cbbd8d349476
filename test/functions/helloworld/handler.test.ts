import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IngestServer } from '../../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import type { FetchHandlerResult } from '../../../shared/handler/create-fetch-handler.js';
import type { FetchEvent } from '../../../shared/handler/fetch-event.js';
import type { TestOutcome } from '../../../shared/handler/run-connector-test.js';
import type { RunOutcome } from '../../../shared/runner/run-fetch.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';
import { INGEST_TOKEN, startTestIngest, storedIds } from '../../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { aLambdaContext } from '../../helpers/runtime.js';

const API_KEY = 'handler-demo-key';
const MINUTE = 60_000;

type Handler = (event: FetchEvent, context: ReturnType<typeof aLambdaContext>) => Promise<FetchHandlerResult>;

let fixture: DynamoFixture;
let aws: AwsEndpoints;
let ingest: IngestServer;
let source: DemoSource;
let handler: Handler;
const savedEnv = { ...process.env };

beforeAll(async () => {
  fixture = await startDynamoFixture();
  aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  ingest = await startTestIngest(fixture.incidents);
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  aws.ssm.put('/ferry/secrets/demo-key', API_KEY, 'SecureString');
  aws.ssm.put('/ferry/ingest/token', INGEST_TOKEN, 'SecureString');

  // The deployed function's environment, pointed at the local servers through the SDK's own variables.
  Object.assign(process.env, {
    STATE_TABLE: fixture.tables.state,
    FERRY_INGEST_URL: ingest.url,
    AWS_ENDPOINT_URL_SSM: aws.url,
    AWS_ENDPOINT_URL_DYNAMODB: fixture.dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  vi.resetModules();
  ({ handler } = (await import('../../../functions/helloworld/handler.js')) as unknown as {
    handler: Handler;
  });
}, DYNAMO_START_TIMEOUT_MS);

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  process.env = savedEnv;
  await source?.close();
  await ingest?.close();
  await aws?.close();
  await fixture?.stop();
});

/** Writes the instance's document where `cdk deploy` puts it: SSM /ferry/instances/<id>. */
const deployInstance = (instanceId: string, overrides: Record<string, unknown> = {}) =>
  aws.ssm.put(
    `/ferry/instances/${instanceId}`,
    JSON.stringify({
      id: instanceId,
      connector: 'helloworld',
      fetchInterval: '1 minute',
      params: { url: source.url, first_fetch: '1 hour', max_fetch: 200 },
      secrets: { apiKey: { ssm: '/ferry/secrets/demo-key' } },
      sink: { type: 'ferry', token: { ssm: '/ferry/ingest/token' } },
      ...overrides,
    }),
  );

const invoke = async (instanceId: string, operation?: FetchEvent['operation']) =>
  handler({ instanceId, ...(operation ? { operation } : {}) }, aLambdaContext()) as Promise<RunOutcome>;

const addAlerts = (...minutesAgo: number[]) =>
  minutesAgo.map((minutes) => source.add({ created: Date.now() - minutes * MINUTE }).id).sort();

describe('the helloworld Lambda handler', () => {
  it('completes a scheduled fetch: incidents at the endpoint, last run committed, history written', async () => {
    const instanceId = anInstanceId('lambda');
    deployInstance(instanceId);
    const ids = addAlerts(10, 5);

    const outcome = await invoke(instanceId);

    expect(outcome).toMatchObject({ instanceId, connector: 'helloworld', status: 'ok', pushed: 2 });
    expect(await storedIds(fixture.incidents, instanceId)).toEqual(ids);
    expect((await fixture.store.read(instanceId))?.lastRun).toMatchObject({ time: expect.any(String) });
    const [record] = await fixture.store.listHistory(instanceId);
    expect(record).toMatchObject({ status: 'ok', pushed: 2, sourceIdCount: 2 });
    expect(JSON.stringify(record)).not.toContain(API_KEY);
    // The secrets were read decrypted, as SecureStrings must be.
    expect(aws.ssm.calls.filter((call) => call.input.Name === '/ferry/secrets/demo-key')).not.toEqual([]);
  });

  it('records a missing instance parameter in its history, and other instances still fetch', async () => {
    const missing = anInstanceId('ghost');
    const present = anInstanceId('lambda');
    deployInstance(present);
    addAlerts(1);

    const failed = await invoke(missing);
    const other = await invoke(present);

    expect(failed).toMatchObject({ instanceId: missing, status: 'error', error: { code: 'CONFIG_INVALID' } });
    expect(failed.error?.message).toContain(`SSM parameter /ferry/instances/${missing} does not exist`);
    expect((await fixture.store.listHistory(missing))[0]).toMatchObject({
      status: 'error',
      error: { code: 'CONFIG_INVALID' },
    });
    expect(other).toMatchObject({ status: 'ok' });
  });

  it('applies an edited parameter on the next fetch once the cached document is older than its maxAge', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const instanceId = anInstanceId('lambda');
    deployInstance(instanceId);
    await invoke(instanceId);

    deployInstance(instanceId, { enabled: false });
    vi.advanceTimersByTime(1_000);
    const cached = await invoke(instanceId);
    vi.advanceTimersByTime(5_000);
    const edited = await invoke(instanceId);

    expect(cached.status).toBe('ok');
    expect(edited.status).toBe('disabled');
  });

  it('records an instance whose document names another connector, saying how to fix the schedule', async () => {
    const instanceId = anInstanceId('lambda');
    deployInstance(instanceId, { connector: 'other' });

    const outcome = await invoke(instanceId);

    expect(outcome).toMatchObject({ status: 'error', error: { code: 'CONFIG_INVALID' } });
    expect(outcome.error?.message).toContain(
      'is configured for connector "other" but was sent to the "helloworld" function',
    );
  });

  it('answers the Test button without fetching: ok, or the error', async () => {
    const good = anInstanceId('lambda');
    const wrongKey = anInstanceId('lambda');
    deployInstance(good);
    aws.ssm.put('/ferry/secrets/wrong-key', 'not-the-key', 'SecureString');
    deployInstance(wrongKey, { secrets: { apiKey: { ssm: '/ferry/secrets/wrong-key' } } });

    const ok = (await invoke(good, 'test')) as unknown as TestOutcome;
    const failed = (await invoke(wrongKey, 'test')) as unknown as TestOutcome;

    expect(ok).toEqual({ kind: 'test', instanceId: good, ok: true });
    expect(failed).toMatchObject({ ok: false, error: { code: 'SOURCE_AUTH' } });
    expect(await fixture.store.read(good)).toBeUndefined();
  });

  it('refuses an event that is not the schedule input', async () => {
    await expect(handler({ instance: 'x' } as unknown as FetchEvent, aLambdaContext())).rejects.toThrow(
      'it expects {"instanceId": "<id>"} (the schedule\'s input)',
    );
  });
});
