import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../../functions/connectors.js';
import { helloworld } from '../../../functions/helloworld/connector.js';
import type { IngestServer } from '../../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import { parseConfig } from '../../../shared/config/instance-documents.js';
import type { InstanceSource } from '../../../shared/config/instance-source.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../../shared/config/schema.js';
import { createSecretResolver } from '../../../shared/config/secrets.js';
import { createFetchHandler } from '../../../shared/handler/create-fetch-handler.js';
import type { RunOutcome } from '../../../shared/runner/run-fetch.js';
import { startTestIngest, storedIds } from '../../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { aLambdaContext, silentLogger } from '../../helpers/runtime.js';

const API_KEY = 'operator-key';

// An operator's debug fetch and test touch nothing but the source: no sink credentials, no history.
describe('operator operations (debug, test) through the real handler', () => {
  let fixture: DynamoFixture;
  let ingest: IngestServer;
  let source: DemoSource;

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

  /** An instance whose sink token variable is not set in the resolver's environment. */
  const aDocumentWithoutSinkToken = () =>
    instanceDocumentSchema.parse({
      id: anInstanceId('operator'),
      connector: 'helloworld',
      params: { url: source.url, first_fetch: '1 hour' },
      secrets: { apiKey: { env: 'OPERATOR_KEY' } },
      sink: { type: 'ferry', token: { env: 'UNSET_SINK_TOKEN' }, allowInsecure: true },
    });

  const handlerFor = (instances: InstanceSource) =>
    createFetchHandler({
      connector: helloworld,
      instances,
      store: fixture.store,
      secrets: createSecretResolver({ env: { OPERATOR_KEY: API_KEY } }),
      logger: silentLogger,
      sinkDefaults: { ferryUrl: ingest.url },
    });
  const serving = (document: InstanceDocument) =>
    handlerFor({ getInstance: async () => document } as unknown as InstanceSource);

  it('a debug fetch needs no sink credentials, returns the incidents and records nothing', async () => {
    const document = aDocumentWithoutSinkToken();

    const outcome = (await serving(document)(
      { instanceId: document.id, operation: 'debug' },
      aLambdaContext(),
    )) as RunOutcome;

    expect(outcome).toMatchObject({ status: 'ok', pushed: 0 });
    expect(outcome.incidents).toHaveLength(1);
    expect(await fixture.store.listHistory(document.id)).toEqual([]);
    expect(await fixture.store.read(document.id)).toBeUndefined();
    expect(await storedIds(fixture.incidents, document.id)).toEqual([]);
  });

  it("a live fetch without the sink's token blames the sink's secret, and is recorded", async () => {
    const document = aDocumentWithoutSinkToken();

    const outcome = (await serving(document)({ instanceId: document.id }, aLambdaContext())) as RunOutcome;

    expect(outcome).toMatchObject({ status: 'error', error: { code: 'SECRET_MISSING' } });
    expect(outcome.error?.message).toBe(
      `Instance "${document.id}": the sink's secret "token" refers to environment variable UNSET_SINK_TOKEN, which is not set. Export it before starting Ferry.`,
    );
    expect(await fixture.store.listHistory(document.id)).toEqual([
      expect.objectContaining({ status: 'error', error: outcome.error }),
    ]);
  });

  it('a debug fetch or a test of an unusable configuration answers the operator and leaves the history alone', async () => {
    const brokenId = anInstanceId('operator');
    const [invalid] = parseConfig(
      { instances: { [brokenId]: { connector: 'helloworld', params: { url: source.url, max_fetch: 0 } } } },
      'ferry.config.json',
      { connectors },
    ).errors;
    const handler = handlerFor({
      getInstance: async () => {
        throw invalid;
      },
    } as unknown as InstanceSource);

    const debug = (await handler(
      { instanceId: brokenId, operation: 'debug' },
      aLambdaContext(),
    )) as RunOutcome;
    const test = await handler({ instanceId: brokenId, operation: 'test' }, aLambdaContext());
    const live = (await handler({ instanceId: brokenId }, aLambdaContext())) as RunOutcome;

    expect(debug).toMatchObject({ status: 'error', error: { code: 'CONFIG_INVALID' } });
    expect(test).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
    expect(live).toMatchObject({ status: 'error', error: { code: 'CONFIG_INVALID' } });
    // Only the scheduled (live) fetch is in the history.
    expect(await fixture.store.listHistory(brokenId)).toEqual([
      expect.objectContaining({ runId: live.runId }),
    ]);
  });
});
