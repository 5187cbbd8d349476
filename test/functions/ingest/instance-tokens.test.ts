import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { handler as IngestHandler } from '../../../functions/ingest/handler.js';
import { type IngestServer, startIngestServer } from '../../../functions/ingest/server.js';
import {
  createSsmInstanceTokens,
  instanceTokenParameters,
  instanceTokensVariable,
} from '../../../functions/ingest/ssm-instance-tokens.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import type { FetchHandlerResult } from '../../../shared/handler/create-fetch-handler.js';
import type { FetchEvent } from '../../../shared/handler/fetch-event.js';
import type { redactString as RedactString } from '../../../shared/redact.js';
import type { RunOutcome } from '../../../shared/runner/run-fetch.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';
import { storedIds } from '../../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { aLambdaContext, silentLogger } from '../../helpers/runtime.js';
import { anIncident } from './helpers.js';
import { httpApiEvent } from './http-api-event.js';

// Per-instance ingestion tokens as deployed: SecureStrings in (local) SSM named by the variable the
// stack sets, read by the real ingest handler with the real SDK; then the sink side, a connector's
// Lambda handler pushing with its own instance's token.
const MAIN_TOKEN = 'main-ingest-token-4f1d9a2c7e';
const SOC_TOKEN = 'soc-instance-token-8b3e61f0d2';
const EDR_TOKEN = 'edr-instance-token-c57a0e49b1';
const soc = anInstanceId('soc');
const edr = anInstanceId('edr');
const lost = anInstanceId('lost');
const parameters = {
  [soc]: '/ferry/ingest-tokens/soc',
  [edr]: '/ferry/ingest-tokens/edr',
  // Never put in SSM: only this instance loses its token.
  [lost]: '/ferry/ingest-tokens/lost',
};

type FetchHandler = (
  event: FetchEvent,
  context: ReturnType<typeof aLambdaContext>,
) => Promise<FetchHandlerResult>;

let fixture: DynamoFixture;
let aws: AwsEndpoints;
let ingestHandler: typeof IngestHandler;
// The handler's own module instance (vi.resetModules gives it a fresh one), which it registers secrets in.
let redactString: typeof RedactString;

beforeAll(async () => {
  fixture = await startDynamoFixture();
  aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  aws.ssm.put('/ferry/ingest-token', MAIN_TOKEN, 'SecureString');
  aws.ssm.put('/ferry/ingest-tokens/soc', SOC_TOKEN, 'SecureString');
  aws.ssm.put('/ferry/ingest-tokens/edr', EDR_TOKEN, 'SecureString');
  vi.stubEnv('INCIDENTS_TABLE', fixture.tables.incidents);
  vi.stubEnv('STATE_TABLE', fixture.tables.state);
  vi.stubEnv('INGEST_TOKEN_PARAMETER', '/ferry/ingest-token');
  vi.stubEnv(instanceTokensVariable, JSON.stringify(parameters));
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', aws.url);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', fixture.dynamo.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.resetModules();
  ({ handler: ingestHandler } = await import('../../../functions/ingest/handler.js'));
  ({ redactString } = await import('../../../shared/redact.js'));
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  vi.unstubAllEnvs();
  await aws?.close();
  await fixture?.stop();
});

const post = (token: string, instance: string, key: string) =>
  ingestHandler(
    httpApiEvent({
      method: 'POST',
      path: '/incidents',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ instance, connector: 'demo', runId: 'run-1', incidents: [anIncident(key)] }),
    }),
  );

const list = (token: string, instance: string) =>
  ingestHandler(
    httpApiEvent({
      method: 'GET',
      path: '/incidents',
      query: `instance=${instance}&limit=10`,
      headers: { authorization: `Bearer ${token}` },
    }),
  );

