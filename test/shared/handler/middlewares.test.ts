import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import type { InstanceSource } from '../../../shared/config/instance-source.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../../shared/config/schema.js';
import { createSecretResolver } from '../../../shared/config/secrets.js';
import { isConfigError } from '../../../shared/errors.js';
import { createFetchHandler } from '../../../shared/handler/create-fetch-handler.js';
import type { Logger } from '../../../shared/logger.js';
import { registerSecrets } from '../../../shared/redact.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { aLambdaContext, silentLogger } from '../../helpers/runtime.js';

/** A logger that keeps what it was asked to log, to see what leaves the function. */
const recordingLogger = () => {
  const lines: { message: string; fields: unknown }[] = [];
  const keep = (message: string, fields?: unknown) => {
    lines.push({ message, fields });
  };
  const logger = { ...silentLogger, debug: keep, info: keep, warn: keep, error: keep } as unknown as Logger;
  return { logger, lines };
};

// The handler is middy-composed: parseFetchEvent, loadInstance, redactEscapingError, then the run.
describe('the fetch handler’s middlewares', () => {
  let fixture: DynamoFixture;

  beforeAll(async () => {
    fixture = await startDynamoFixture();
  }, DYNAMO_START_TIMEOUT_MS);

  afterAll(async () => {
    await fixture?.stop();
  });

  const aDocument = (connector = 'helloworld'): InstanceDocument =>
    instanceDocumentSchema.parse({
      id: anInstanceId('middleware'),
      connector,
      params: { url: 'http://127.0.0.1:9/', first_fetch: '1 hour' },
      secrets: { apiKey: { env: 'MIDDLEWARE_KEY' } },
      sink: { type: 'ferry', token: { env: 'UNSET_SINK_TOKEN' }, allowInsecure: true },
    });

  const handlerServing = (documents: InstanceDocument[], logger: Logger = silentLogger) =>
    createFetchHandler({
      connector: helloworld,
      instances: {
        getInstance: async (id: string) => documents.find((document) => document.id === id)!,
      } as unknown as InstanceSource,
      store: fixture.store,
      secrets: createSecretResolver({ env: { MIDDLEWARE_KEY: 'key' } }),
      logger,
      sinkDefaults: { ferryUrl: 'http://127.0.0.1:9/' },
    });

  it('parseFetchEvent refuses an event without an instance id, naming the shape it expects', async () => {
    const handler = handlerServing([]);

    const refusal = await handler({ instance: 'typo' } as never, aLambdaContext()).catch((error) => error);

    expect(isConfigError(refusal)).toBe(true);
    expect(refusal.message).toBe(
      'The function was invoked with {"instance":"typo"}; it expects {"instanceId": "<id>"} (the schedule\'s input).',
    );
  });

  it('redactEscapingError: an error leaving the function carries no registered secret, and is logged once with its code', async () => {
    registerSecrets(['middleware-canary-9f3e2a71']);
    const { logger, lines } = recordingLogger();
    const handler = handlerServing([], logger);

    const refusal = await handler(
      { instanceId: 7, token: 'middleware-canary-9f3e2a71' } as never,
      aLambdaContext(),
    ).catch((error) => error);

    expect(isConfigError(refusal)).toBe(true);
    expect(refusal.message).not.toContain('middleware-canary-9f3e2a71');
    expect(refusal.stack).not.toContain('middleware-canary-9f3e2a71');
    expect(lines).toEqual([
      {
        message: 'Invocation failed before or outside a run',
        fields: expect.objectContaining({ error: expect.objectContaining({ code: 'CONFIG_INVALID' }) }),
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('middleware-canary-9f3e2a71');
  });

  it('loadInstance answers a document of another connector itself: the run never starts, the history says why', async () => {
    const document = aDocument('alertmanager');
    const handler = handlerServing([document]);

    const outcome = await handler({ instanceId: document.id }, aLambdaContext());

    expect(outcome).toMatchObject({ kind: 'fetch', status: 'error', error: { code: 'CONFIG_INVALID' } });
    expect(await fixture.store.listHistory(document.id)).toEqual([
      expect.objectContaining({
        status: 'error',
        error: expect.objectContaining({ code: 'CONFIG_INVALID' }),
      }),
    ]);
  });

  it('concurrent invocations given one context object each run their own instance', async () => {
    const first = aDocument();
    const second = aDocument('alertmanager');
    const handler = handlerServing([first, second]);
    const shared = aLambdaContext();

    const [a, b] = await Promise.all([
      handler({ instanceId: first.id, operation: 'test' }, shared),
      handler({ instanceId: second.id, operation: 'test' }, shared),
    ]);

    // The first reaches the connector test (its source is unreachable); the second is refused at load.
    expect(a).toMatchObject({ kind: 'test', instanceId: first.id });
    expect(b).toMatchObject({
      kind: 'test',
      instanceId: second.id,
      ok: false,
      error: { code: 'CONFIG_INVALID' },
    });
    expect((a as { error?: { code: string } }).error?.code).not.toBe('CONFIG_INVALID');
    expect(Object.keys(shared)).not.toContain('ferryInstance');
  });
});
