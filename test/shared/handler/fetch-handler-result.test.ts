import { describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import type { InstanceSource } from '../../../shared/config/instance-source.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import { ConfigError, ErrorCodes } from '../../../shared/errors.js';
import { createFetchHandler } from '../../../shared/handler/create-fetch-handler.js';
import {
  type FetchHandlerResult,
  isRedriveOutcome,
  isReplayOutcome,
  isRunOutcome,
  isTestOutcome,
} from '../../../shared/handler/fetch-handler-result.js';
import { MemoryStateStore } from '../../../shared/kit/memory-state-store.js';
import { aLambdaContext, silentLogger } from '../../helpers/runtime.js';

// A port nothing listens on: the fetch and the test fail fast, which is all these answers need.
const deadSource = 'http://127.0.0.1:9';

const aDocument = (instanceId: string) =>
  instanceDocumentSchema.parse({
    id: instanceId,
    connector: 'helloworld',
    params: { url: deadSource },
    secrets: { apiKey: { env: 'FERRY_HANDLER_TEST_KEY' } },
    sink: { type: 'ferry', url: deadSource, token: { env: 'FERRY_HANDLER_TEST_KEY' }, allowInsecure: true },
  });

const serving = (instances: InstanceSource, store = new MemoryStateStore()) =>
  createFetchHandler({
    connector: helloworld,
    instances,
    store,
    secrets: async (_instanceId, refs) => Object.fromEntries(Object.keys(refs).map((key) => [key, 'k'])),
    logger: silentLogger,
  });
const everyInstance: InstanceSource = { getInstance: async (instanceId) => aDocument(instanceId) };
const noInstance: InstanceSource = {
  getInstance: async (instanceId) => {
    throw new ConfigError(`No document for instance "${instanceId}".`, instanceId);
  },
};

const guards = (answer: FetchHandlerResult) => [
  isRunOutcome(answer),
  isTestOutcome(answer),
  isReplayOutcome(answer),
  isRedriveOutcome(answer),
];

const everyOperation = (handler: ReturnType<typeof serving>, id: string) =>
  Promise.all([
    handler({ instanceId: `${id}-fetch` }, aLambdaContext()),
    handler({ instanceId: `${id}-debug`, operation: 'debug' }, aLambdaContext()),
    handler({ instanceId: `${id}-test`, operation: 'test' }, aLambdaContext()),
    handler({ instanceId: `${id}-replay`, operation: 'replay', replayId: 'r1' }, aLambdaContext()),
    handler({ instanceId: `${id}-redrive`, operation: 'redrive' }, aLambdaContext()),
  ]);

describe('the handler answers one result tagged by kind', () => {
  it("tags a fetch and a debug fetch 'fetch', a test 'test', a replay 'replay', a re-drive 'redrive'", async () => {
    const answers = await everyOperation(serving(everyInstance), 'tagged');

    expect(answers.map((answer) => answer.kind)).toEqual(['fetch', 'fetch', 'test', 'replay', 'redrive']);
    expect(answers.map(guards)).toEqual([
      [true, false, false, false],
      [true, false, false, false],
      [false, true, false, false],
      [false, false, true, false],
      [false, false, false, true],
    ]);
  });

  it('answers an operation that could not start with its own kind, and records only the live fetch', async () => {
    const store = new MemoryStateStore();

    const answers = await everyOperation(serving(noInstance, store), 'unloadable');

    expect(answers.map((answer) => answer.kind)).toEqual(['fetch', 'fetch', 'test', 'replay', 'redrive']);
    for (const answer of answers)
      expect(answer.error).toMatchObject({ code: ErrorCodes.CONFIG_INVALID, message: /No document/ });
    expect(await store.listHistory('unloadable-fetch')).toHaveLength(1);
    for (const operation of ['debug', 'test', 'replay', 'redrive'])
      expect(await store.listHistory(`unloadable-${operation}`)).toEqual([]);
  });

  it('keeps the tag out of the fetch history: the record is the run, not the answer', async () => {
    const store = new MemoryStateStore();

    const answer = await serving(everyInstance, store)({ instanceId: 'untagged-history' }, aLambdaContext());

    expect(answer).toMatchObject({ kind: 'fetch', status: 'error' });
    const [record] = await store.listHistory('untagged-history');
    expect(record).toMatchObject({ runId: isRunOutcome(answer) ? answer.runId : '?', status: 'error' });
    expect(record).not.toHaveProperty('kind');
  });

  it('refuses a replay or a re-drive in a function built without its store, naming what is missing', async () => {
    const handler = serving(everyInstance);

    const replay = await handler(
      { instanceId: 'bare', operation: 'replay', replayId: 'r1' },
      aLambdaContext(),
    );
    const redrive = await handler({ instanceId: 'bare', operation: 'redrive' }, aLambdaContext());

    expect(replay).toMatchObject({
      kind: 'replay',
      error: { code: ErrorCodes.CONFIG_INVALID, message: expect.stringContaining('without replay support') },
    });
    expect(redrive).toMatchObject({
      kind: 'redrive',
      error: { code: ErrorCodes.CONFIG_INVALID, message: expect.stringContaining('without a quarantine') },
    });
  });
});
