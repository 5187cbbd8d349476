import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LeaseHeldError, LeaseLostError, StateConflictError, StateCorruptError } from '../errors.js';
import type { HistoryRecord } from './history-record.js';
import { hourKey } from './incident-counts.js';
import { readContextItem, readStateItem } from './items.js';
import type {
  AcquireRequest,
  CommitRequest,
  InstanceState,
  OperatorWrite,
  ReleaseRequest,
  StateStore,
  StoredContext,
} from './state-store.js';

/** Stale hour counts removed by one commit at most. */
const MAX_FORGET_PER_COMMIT = 24;

/** Sort keys of the items one instance owns. */
export const SortKeys = { state: 'STATE', context: 'CONTEXT', historyPrefix: 'HISTORY#' } as const;

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

const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/** The item the failed condition saw (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). */
const existingItem = (error: ConditionalCheckFailedException): Record<string, unknown> | undefined =>
  error.Item ? unmarshall(error.Item) : undefined;

/** The DynamoDB implementation of {@link StateStore}: one table, partition key the instance id. */
export class DynamoStateStore implements StateStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;

  constructor(options: DynamoStateStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.#table = options.tableName;
    this.#retentionSeconds = (options.historyRetentionDays ?? 30) * 86_400;
  }

  async acquire(instanceId: string, request: AcquireRequest): Promise<InstanceState> {
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: instanceId, sk: SortKeys.state },
          UpdateExpression:
            'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt, #version = if_not_exists(#version, :zero), ' +
            '#lastRun = if_not_exists(#lastRun, :empty), #consecutiveFailures = if_not_exists(#consecutiveFailures, :zero), ' +
            // The hour counts' map must exist before a commit can add to one of its keys.
            '#pushedByHour = if_not_exists(#pushedByHour, :empty), #firstRunAt = if_not_exists(#firstRunAt, :nowIso)',
          ConditionExpression: Conditions.leaseFree,
          ExpressionAttributeNames: {
            ...Names,
            '#lastRun': 'lastRun',
            '#consecutiveFailures': 'consecutiveFailures',
            '#pushedByHour': 'pushedByHour',
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
      );
      return readStateItem(instanceId, Attributes);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = existingItem(error);
      throw new LeaseHeldError(
        instanceId,
        typeof held?.leaseExpiresAt === 'number' ? held.leaseExpiresAt : undefined,
      );
    }
  }

  async commit(instanceId: string, request: CommitRequest): Promise<number> {
    const now = new Date(request.now).toISOString();
    const sets = [
      '#lastRun = :lastRun',
      '#version = :nextVersion',
      '#lastRunAt = :nowIso',
      '#lastSuccessAt = :nowIso',
      '#consecutiveFailures = :zero',
    ];
    const values: Record<string, unknown> = {
      ':lastRun': request.lastRun,
      ':nextVersion': request.expectedVersion + 1,
      ':expectedVersion': request.expectedVersion,
      ':leaseId': request.leaseId,
      ':now': request.now,
      ':nowIso': now,
      ':zero': 0,
    };
    const countNames: Record<string, string> = {};
    if (request.pushed > 0) {
      sets.push(
        '#lastIncidentAt = :nowIso',
        '#pushedByHour.#hour = if_not_exists(#pushedByHour.#hour, :zero) + :pushed',
      );
      values[':pushed'] = request.pushed;
      Object.assign(countNames, { '#pushedByHour': 'pushedByHour', '#hour': hourKey(request.now) });
    }
    if (request.message) {
      sets.push('#message = :message', '#messageIsError = :messageIsError');
      values[':message'] = request.message.text;
      values[':messageIsError'] = request.message.isError;
    }
    const removes = ['#lastError', '#lastErrorCode'];
    if (request.release) removes.push('#leaseId', '#leaseExpiresAt');
    // A bounded number per commit keeps the expression small; the rest go with the next commits.
    (request.forgetHours ?? []).slice(0, MAX_FORGET_PER_COMMIT).forEach((hour, index) => {
      removes.push(`#pushedByHour.#stale${index}`);
      Object.assign(countNames, { '#pushedByHour': 'pushedByHour', [`#stale${index}`]: hour });
    });
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: instanceId, sk: SortKeys.state },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: `${Conditions.leaseOurs} AND ${Conditions.versionUnchanged}`,
          ExpressionAttributeNames: {
            ...Names,
            '#lastRun': 'lastRun',
            '#lastRunAt': 'lastRunAt',
            '#lastSuccessAt': 'lastSuccessAt',
            ...(request.pushed > 0 ? { '#lastIncidentAt': 'lastIncidentAt' } : {}),
            '#consecutiveFailures': 'consecutiveFailures',
            '#lastError': 'lastError',
            '#lastErrorCode': 'lastErrorCode',
            ...(request.message ? { '#message': 'message', '#messageIsError': 'messageIsError' } : {}),
            ...countNames,
          },
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return request.expectedVersion + 1;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new LeaseLostError(instanceId);
    }
  }

  async release(instanceId: string, request: ReleaseRequest): Promise<void> {
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
          Key: { pk: instanceId, sk: SortKeys.state },
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
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: instanceId, sk: SortKeys.state },
        ConsistentRead: true,
      }),
    );
    return Item ? readStateItem(instanceId, Item) : undefined;
  }

  async setLastRun(instanceId: string, write: OperatorWrite): Promise<number> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: instanceId, sk: SortKeys.state },
        ConsistentRead: true,
      }),
    );
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
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: instanceId, sk: SortKeys.state },
          UpdateExpression: 'SET #lastRun = :lastRun, #version = :nextVersion',
          // A repair cannot condition on a version that is not a number; the lease still guards it.
          ConditionExpression: corrupted
            ? Conditions.leaseFree
            : `${Conditions.leaseFree} AND (attribute_not_exists(#version) OR ${Conditions.versionUnchanged})`,
          ExpressionAttributeNames: { ...Names, '#lastRun': 'lastRun' },
          ExpressionAttributeValues: {
            ':lastRun': write.lastRun,
            ':nextVersion': version + 1,
            ...(corrupted ? {} : { ':expectedVersion': version }),
            ':now': write.now,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return version + 1;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = existingItem(error);
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
    const expiresAt =
      record.expiresAt ?? Math.floor(Date.parse(record.startedAt) / 1000) + this.#retentionSeconds;
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          pk: record.instanceId,
          sk: `${SortKeys.historyPrefix}${record.startedAt}#${record.runId}`,
          ...record,
          expiresAt,
        },
      }),
    );
  }

  async listHistory(instanceId: string, options: { limit?: number } = {}): Promise<HistoryRecord[]> {
    const { Items = [] } = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': instanceId, ':prefix': SortKeys.historyPrefix },
        ScanIndexForward: false,
        Limit: options.limit ?? 50,
        ConsistentRead: true,
      }),
    );
    return Items.map(({ pk: _pk, sk: _sk, ...record }) => record as HistoryRecord);
  }

  async getContext(instanceId: string): Promise<StoredContext> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: instanceId, sk: SortKeys.context },
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
          Item: { pk: instanceId, sk: SortKeys.context, value, version: expectedVersion + 1 },
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
        existingItem(error),
      );
    }
  }
}
