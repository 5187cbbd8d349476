/**
 * The state table's layout, owned here and nowhere else: its key attributes, the kinds of item it
 * holds with their sort keys, and the TTL attribute. The stores build keys from it, `local/tables.ts`
 * creates the table from it and `cdk/state-table.ts` declares it from it.
 *
 * Every item of an instance shares its partition (`pk` = the instance id), so one Query reads any
 * kind of item of one instance, and a kind is a sort-key prefix. DESIGN.md, "State", describes the
 * first three kinds; the others came with the delivery ledger, replays, and the split of the state
 * item that keeps a steady fetch cheap (BENCHMARKS.md, "DynamoDB units and cost per steady fetch").
 */

/** The key attributes: partition key the instance id, sort key the kind of item (and its id). */
export const StateTableKeys = { partition: 'pk', sort: 'sk' } as const;

/**
 * Epoch seconds after which DynamoDB's TTL deletes an item. Only kinds that may disappear carry it:
 * never STATE or CONTEXT, so a cursor never expires.
 */
export const STATE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * The kinds of item, by sort key. A kind with one item per instance has a fixed sort key; the others
 * a prefix followed by the item's own id.
 */
export const ItemKinds = {
  /**
   * `STATE`: the cursor item, one per instance: lease (holder, expiry, fencing version), cursor (the
   * last run, without its seen ids once they outgrow it), health, and this hour's incident count. The
   * acquire and every commit write it, so it is kept under 1 KB: a write costs one unit per KB of the
   * larger of the item before and after.
   */
  state: { sortKey: 'STATE', ttl: false },
  /** `CONTEXT`: the integration context (XSOAR's `setIntegrationContextVersioned`), one per instance. */
  context: { sortKey: 'CONTEXT', ttl: false },
  /** `HISTORY#<startedAt>#<runId>`: one fetch-history record per run or operator action; TTL'd. */
  history: { prefix: 'HISTORY#', ttl: true },
  /**
   * `SEEN#<log>#<version>`: the look-back window's seen ids that the commit to `version` added (or a
   * full copy, after an operator's write), written in the same transaction as that commit. The STATE
   * item names the live range; items below it are past the window and expire by TTL.
   */
  seen: { prefix: 'SEEN#', ttl: true },
  /** `COUNT#<YYYY-MM-DDTHH>`: incidents pushed in one past UTC hour, for health; TTL'd after a week. */
  hourCount: { prefix: 'COUNT#', ttl: true },
  /** `LEDGER#<scope>#<incident key>`: an incident an endpoint without idempotency accepted; TTL'd. */
  ledger: { prefix: 'LEDGER#', ttl: true },
  /** `REPLAY#<replayId>`: a replay's own cursor, lease and counters; TTL'd a week after its last update. */
  replay: { prefix: 'REPLAY#', ttl: true },
} as const;

/** The sort keys of the one-per-instance kinds. */
export const SortKeys = { state: ItemKinds.state.sortKey, context: ItemKinds.context.sortKey } as const;

/** The sort-key prefixes of the many-per-instance kinds. */
export const SortKeyPrefixes = {
  history: ItemKinds.history.prefix,
  seen: ItemKinds.seen.prefix,
  hourCount: ItemKinds.hourCount.prefix,
  ledger: ItemKinds.ledger.prefix,
  replay: ItemKinds.replay.prefix,
} as const;

/** The key of one item of an instance. */
export const itemKey = (instanceId: string, sortKey: string): { pk: string; sk: string } =>
  ({
    [StateTableKeys.partition]: instanceId,
    [StateTableKeys.sort]: sortKey,
  }) as { pk: string; sk: string };

/** The table's key schema as CreateTable takes it (both keys strings; on demand, no index). */
export const stateTableDefinition = {
  AttributeDefinitions: [
    { AttributeName: StateTableKeys.partition, AttributeType: 'S' },
    { AttributeName: StateTableKeys.sort, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: StateTableKeys.partition, KeyType: 'HASH' },
    { AttributeName: StateTableKeys.sort, KeyType: 'RANGE' },
  ],
} as const;
