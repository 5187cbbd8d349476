import { describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import { createFetchHandler } from '../../../shared/handler/create-fetch-handler.js';
import {
  isReplayOutcome,
  isRunOutcome,
  isTestOutcome,
} from '../../../shared/handler/fetch-handler-result.js';
import { MemoryStateStore } from '../../../shared/kit/memory-state-store.js';
import { aLambdaContext, silentLogger } from '../../helpers/runtime.js';

// A port nothing listens on: the fetch and the test fail fast, which is all these answers need.
const deadSource = 'http://127.0.0.1:9';

const aHandler = (store = new MemoryStateStore()) =>
  createFetchHandler({
    connector: helloworld,
    instances: {
      getInstance: async (instanceId) =>
        instanceDocumentSchema.parse({
          id: instanceId,
          connector: 'helloworld',
          params: { url: deadSource },
          secrets: { apiKey: { env: 'FERRY_HANDLER_TEST_KEY' } },
          sink: { type: 'ferry', url: deadSource, token: { env: 'FERRY_HANDLER_TEST_KEY' } },
        }),
    },
    store,
    secrets: async (_instanceId, refs) => Object.fromEntries(Object.keys(refs).map((key) => [key, 'k'])),
    logger: silentLogger,
  });

describe('the handler answers one result tagged by kind', () => {
  it("tags a fetch 'fetch', a debug fetch 'fetch', a connector test 'test' and a replay 'replay'", async () => {
    const handler = aHandler();

    const answers = await Promise.all([
      handler({ instanceId: 'tagged-fetch' }, aLambdaContext()),
      handler({ instanceId: 'tagged-debug', operation: 'debug' }, aLambdaContext()),
      handler({ instanceId: 'tagged-test', operation: 'test' }, aLambdaContext()),
      handler({ instanceId: 'tagged-replay', operation: 'replay', replayId: 'r1' }, aLambdaContext()),
    ]);

    expect(answers.map((answer) => answer.kind)).toEqual(['fetch', 'fetch', 'test', 'replay']);
    expect(
      answers.map((answer) => [isRunOutcome(answer), isTestOutcome(answer), isReplayOutcome(answer)]),
    ).toEqual([
      [true, false, false],
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
  });

  it('keeps the tag out of the fetch history: the record is the run, not the answer', async () => {
    const store = new MemoryStateStore();

    const answer = await aHandler(store)({ instanceId: 'untagged-history' }, aLambdaContext());

    expect(answer).toMatchObject({ kind: 'fetch', status: 'error' });
    const [record] = await store.listHistory('untagged-history');
    expect(record).toMatchObject({ runId: isRunOutcome(answer) ? answer.runId : '?', status: 'error' });
    expect(record).not.toHaveProperty('kind');
  });

  it("refuses a replay in a function built without a replay store with CONFIG_INVALID, tagged 'replay'", async () => {
    const answer = await aHandler()(
      { instanceId: 'no-replays', operation: 'replay', replayId: 'r1' },
      aLambdaContext(),
    );

    expect(answer).toMatchObject({
      kind: 'replay',
      instanceId: 'no-replays',
      error: { code: 'CONFIG_INVALID', message: expect.stringContaining('without replay support') },
    });
  });
});
