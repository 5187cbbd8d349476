// Over 300 lines: the store's conditions are its concurrency model, and a reader must see every one of
// them (acquire, commit with its seen-id log and hour counts, release, operator writes) side by side;
// the layout lives in table-layout.ts, the log's planning in seen-log.ts, the reads in partition-queries.ts.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError, LeaseLostError, StateConflictError, StateCorruptError } from '../errors.js';
import { failedConditionItem, isConditionFailure } from './condition-failure.js';
import type { HistoryRecord } from './history-record.js';
import { hourCountItem, mergeHourCounts } from './hour-count-items.js';
import { hourKey } from './incident-counts.js';
import { readContextItem, readStateItem } from './items.js';
import { queryFinishedHours, querySeenLog } from './partition-queries.js';
import {
  isSeenMap,
  planSeen,
  readSeenLogPointer,
  replaySeenLog,
  SEEN_RETENTION_SECONDS,
  type SeenPlan,
  type SeenSnapshot,
  seenSortKey,
} from './seen-log.js';
import type {
  AcquireRequest,
  CommitRequest,
  InstanceState,
  OperatorWrite,
  ReleaseRequest,
  StateStore,
  StoredContext,
} from './state-store.js';
import { itemKey, SortKeyPrefixes, SortKeys, STATE_TTL_ATTRIBUTE, StateTableKeys } from './table-layout.js';

/** Stale hour counts removed by one commit at most. */
const MAX_FORGET_PER_COMMIT = 24;

/**
 * The conditions are the concurrency model; each is named for the invariant it keeps.
 * A lease is free when nobody holds it or its holder's deadline passed (a killed Lambda).
 */
const Conditions = {
  leaseFree: '(attribute_not_exists(#leaseId) OR #leaseExpiresAt < :now)',
  leaseOurs: '#leaseId = :leaseId AND #leaseExpiresAt > :now',
  versionUnchanged: '#version = :expectedVersion',
} as const;

const Names = {
  '#leaseId': 'leaseId',
  '#leaseExpiresAt': 'leaseExpiresAt',
  '#version': 'version',
} as const;

export interface DynamoStateStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long history records are kept. @default 30 days */
  readonly historyRetentionDays?: number;
}

/**
 * What a commit plans against, kept from the acquire (and each commit) of a lease: the committed
 * version and seen ids, and the hour count, so that a commit writes only what changed.
 */
interface LeaseSnapshot {
  readonly leaseId: string;
  readonly version: number;
  readonly seen: SeenSnapshot;
  /** The UTC hour the STATE item counts pushes for, and its count so far. */
  readonly pushedHour?: string;
  readonly pushedInHour: number;
  /** Hours of the map older versions kept in the STATE item (`pushedByHour`), removable by a commit. */
  readonly legacyHours: readonly string[];
}

/**
 * The DynamoDB implementation of {@link StateStore}: one table, partition key the instance id, laid
 * out by `table-layout.ts`. What a steady fetch costs (BENCHMARKS.md, "DynamoDB units and cost per
 * steady fetch"):
 *
 * - acquire: one UpdateItem on the STATE item (under 1 KB: 1 write unit), then, when the seen ids are
 *   in their log, one Query of the live SEEN items (bytes read / 4 KB, consistent);
 * - commit: one UpdateItem when only the STATE item changes, else one TransactWriteItems of the STATE
 *   update (conditioned on the lease and the version) with the SEEN item of the ids it added and, once
 *   an hour, the COUNT item of the finished hour. All or nothing: a commit that lost its lease writes
 *   no seen id, and no later reader sees a half-written one.
 *
 * Over 300 lines: every write of the STATE item is here, side by side, because their conditions
 * together are the concurrency model; reading the log and the hour counts lives in
 * `partition-queries.ts`, planning the log in `seen-log.ts`.
 */
