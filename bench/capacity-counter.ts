import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Capacity units DynamoDB reported for the requests sent through one client. */
export interface CapacityCounter {
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Units by command name (`UpdateItemCommand`, `QueryCommand`, ...), reads and writes together. */
  byCommand(): Record<string, { requests: number; readUnits: number; writeUnits: number }>;
  reset(): void;
}

/** The commands that accept `ReturnConsumedCapacity`; the rest (DescribeTable, ...) are not billed per unit. */
const billedCommands = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);
const transactionCommands = new Set(['TransactGetItemsCommand', 'TransactWriteItemsCommand']);
const readCommands = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

/**
 * Splits one reported figure into read and write units. DynamoDB reports `ReadCapacityUnits` and
 * `WriteCapacityUnits` beside the total; where an engine reports only `CapacityUnits`, the command
 * says which kind they are (an UpdateItem with `ReturnValues` is billed in write units only).
 */
const unitsOf = (command: string, consumed: ConsumedCapacity): { read: number; write: number } => {
  if (consumed.ReadCapacityUnits !== undefined || consumed.WriteCapacityUnits !== undefined) {
    return { read: consumed.ReadCapacityUnits ?? 0, write: consumed.WriteCapacityUnits ?? 0 };
  }
  const total = consumed.CapacityUnits ?? 0;
  return readCommands.has(command) ? { read: total, write: 0 } : { read: 0, write: total };
};

/**
 * Asks DynamoDB for the capacity every request consumed (`ReturnConsumedCapacity: TOTAL`, added by an
 * SDK middleware unless the caller asked already) and sums what it answers: the units AWS bills on
 * demand, as DynamoDB itself computes them (item sizes rounded up per 1 KB written / 4 KB read,
 * transactions twice), not an estimate. One correction: a transaction counts at least the 2 units per
 * item AWS bills, which DynamoDB Local under-reports for small new items.
 */
export const countCapacity = (client: DynamoDBClient): CapacityCounter => {
  let readUnits = 0;
  let writeUnits = 0;
  const commands = new Map<string, { requests: number; readUnits: number; writeUnits: number }>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      if (!billedCommands.has(command)) return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string; TransactItems?: unknown[] };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const transactItems = input.TransactItems?.length ?? 0;
      const tally = commands.get(command) ?? { requests: 0, readUnits: 0, writeUnits: 0 };
      commands.set(command, tally);
      tally.requests++;
      const add = (consumed: ConsumedCapacity | ConsumedCapacity[] | undefined) => {
        for (const item of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
          const units = unitsOf(command, item);
          // AWS bills every item of a transaction at least 2 units ("Capacity unit consumption for
          // transactions", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling);
          // DynamoDB Local reports 2 units per KB for most items but 0 for a new item under 1 KB.
          const floor = transactionCommands.has(command) ? 2 * transactItems : 0;
          const read = command === 'TransactGetItemsCommand' ? Math.max(units.read, floor) : units.read;
          const write = command === 'TransactWriteItemsCommand' ? Math.max(units.write, floor) : units.write;
          readUnits += read;
          writeUnits += write;
          tally.readUnits += read;
          tally.writeUnits += write;
        }
      };
      try {
        const result = await next(args);
        add((result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity);
        return result;
      } catch (error) {
        // A failed condition is billed too: DynamoDB returns the capacity it consumed with the error
        // when asked (`CancellationReasons` aside, the exception carries no figure in every engine).
        add((error as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity);
        throw error;
      }
    },
    { step: 'initialize', name: 'ferryBenchCapacityCounter' },
  );
  return {
    get readUnits() {
      return readUnits;
    },
    get writeUnits() {
      return writeUnits;
    },
    byCommand: () => Object.fromEntries([...commands].map(([name, tally]) => [name, { ...tally }])),
    reset() {
      readUnits = 0;
      writeUnits = 0;
      commands.clear();
    },
  };
};
