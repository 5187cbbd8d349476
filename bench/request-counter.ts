import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** DynamoDB requests sent through one client, by command. */
export interface RequestCounter {
  readonly total: number;
  /** Counts by command name (`UpdateItemCommand`, `PutItemCommand`, ...). */
  byCommand(): Record<string, number>;
  reset(): void;
}

/**
 * Counts every `send` at the client, the way the bill counts requests: an SDK middleware at the
 * `initialize` step sees each command once, whether it came through the document client or not
 * (`DynamoDBDocumentClient.from` shares the client's middleware stack). SDK retries are not counted.
 */
export const countRequests = (client: DynamoDBClient): RequestCounter => {
  const counts = new Map<string, number>();
  let total = 0;
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = context.commandName ?? 'unknown';
      total++;
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'ferryBenchRequestCounter' },
  );
  return {
    get total() {
      return total;
    },
    byCommand: () => Object.fromEntries(counts),
    reset() {
      counts.clear();
      total = 0;
    },
  };
};
