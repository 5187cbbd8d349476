import type { Context } from 'aws-lambda';
import { helloworld } from '../functions/helloworld/connector.js';
import { createLambdaContext } from '../local/lambda-context.js';
import type { InstanceDocument } from '../shared/config/schema.js';
import { createSecretResolver } from '../shared/config/secrets.js';
import { createFetchHandler } from '../shared/handler/create-fetch-handler.js';
import type { FetchEvent } from '../shared/handler/fetch-event.js';
import type { RunOutcome } from '../shared/runner/run-fetch.js';
import type { StateStore } from '../shared/state/state-store.js';
import { BENCH_API_KEY } from './servers/protocol.js';
import { silentLogger } from './silent-logger.js';

const SECRET_VARIABLE = 'FERRY_BENCH_API_KEY';

/** The instance document of a helloworld instance against the benchmarks' source and sink. */
export const benchInstance = (
  id: string,
  urls: { sourceUrl: string; sinkUrl: string },
  params: Record<string, unknown>,
): InstanceDocument => ({
  id,
  connector: helloworld.name,
  enabled: true,
  fetchInterval: '1 minute',
  params: { url: urls.sourceUrl, ...params },
  secrets: { apiKey: { env: SECRET_VARIABLE } },
  // The ferry sink with its defaults (batches of 100), pointed at the ack-and-count sink.
  sink: { type: 'ferry', url: urls.sinkUrl },
  historyRetentionDays: 30,
});

/** The instance's secrets, as the runner asks for them. */
export const benchSecrets = async (): Promise<Record<string, string>> => ({ apiKey: BENCH_API_KEY });

export type BenchHandler = (event: FetchEvent, context: Context) => Promise<RunOutcome>;

/**
 * The real fetch handler (instance lookup, sink construction, runner) for one instance
 * document, with the given state store: what the Lambda runs, minus the SSM client.
 */
export const createBenchHandler = (
  document: InstanceDocument,
  store: StateStore,
  clock?: () => number,
): BenchHandler => {
  const handler = createFetchHandler({
    connector: helloworld,
    instances: { getInstance: async () => document },
    store,
    secrets: createSecretResolver({ env: { [SECRET_VARIABLE]: BENCH_API_KEY } }),
    logger: silentLogger,
    clock,
  });
  return handler as unknown as BenchHandler;
};

/** A Lambda context whose deadline is `timeoutMs` away. */
export const lambdaContext = (timeoutMs: number, clock?: () => number): Context =>
  createLambdaContext('ferry-helloworld', timeoutMs, clock);
