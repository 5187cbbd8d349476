import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveDeployConfig } from '../../cdk/deploy-config.js';
import { getParameterRate } from '../../cdk/ssm-throughput.js';
import type { IngestServer } from '../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import type { FetchHandlerResult } from '../../shared/handler/create-fetch-handler.js';
import type { FetchEvent } from '../../shared/handler/fetch-event.js';
import { type AwsEndpoints, startAwsEndpoints } from '../helpers/aws-endpoints/server.js';
import { INGEST_TOKEN, startTestIngest } from '../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../helpers/local-dynamo.js';
import { aLambdaContext } from '../helpers/runtime.js';
import { testConnectors } from './helpers.js';

/**
 * The read rate `cdk synth` checks against Parameter Store's quota (`ssm-throughput.ts`) rests on what
 * a fetch reads. Measured here through the real helloworld handler against the local SSM endpoint,
 * counting GetParameter calls: a fetch one interval after the last reads its document and its API key
 * again (the caches are 5 s and 60 s); a fresh Lambda environment reads everything; only the ingestion
 * token every instance shares is served from the cache.
 */
const API_KEY = 'ssm-reads-key';
type Handler = (event: FetchEvent, context: ReturnType<typeof aLambdaContext>) => Promise<FetchHandlerResult>;

let fixture: DynamoFixture;
let aws: AwsEndpoints;
let ingest: IngestServer;
let source: DemoSource;
const savedEnv = { ...process.env };

beforeAll(async () => {
  fixture = await startDynamoFixture();
  aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  ingest = await startTestIngest(fixture.incidents);
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  aws.ssm.put('/ferry/ingest-token', INGEST_TOKEN, 'SecureString');
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

/** A new Lambda environment: the handler module loaded afresh, with empty caches. */
const freshEnvironment = async (): Promise<Handler> => {
  vi.resetModules();
  return ((await import('../../functions/helloworld/handler.js')) as unknown as { handler: Handler }).handler;
};

/** An instance as `cdk deploy` writes it: its document, and its own API key as a SecureString. */
const deployInstance = (instanceId: string) => {
  const document = {
    id: instanceId,
    connector: 'helloworld',
    fetchInterval: '1 minute',
    params: { url: source.url, first_fetch: '1 hour', max_fetch: 200 },
    secrets: { apiKey: { ssm: `/ferry/secrets/helloworld/${instanceId}/api-key` } },
    sink: { type: 'ferry', token: { ssm: '/ferry/ingest-token' } },
  };
  aws.ssm.put(`/ferry/instances/${instanceId}`, JSON.stringify(document));
  aws.ssm.put(`/ferry/secrets/helloworld/${instanceId}/api-key`, API_KEY, 'SecureString');
  return document;
};

/** GetParameter calls made while `act` runs, by parameter name. */
const readsDuring = async (act: () => Promise<FetchHandlerResult>): Promise<string[]> => {
  const before = aws.ssm.calls.length;
  // A whole fetch, through its push: the token is read only when the sink sends.
  expect(await act()).toMatchObject({ status: 'ok' });
  return aws.ssm.calls
    .slice(before)
    .filter((call) => call.operation === 'GetParameter')
    .map((call) => String(call.input.Name))
    .sort();
};

describe('SSM reads per fetch', () => {
  it('reads the document and the API key at every fetch one interval apart; only the shared token is cached', async () => {
    const a = anInstanceId('reads');
    const b = anInstanceId('reads');
    const documents = [deployInstance(a), deployInstance(b)];
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const handler = await freshEnvironment();
    const fetch = (instanceId: string) => handler({ instanceId }, aLambdaContext());

    const first = await readsDuring(() => fetch(a));
    const otherInstance = await readsDuring(() => fetch(b));
    vi.setSystemTime(Date.now() + 61_000);
    const nextInterval = await readsDuring(() => fetch(a));
    const again = await freshEnvironment();
    const elsewhere = await readsDuring(() => again({ instanceId: b }, aLambdaContext()));

    const own = (id: string) => [`/ferry/instances/${id}`, `/ferry/secrets/helloworld/${id}/api-key`].sort();
    expect(first).toEqual([...own(a), '/ferry/ingest-token'].sort());
    expect(otherInstance).toEqual(own(b)); // the token came from the environment's cache
    expect(nextInterval).toEqual([...own(a), '/ferry/ingest-token'].sort()); // every cache had expired
    expect(elsewhere).toEqual([...own(b), '/ferry/ingest-token'].sort());

    // What synth counts per fetch is never less than what a fetch read: 3 reads a minute per instance.
    const deployed = resolveDeployConfig(
      {
        sink: { type: 'ferry' },
        instances: Object.fromEntries(documents.map(({ id, ...rest }) => [id, rest])),
      },
      { connectors: testConnectors, ingestTokenParameterName: '/ferry/ingest-token' },
    );
    expect(getParameterRate(deployed.instances) * 60).toBeCloseTo(
      2 * Math.max(first.length, nextInterval.length),
    );
  }, 60_000);
});
