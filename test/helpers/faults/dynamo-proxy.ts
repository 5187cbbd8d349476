import { type ArmedFault, listenProxy, takeFault } from './fault-proxy.js';
import { dropConnection, forward, readBody, reply } from './http-forward.js';

/**
 * `throttle`: answers 400 `ProvisionedThroughputExceededException`, as DynamoDB does when a table or
 * partition is over its capacity (the SDK retries it with backoff); `drop`: closes the connection
 * without an answer (the store unreachable, or a network partition mid-request).
 */
export type DynamoFaultMode = 'throttle' | 'drop';

/** Which requests a fault applies to: an operation (`UpdateItem`) and/or a substring of the request body. */
export interface DynamoFaultFilter {
  readonly operation?: string;
  readonly bodyIncludes?: string;
}

/** A proxy in front of DynamoDB Local that injects throttling and dropped connections. */
export interface DynamoFaultProxy {
  /** Point a `DynamoDBClient` here instead of at DynamoDB Local. */
  readonly url: string;
  /** Requests received, by operation. */
  readonly requests: Record<string, number>;
  /** Requests a fault was injected into. */
  readonly injected: number;
  /** The next `count` matching requests (default 1; Infinity until `clear`) get `mode`. */
  inject(mode: DynamoFaultMode, options?: DynamoFaultFilter & { count?: number }): void;
  clear(): void;
  close(): Promise<void>;
}

/** DynamoDB's own answer to a throttled request (JSON 1.0 protocol). */
export const THROUGHPUT_EXCEEDED_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
});

/**
 * Starts a fault-injecting proxy that forwards every request to `target` (DynamoDB Local's endpoint).
 *
 * @example
 * const proxy = await startDynamoFaultProxy(dynamo.endpoint);
 * const store = new DynamoStateStore({ client: createLocalDynamoClient(proxy.url), tableName });
 * proxy.inject('throttle', { operation: 'UpdateItem', count: 2 });
 */
export const startDynamoFaultProxy = async (target: string): Promise<DynamoFaultProxy> => {
  let armed: (ArmedFault<DynamoFaultMode> & DynamoFaultFilter) | undefined;
  const requests: Record<string, number> = {};
  let injected = 0;
  const server = await listenProxy(async (request, response) => {
    const body = await readBody(request);
    const operation =
      String(request.headers['x-amz-target'] ?? '')
        .split('.')
        .at(-1) ?? '';
    requests[operation] = (requests[operation] ?? 0) + 1;
    const matches =
      armed !== undefined &&
      (armed.operation === undefined || armed.operation === operation) &&
      (armed.bodyIncludes === undefined || body.toString('utf8').includes(armed.bodyIncludes));
    const mode = matches ? takeFault(armed) : undefined;
    if (mode) injected++;
    if (mode === 'drop') return dropConnection(response);
    if (mode === 'throttle') {
      response.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `ferry-fault-${injected}`,
      });
      response.end(THROUGHPUT_EXCEEDED_BODY);
      return;
    }
    reply(response, await forward(request, body, target));
  });
  return {
    url: server.url,
    requests,
    get injected() {
      return injected;
    },
    inject: (mode, options = {}) => {
      armed = {
        mode,
        remaining: options.count ?? 1,
        operation: options.operation,
        bodyIncludes: options.bodyIncludes,
      };
    },
    clear: () => {
      armed = undefined;
    },
    close: server.close,
  };
};
