import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateUnavailableError } from '../errors.js';
import { type BackoffOptions, backoffDelay, sleep } from '../retry.js';
import { itemKey, SortKeyPrefixes, STATE_TTL_ATTRIBUTE, StateTableKeys } from './table-layout.js';

/** Sort-key prefix of ledger items in the state table (see `table-layout.ts`). */
export const LEDGER_PREFIX = SortKeyPrefixes.ledger;

/** DynamoDB's own limits on the two batch calls. */
const MAX_GET_KEYS = 100;
export const MAX_WRITE_ITEMS = 25;
/** A sort key is at most 1024 bytes; longer incident keys are stored under their hash. */
const MAX_SORT_KEY_BYTES = 1_024;

/**
 * One incident the endpoint accepted ("done"), with the id it gave it (XSOAR's incident id), if any;
 * or one whose create was sent without a known outcome (`inDoubt`: a 5xx, a timeout, a reset, or a
 * crash before the answer was recorded). An entry in doubt is resolved by asking the endpoint (XSOAR's
 * incident search) before anything is sent again; an entry that is done is never sent again.
 */
export interface Delivery {
  readonly key: string;
  readonly sinkId?: string;
  readonly inDoubt?: boolean;
}

export interface LedgerCallOptions {
  readonly signal?: AbortSignal;
}

export interface RecordOptions extends LedgerCallOptions {
  readonly runId: string;
  /** Epoch seconds; DynamoDB's TTL deletes the entry after it. */
  readonly expiresAt: number;
  /** @default Date.now() */
  readonly now?: number;
}

/**
 * What an endpoint without an idempotency key (XSOAR's REST API) already accepted, per instance and
 * per target: a push consults it first, so a retried fetch after a crash between push and commit does
 * not create the same incidents twice. Entries expire by TTL.
 */
export interface DeliveryLedger {
  /** The deliveries among `keys` already recorded for `instanceId` on the target `scope`. */
  lookup(
    instanceId: string,
    scope: string,
    keys: readonly string[],
    options?: LedgerCallOptions,
  ): Promise<Map<string, Delivery>>;
  /** Records deliveries (done or in doubt); recording a key again overwrites it. */
  record(
    instanceId: string,
    scope: string,
    deliveries: readonly Delivery[],
    options: RecordOptions,
  ): Promise<void>;
}

/**
 * The scope of a target: a short hash of its identity (sink type and endpoint). Pointing an instance at
 * another XSOAR starts a fresh ledger instead of skipping incidents that server never saw.
 */
export const ledgerScope = (target: string): string =>
  createHash('sha256').update(target).digest('base64url').slice(0, 12);

/** The sort key of one ledger entry: `LEDGER#<scope>#<incident key>` (hashed when too long). */
export const ledgerSortKey = (scope: string, key: string): string => {
  const plain = `${LEDGER_PREFIX}${scope}#${key}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_SORT_KEY_BYTES) return plain;
  return `${LEDGER_PREFIX}${scope}#h:${createHash('sha256').update(key).digest('base64url')}`;
};

const chunk = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );

export interface DynamoDeliveryLedgerOptions {
  /** Created once per cold start and passed in. */
  readonly client: DynamoDBClient;
  /** The state table (its layout: `table-layout.ts`). */
  readonly tableName: string;
  /** Attempts at a batch whose items DynamoDB left unprocessed (throttling). @default 5 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/**
 * The DynamoDB ledger: one small item per delivered incident in the state table, read with
 * BatchGetItem (100 keys a request, `ConsistentRead`) and written with BatchWriteItem (25 a request).
 */
export class DynamoDeliveryLedger implements DeliveryLedger {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffOptions;

  constructor(options: DynamoDeliveryLedgerOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#table = options.tableName;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#backoff = options.backoff ?? { baseDelayMs: 50, maxDelayMs: 1_000 };
  }

  async lookup(
    instanceId: string,
    scope: string,
    keys: readonly string[],
    options: LedgerCallOptions = {},
  ): Promise<Map<string, Delivery>> {
    const keyBySortKey = new Map(keys.map((key) => [ledgerSortKey(scope, key), key]));
    const found = new Map<string, Delivery>();
    await Promise.all(
      chunk([...keyBySortKey.keys()], MAX_GET_KEYS).map(async (sortKeys) => {
        let pending: Record<string, unknown>[] = sortKeys.map((sk) => itemKey(instanceId, sk));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 0) await this.#pause(attempt, pending.length, 'read', options.signal);
          const { Responses, UnprocessedKeys } = await this.#doc.send(
            new BatchGetCommand({
              RequestItems: {
                [this.#table]: {
                  Keys: pending,
                  ConsistentRead: true,
                  ProjectionExpression: '#sk, #sinkId, #state',
                  ExpressionAttributeNames: {
                    '#sk': StateTableKeys.sort,
                    '#sinkId': 'sinkId',
                    '#state': 'state',
                  },
                },
              },
            }),
            { abortSignal: options.signal },
          );
          for (const item of Responses?.[this.#table] ?? []) {
            const key = keyBySortKey.get(item[StateTableKeys.sort] as string);
            if (key === undefined) continue;
            found.set(key, {
              key,
              ...(typeof item.sinkId === 'string' ? { sinkId: item.sinkId } : {}),
              // Entries written before "state" existed were all deliveries.
              ...(item.state === 'doubt' ? { inDoubt: true } : {}),
            });
          }
          pending = (UnprocessedKeys?.[this.#table]?.Keys ?? []) as Record<string, unknown>[];
        }
      }),
    );
    return found;
  }

  async record(
    instanceId: string,
    scope: string,
    deliveries: readonly Delivery[],
    options: RecordOptions,
  ): Promise<void> {
    const deliveredAt = new Date(options.now ?? Date.now()).toISOString();
    // One item per sort key: BatchWriteItem refuses a request that names a key twice.
    const items = new Map(
      deliveries.map((delivery) => {
        const sk = ledgerSortKey(scope, delivery.key);
        const item = {
          ...itemKey(instanceId, sk),
          sinkId: delivery.sinkId,
          state: delivery.inDoubt ? 'doubt' : 'done',
          runId: options.runId,
          deliveredAt,
          [STATE_TTL_ATTRIBUTE]: options.expiresAt,
        };
        return [sk, item] as const;
      }),
    );
    for (const batch of chunk([...items.values()], MAX_WRITE_ITEMS)) {
      let pending: unknown[] = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await this.#pause(attempt, pending.length, 'write', options.signal);
        const { UnprocessedItems } = await this.#doc.send(
          new BatchWriteCommand({ RequestItems: { [this.#table]: pending as never } }),
          { abortSignal: options.signal },
        );
        pending = UnprocessedItems?.[this.#table] ?? [];
      }
    }
  }

  /** Waits before re-sending what DynamoDB left unprocessed, or gives up after `maxAttempts`. */
  async #pause(attempt: number, left: number, what: string, signal?: AbortSignal): Promise<void> {
    if (attempt >= this.#maxAttempts) {
      throw new StateUnavailableError(
        `DynamoDB left ${left} delivery-ledger items un${what === 'read' ? 'read' : 'written'} after ${this.#maxAttempts} attempts (throttled); ` +
          `check the state table ${this.#table}'s capacity.`,
      );
    }
    await sleep(backoffDelay(attempt - 1, this.#backoff), signal);
  }
}