describe('the ingest Lambda handler with per-instance tokens', () => {
  it("lets an instance's token write and read its own instance, and no other", async () => {
    const own = await post(SOC_TOKEN, soc, 'a');
    const foreignWrite = await post(SOC_TOKEN, edr, 'b');
    const foreignRead = await list(EDR_TOKEN, soc);
    const ownRead = await list(SOC_TOKEN, soc);

    expect(own.statusCode).toBe(200);
    expect(foreignWrite.statusCode).toBe(403);
    expect(JSON.parse(foreignWrite.body).error).toEqual({
      code: 'FORBIDDEN',
      message: `This token belongs to instance "${soc}" and may not read or write instance "${edr}".`,
    });
    expect(foreignRead.statusCode).toBe(403);
    expect(JSON.parse(ownRead.body).incidents.map((item: { key: string }) => item.key)).toEqual(['a']);
    expect(await storedIds(fixture.incidents, edr)).toEqual([]);
  });

  it('keeps the shared token as the default: it reads and writes every instance', async () => {
    expect((await post(MAIN_TOKEN, edr, 'c')).statusCode).toBe(200);
    expect((await post(MAIN_TOKEN, anInstanceId('unscoped'), 'd')).statusCode).toBe(200);
    expect((await list(MAIN_TOKEN, soc)).statusCode).toBe(200);
  });

  it('refuses a token whose parameter is missing; the other tokens keep working', async () => {
    const missing = await post('anything-at-all', lost, 'e');

    expect(missing.statusCode).toBe(401);
    expect((await post(EDR_TOKEN, edr, 'f')).statusCode).toBe(200);
  });

  it('read every instance token in one decrypted GetParameters call for all these invocations', () => {
    const reads = aws.ssm.calls.filter((call) => call.operation === 'GetParameters');

    expect(reads).toHaveLength(1);
    expect(reads[0]?.input).toMatchObject({
      Names: Object.values(parameters),
      WithDecryption: true,
    });
    expect(redactString(`Bearer ${SOC_TOKEN} and ${EDR_TOKEN}`)).toBe('Bearer *** and ***');
  });

  it('refuses a malformed parameter map at cold start, naming the variable', () => {
    expect(() => instanceTokenParameters('{"soc": 3}')).toThrow(instanceTokensVariable);
    expect(() => instanceTokenParameters('[')).toThrow(`${instanceTokensVariable} is not JSON`);
    expect(instanceTokenParameters(undefined)).toEqual({});
  });
});

describe("a connector's sink with its instance's own token", () => {
  let source: DemoSource;
  let ingest: IngestServer;
  let ssm: SSMClient;
  let fetchHandler: FetchHandler;

  beforeAll(async () => {
    source = await startDemoSource({ apiKey: 'demo-key', ratePerSecond: 0 });
    aws.ssm.put('/ferry/secrets/demo-key', 'demo-key', 'SecureString');
    ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', maxAttempts: 1 });
    // The same app and token sources as the Lambda, over HTTP for the sink to reach.
    ingest = await startIngestServer({
      store: fixture.incidents,
      token: MAIN_TOKEN,
      instanceTokens: createSsmInstanceTokens({ client: ssm, parameters, logger: silentLogger }),
      port: 0,
      logger: silentLogger,
    });
    vi.stubEnv('FERRY_INGEST_URL', ingest.url);
    vi.resetModules();
    ({ handler: fetchHandler } = (await import('../../../functions/helloworld/handler.js')) as unknown as {
      handler: FetchHandler;
    });
  });

  afterAll(async () => {
    ssm?.destroy();
    await ingest?.close();
    await source?.close();
  });

  /** The document as `cdk deploy` writes it for an instance with its own token (deploy-config.ts). */
  const deploy = (instanceId: string, tokenParameter: string) =>
    aws.ssm.put(
      `/ferry/instances/${instanceId}`,
      JSON.stringify({
        id: instanceId,
        connector: 'helloworld',
        fetchInterval: '1 minute',
        params: { url: source.url, first_fetch: '1 hour' },
        secrets: { apiKey: { ssm: '/ferry/secrets/demo-key' } },
        sink: { type: 'ferry', token: { ssm: tokenParameter } },
      }),
    );

  const fetchOnce = (instanceId: string) =>
    fetchHandler({ instanceId }, aLambdaContext()) as Promise<RunOutcome>;

  it('pushes with its own token, which the endpoint accepts for that instance', async () => {
    deploy(soc, parameters[soc]!);
    const id = source.add({ created: Date.now() - 60_000 }).id;

    const outcome = await fetchOnce(soc);

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1 });
    expect(await storedIds(fixture.incidents, soc)).toContain(id);
  });

  it("fails the fetch, losing nothing, when its document carries another instance's token", async () => {
    const stranger = anInstanceId('stranger');
    deploy(stranger, parameters[soc]!);
    source.add({ created: Date.now() - 30_000 });

    const outcome = await fetchOnce(stranger);

    expect(outcome).toMatchObject({ status: 'error', error: { code: 'SINK_REJECTED' } });
    expect(outcome.error?.message).toContain(`belongs to instance "${soc}"`);
    expect(JSON.stringify(outcome)).not.toContain(SOC_TOKEN);
    // Nothing committed: the events stay for the next fetch once the token is fixed.
    expect((await fixture.store.read(stranger))?.lastRun).toEqual({});
    expect(await storedIds(fixture.incidents, stranger)).toEqual([]);
  });
});
