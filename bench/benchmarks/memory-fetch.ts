/**
 * The measured process of the memory benchmark, run as a bundle (as in Lambda) in a fresh `node`: loads
 * the connector's Lambda handler module (its code and clients, as a cold start does), then runs one
 * invocation of the real fetch handler that fetches `count` incidents (max_fetch 1000, drained), and
 * prints its peak RSS before and after, from `process.resourceUsage().maxRSS`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import '../../functions/helloworld/handler.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import { benchInstance, createBenchHandler, lambdaContext } from '../instance.js';

/** What the parent passes as the first argument (JSON). */
export interface MemoryFetchInput {
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly instanceId: string;
  readonly sourceUrl: string;
  readonly sinkUrl: string;
  /** Epoch ms: the first fetch starts here. */
  readonly from: number;
}

/** What the child prints (JSON, one line). */
export interface MemoryFetchOutput {
  /** Peak RSS once everything is imported and the clients built, before the fetch (KiB). */
  readonly maxRssBeforeKib: number;
  /** Peak RSS of the whole process (KiB). */
  readonly maxRssKib: number;
  readonly pushed: number;
  readonly fetches: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as MemoryFetchInput;
const client = new DynamoDBClient({
  endpoint: input.dynamoEndpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const store = new DynamoStateStore({ client, tableName: input.tableName });
const document = benchInstance(input.instanceId, input, {
  first_fetch: new Date(input.from).toISOString(),
  max_fetch: 1000,
});
const handler = createBenchHandler(document, store);
const maxRssBeforeKib = process.resourceUsage().maxRSS;
const outcome = await handler({ instanceId: document.id }, lambdaContext(900_000));
client.destroy();
const output: MemoryFetchOutput = {
  maxRssBeforeKib,
  maxRssKib: process.resourceUsage().maxRSS,
  pushed: outcome.pushed,
  fetches: outcome.fetches,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