export class DynamoStateStore implements StateStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;
  /** Per instance, what its current lease read and committed (dropped when the lease is released). */
  readonly #snapshots = new Map<string, LeaseSnapshot>();

  constructor(options: DynamoStateStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.#table = options.tableName;
    this.#retentionSeconds = (options.historyRetentionDays ?? 30) * 86_400;
  }

  #key(instanceId: string, sortKey: string) {
    return itemKey(instanceId, sortKey);
  }

  async acquire(instanceId: string, request: AcquireRequest): Promise<InstanceState> {
    let attributes: Record<string, unknown> | undefined;
    try {
      ({ Attributes: attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, SortKeys.state),
          UpdateExpression:
            'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt, #version = if_not_exists(#version, :zero), ' +
            '#lastRun = if_not_exists(#lastRun, :empty), #consecutiveFailures = if_not_exists(#consecutiveFailures, :zero), ' +
            '#firstRunAt = if_not_exists(#firstRunAt, :nowIso)',
          ConditionExpression: Conditions.leaseFree,
          ExpressionAttributeNames: {
            ...Names,
            '#lastRun': 'lastRun',
            '#consecutiveFailures': 'consecutiveFailures',
            '#firstRunAt': 'firstRunAt',
          },
          ExpressionAttributeValues: {
            ':leaseId': request.leaseId,
            ':expiresAt': request.expiresAt,
            ':now': request.now,
            ':nowIso': new Date(request.now).toISOString(),
            ':zero': 0,
            ':empty': {},
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = failedConditionItem(error);
      throw new LeaseHeldError(
        instanceId,
        typeof held?.leaseExpiresAt === 'number' ? held.leaseExpiresAt : undefined,
      );
    }
    // The lease is ours from here: a corrupted item is reported and the runner gives the lease back.
    const { state, snapshot } = await this.#readState(instanceId, attributes);
    this.#snapshots.set(instanceId, { ...snapshot, leaseId: request.leaseId });
    return state;
  }

  async commit(instanceId: string, request: CommitRequest): Promise<number> {
    const nextVersion = request.expectedVersion + 1;
    const snapshot = await this.#snapshotFor(instanceId, request.leaseId, request.expectedVersion);
    const seen = planSeen(snapshot.seen, request.lastRun, nextVersion);
    const now = new Date(request.now).toISOString();
    const sets = [
      '#lastRun = :lastRun',
      '#version = :nextVersion',
      '#lastRunAt = :nowIso',
      '#lastSuccessAt = :nowIso',
      '#consecutiveFailures = :zero',
    ];
    const removes = ['#lastError', '#lastErrorCode'];
    const names: Record<string, string> = {
      ...Names,
      '#lastRun': 'lastRun',
      '#lastRunAt': 'lastRunAt',
      '#lastSuccessAt': 'lastSuccessAt',
      '#consecutiveFailures': 'consecutiveFailures',
      '#lastError': 'lastError',
      '#lastErrorCode': 'lastErrorCode',
    };
    const values: Record<string, unknown> = {
      ':lastRun': seen.inlineLastRun,
      ':nextVersion': nextVersion,
      ':expectedVersion': request.expectedVersion,
      ':leaseId': request.leaseId,
      ':now': request.now,
      ':nowIso': now,
      ':zero': 0,
    };
    if (seen.pointer) {
      sets.push('#seenLog = :seenLog');
      names['#seenLog'] = 'seenLog';
      values[':seenLog'] = seen.pointer;
    } else if (snapshot.seen.pointer) {
      removes.push('#seenLog');
      names['#seenLog'] = 'seenLog';
    }
    // This hour's count stays in the item; a finished hour moves to its own item (hour-count-items.ts).
    const hour = hourKey(request.now);
    let finishedHour: Record<string, unknown> | undefined;
    let pushedHour = snapshot.pushedHour;
    let pushedInHour = snapshot.pushedInHour;
    if (request.pushed > 0) {
      sets.push('#lastIncidentAt = :nowIso', '#pushedHour = :hour', '#pushedInHour = :pushedInHour');
      Object.assign(names, {
        '#lastIncidentAt': 'lastIncidentAt',
        '#pushedHour': 'pushedHour',
        '#pushedInHour': 'pushedInHour',
      });
      if (pushedHour !== undefined && pushedHour !== hour && pushedInHour > 0) {
        finishedHour = hourCountItem(
          this.#key(instanceId, `${SortKeyPrefixes.hourCount}${pushedHour}`),
          { hour: pushedHour, count: pushedInHour, writtenAt: Date.now() },
          STATE_TTL_ATTRIBUTE,
        );
      }
      pushedInHour = (pushedHour === hour ? pushedInHour : 0) + request.pushed;
      pushedHour = hour;
      Object.assign(values, { ':hour': hour, ':pushedInHour': pushedInHour });
    }
    if (request.message) {
      sets.push('#message = :message', '#messageIsError = :messageIsError');
      Object.assign(names, { '#message': 'message', '#messageIsError': 'messageIsError' });
      values[':message'] = request.message.text;
      values[':messageIsError'] = request.message.isError;
    }
    if (request.release) removes.push('#leaseId', '#leaseExpiresAt');
    // Hours of the old in-item map past the week; a bounded number per commit keeps the expression small.
    const forget = (request.forgetHours ?? [])
      .filter((forgotten) => snapshot.legacyHours.includes(forgotten))
      .slice(0, MAX_FORGET_PER_COMMIT);
    forget.forEach((forgotten, index) => {
      removes.push(`#pushedByHour.#stale${index}`);
      Object.assign(names, { '#pushedByHour': 'pushedByHour', [`#stale${index}`]: forgotten });
    });
    const update = {
      TableName: this.#table,
      Key: this.#key(instanceId, SortKeys.state),
      UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
      ConditionExpression: `${Conditions.leaseOurs} AND ${Conditions.versionUnchanged}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      await this.#write(update, [this.#seenItem(instanceId, seen), finishedHour]);
    } catch (error) {
      this.#snapshots.delete(instanceId);
      if (!isConditionFailure(error)) throw error;
      throw new LeaseLostError(instanceId);
    }
    if (request.release) this.#snapshots.delete(instanceId);
    else {
      this.#snapshots.set(instanceId, {
        leaseId: request.leaseId,
        version: nextVersion,
        seen: seen.next,
        pushedHour,
        pushedInHour,
        legacyHours: snapshot.legacyHours.filter((legacy) => !forget.includes(legacy)),
      });
    }
    return nextVersion;
  }

  async release(instanceId: string, request: ReleaseRequest): Promise<void> {
    this.#snapshots.delete(instanceId);
    const sets = ['#lastRunAt = :nowIso'];
    const values: Record<string, unknown> = {
      ':leaseId': request.leaseId,
      ':nowIso': new Date(request.now).toISOString(),
    };
    const names: Record<string, string> = {
      '#leaseId': 'leaseId',
      '#leaseExpiresAt': 'leaseExpiresAt',
      '#lastRunAt': 'lastRunAt',
    };
    if (request.failure) {
      sets.push(
        '#consecutiveFailures = if_not_exists(#consecutiveFailures, :zero) + :one',
        '#lastError = :error',
        '#lastErrorCode = :code',
        '#lastErrorAt = :nowIso',
      );
      Object.assign(values, {
        ':zero': 0,
        ':one': 1,
        ':error': request.failure.message,
        ':code': request.failure.code,
      });
      Object.assign(names, {
        '#consecutiveFailures': 'consecutiveFailures',
        '#lastError': 'lastError',
        '#lastErrorCode': 'lastErrorCode',
        '#lastErrorAt': 'lastErrorAt',
      });
    }
    if (request.message) {
      sets.push('#message = :message', '#messageIsError = :messageIsError');
      Object.assign(values, { ':message': request.message.text, ':messageIsError': request.message.isError });
      Object.assign(names, { '#message': 'message', '#messageIsError': 'messageIsError' });
    }
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, SortKeys.state),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE #leaseId, #leaseExpiresAt`,
          // Only our own lease: a run that lost it must not clear the new holder's.
          ConditionExpression: '#leaseId = :leaseId',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // Someone else holds it now (ours expired): nothing of ours to release.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async read(instanceId: string): Promise<InstanceState | undefined> {
    const Item = await this.#getStateItem(instanceId);
    if (!Item) return undefined;
    const [{ state, snapshot }, counts] = await Promise.all([
      this.#readState(instanceId, Item),
      queryFinishedHours(this.#doc, this.#table, instanceId),
    ]);
    const current: [string, number][] =
      snapshot.pushedHour !== undefined ? [[snapshot.pushedHour, snapshot.pushedInHour]] : [];
    return {
      ...state,
      pushedByHour: mergeHourCounts(Object.entries(state.pushedByHour ?? {}), counts, current),
    };
  }

  async setLastRun(instanceId: string, write: OperatorWrite): Promise<number> {
    const Item = await this.#getStateItem(instanceId);
    let version: number;
    let corrupted = false;
    try {
      version = Item ? readStateItem(instanceId, Item).version : 0;
    } catch (error) {
      // An operator overwriting a corrupted item (no expected version: there is none to expect) is
      // the documented repair; anything else still refuses it.
      if (!(error instanceof StateCorruptError) || write.expectedVersion !== undefined) throw error;
      corrupted = true;
      version =
        Number.isInteger(Item?.version) && (Item?.version as number) >= 0 ? (Item?.version as number) : 0;
    }
    if (write.expectedVersion !== undefined && write.expectedVersion !== version) {
      throw new StateConflictError(
        `The last run of "${instanceId}" changed (version ${version}, expected ${write.expectedVersion}); read it again and retry.`,
      );
    }
    this.#snapshots.delete(instanceId);
    // A new log (a fresh id) with a base item: nothing of the old log can be read into the new one.
    const seen = planSeen({ items: [] }, write.lastRun, version + 1);
    try {
      await this.#write(
        {
          TableName: this.#table,
          Key: this.#key(instanceId, SortKeys.state),
          UpdateExpression: seen.pointer
            ? 'SET #lastRun = :lastRun, #version = :nextVersion, #seenLog = :seenLog'
            : 'SET #lastRun = :lastRun, #version = :nextVersion REMOVE #seenLog',
          // A repair cannot condition on a version that is not a number; the lease still guards it.
          ConditionExpression: corrupted
            ? Conditions.leaseFree
            : `${Conditions.leaseFree} AND (attribute_not_exists(#version) OR ${Conditions.versionUnchanged})`,
          ExpressionAttributeNames: { ...Names, '#lastRun': 'lastRun', '#seenLog': 'seenLog' },
          ExpressionAttributeValues: {
            ':lastRun': seen.inlineLastRun,
            ':nextVersion': version + 1,
            ...(seen.pointer ? { ':seenLog': seen.pointer } : {}),
            ...(corrupted ? {} : { ':expectedVersion': version }),
            ':now': write.now,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        [this.#seenItem(instanceId, seen)],
      );
      return version + 1;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = failedConditionItem(error);
      if (typeof held?.leaseExpiresAt === 'number' && held.leaseExpiresAt >= write.now) {
        throw new LeaseHeldError(instanceId, held.leaseExpiresAt);
      }
      throw new StateConflictError(
        `The last run of "${instanceId}" changed while it was being set; retry.`,
        held,
      );
    }
  }

  async writeHistory(record: HistoryRecord): Promise<void> {
    // From the real clock, as TTL compares with real time: a record counted from a run's own clock (a
    // test's, or a replay's window) could be swept before anyone reads it.
    const expiresAt = record.expiresAt ?? Math.floor(Date.now() / 1000) + this.#retentionSeconds;
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...this.#key(record.instanceId, `${SortKeyPrefixes.history}${record.startedAt}#${record.runId}`),
          ...record,
          [STATE_TTL_ATTRIBUTE]: expiresAt,
        },
      }),
    );
  }

  async listHistory(instanceId: string, options: { limit?: number } = {}): Promise<HistoryRecord[]> {
    const { Items = [] } = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': StateTableKeys.partition, '#sk': StateTableKeys.sort },
        ExpressionAttributeValues: { ':pk': instanceId, ':prefix': SortKeyPrefixes.history },
        ScanIndexForward: false,
        Limit: options.limit ?? 50,
        ConsistentRead: true,
      }),
    );
    return Items.map(
      ({ [StateTableKeys.partition]: _pk, [StateTableKeys.sort]: _sk, ...record }) => record as HistoryRecord,
    );
  }

  async getContext(instanceId: string): Promise<StoredContext> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: this.#key(instanceId, SortKeys.context),
        ConsistentRead: true,
      }),
    );
    return readContextItem(instanceId, Item);
  }

  async setContext(
    instanceId: string,
    value: Record<string, unknown>,
    expectedVersion: number,
  ): Promise<number> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...this.#key(instanceId, SortKeys.context), value, version: expectedVersion + 1 },
          ConditionExpression:
            expectedVersion === 0 ? 'attribute_not_exists(#version)' : Conditions.versionUnchanged,
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues:
            expectedVersion === 0 ? undefined : { ':expectedVersion': expectedVersion },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return expectedVersion + 1;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new StateConflictError(
        `The integration context of "${instanceId}" was changed by another writer (expected version ${expectedVersion}); read it again and retry.`,
        failedConditionItem(error),
      );
    }
  }

  /**
   * One UpdateItem when only the STATE item changes; otherwise one transaction: the STATE update (its
   * condition first, so a failed one is recognised) and the items that commit with it.
   */
  async #write(
    update: ConstructorParameters<typeof UpdateCommand>[0] & { UpdateExpression: string },
    items: readonly (Record<string, unknown> | undefined)[],
  ): Promise<void> {
    const puts = items.filter((item): item is Record<string, unknown> => item !== undefined);
    if (puts.length === 0) {
      await this.#doc.send(new UpdateCommand(update));
      return;
    }
    await this.#doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: update },
          ...puts.map((Item) => ({ Put: { TableName: this.#table, Item } })),
        ],
      }),
    );
  }

  /**
   * The SEEN item a plan writes, if any. It expires by the storage's clock, not the run's: TTL
   * compares with the real time, and a run's clock may be a replay's or a test's.
   */
  #seenItem(instanceId: string, plan: SeenPlan): Record<string, unknown> | undefined {
    if (!plan.item || !plan.pointer) return undefined;
    return {
      ...this.#key(instanceId, seenSortKey(SortKeyPrefixes.seen, plan.pointer.id, plan.item.version)),
      version: plan.item.version,
      base: plan.item.base,
      buckets: plan.item.buckets,
      [STATE_TTL_ATTRIBUTE]: Math.floor(Date.now() / 1000) + SEEN_RETENTION_SECONDS,
    };
  }

  async #getStateItem(instanceId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: this.#key(instanceId, SortKeys.state),
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  /** The state as the runner sees it (seen ids back in the last run) and what a commit plans against. */
  async #readState(
    instanceId: string,
    item: Record<string, unknown> | undefined,
  ): Promise<{ state: InstanceState; snapshot: Omit<LeaseSnapshot, 'leaseId'> }> {
    const state = readStateItem(instanceId, item);
    const pointer = readSeenLogPointer(instanceId, item?.seenLog);
    let seen: SeenSnapshot;
    let lastRun = state.lastRun;
    if (pointer) {
      const items = await querySeenLog(this.#doc, this.#table, instanceId, pointer, state.version);
      const map = replaySeenLog(pointer, items);
      lastRun = { ...state.lastRun, seen: map };
      seen = { pointer, items, seen: map };
    } else {
      seen = { items: [], seen: isSeenMap(state.lastRun.seen) ? state.lastRun.seen : undefined };
    }
    return {
      state: { ...state, lastRun },
      snapshot: {
        version: state.version,
        seen,
        pushedHour: typeof item?.pushedHour === 'string' ? item.pushedHour : undefined,
        pushedInHour: typeof item?.pushedInHour === 'number' ? item.pushedInHour : 0,
        legacyHours: Object.keys(state.pushedByHour ?? {}),
      },
    };
  }

  /** The snapshot the acquire kept, or (another store instance acquired) the committed state read again. */
  async #snapshotFor(instanceId: string, leaseId: string, version: number): Promise<LeaseSnapshot> {
    const kept = this.#snapshots.get(instanceId);
    if (kept?.leaseId === leaseId && kept.version === version) return kept;
    const item = await this.#getStateItem(instanceId);
    if (!item) throw new LeaseLostError(instanceId);
    return { ...(await this.#readState(instanceId, item)).snapshot, leaseId };
  }
}
