import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LastRun } from '../connector.js';
import { LeaseHeldError, StateConflictError } from '../errors.js';
import { failedConditionItem, isConditionFailure } from './condition-failure.js';
import { itemKey, SortKeyPrefixes, STATE_TTL_ATTRIBUTE, StateTableKeys } from './table-layout.js';

/** Sort-key prefix of replay items (see `table-layout.ts`). */
export const REPLAY_PREFIX = SortKeyPrefixes.replay;

/** A replay item outlives its last update by this long (TTL), so an abandoned one goes away. */
const RETENTION_SECONDS = 7 * 86_400;

export const ReplayStatus = { running: 'running', done: 'done' } as const;
export type ReplayStatusValue = (typeof ReplayStatus)[keyof typeof ReplayStatus];

/** A replay's progress: its own cursor and counters, never the instance's live last run. */
export interface ReplayProgress {
  readonly replayId: string;
  readonly instanceId: string;
  readonly connector: string;
  /** The window replayed, `[from, to)`, ISO-8601. */
  readonly from: string;
  readonly to: string;
  /** The replay's own cursor (a window cursor: `{ time, seen }`). */
  readonly cursor: LastRun;
  readonly status: ReplayStatusValue;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly fetches: number;
  readonly pages: number;
  readonly pulled: number;
  readonly dropped: number;
  readonly pushed: number;
  /** The failure that stopped the last attempt; the replay resumes from its cursor. */
  readonly lastError?: { code: string; message: string };
  readonly leaseId?: string;
  readonly leaseExpiresAt?: number;
}

/** What one fetch of a replay adds to its progress. */
export interface ReplayStep {
  readonly leaseId: string;
  readonly now: number;
  readonly cursor: LastRun;
  readonly done: boolean;
  readonly fetches: number;
  readonly pages: number;
  readonly pulled: number;
  readonly dropped: number;
  readonly pushed: number;
}

/** Persistence of replays: one item per replay, with a lease of its own. */
export interface ReplayStore {
  /** Creates a replay; fails with `StateConflictError` if the id exists. */
  create(progress: ReplayProgress): Promise<void>;
  get(instanceId: string, replayId: string): Promise<ReplayProgress | undefined>;
  /** The instance's replays, newest first. */
  list(instanceId: string): Promise<ReplayProgress[]>;
  /** Takes the replay's lease (`LeaseHeldError` when another invocation runs it). */
  acquire(
    instanceId: string,
    replayId: string,
    lease: { leaseId: string; now: number; expiresAt: number },
  ): Promise<ReplayProgress>;
  /** Moves the replay's cursor, only while the lease is ours; `done` also releases it. */
  advance(instanceId: string, replayId: string, step: ReplayStep): Promise<void>;
  /** Gives the lease back, recording the failure that stopped this attempt, if any. */
  release(
    instanceId: string,
    replayId: string,
    release: { leaseId: string; now: number; error?: { code: string; message: string } },
  ): Promise<void>;
}

const Conditions = {
  exists: 'attribute_exists(#sk)',
  leaseFree: '(attribute_not_exists(#leaseId) OR #leaseExpiresAt < :now)',
  leaseOurs: '#leaseId = :leaseId AND #leaseExpiresAt > :now',
  running: '#status = :running',
} as const;

const Names = {
  '#sk': StateTableKeys.sort,
  '#leaseId': 'leaseId',
  '#leaseExpiresAt': 'leaseExpiresAt',
  '#status': 'status',
} as const;

const toProgress = (item: Record<string, unknown>): ReplayProgress => {
  const {
    [StateTableKeys.partition]: _pk,
    [StateTableKeys.sort]: _sk,
    [STATE_TTL_ATTRIBUTE]: _expiresAt,
    ...progress
  } = item;
  return progress as unknown as ReplayProgress;
};

const ttl = (now: number) => Math.floor(now / 1000) + RETENTION_SECONDS;

/**
 * {@link ReplayStore} in the state table: items `REPLAY#<id>` under the instance's partition, TTL'd a
 * week after their last update. The live cursor (STATE) is never read or written here.
 */
export class DynamoReplayStore implements ReplayStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.#table = options.tableName;
  }

  #key(instanceId: string, replayId: string) {
    return itemKey(instanceId, `${REPLAY_PREFIX}${replayId}`);
  }

  async create(progress: ReplayProgress): Promise<void> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...this.#key(progress.instanceId, progress.replayId),
            ...progress,
            [STATE_TTL_ATTRIBUTE]: ttl(Date.parse(progress.updatedAt)),
          },
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': StateTableKeys.sort },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new StateConflictError(`Replay "${progress.replayId}" already exists; start another.`);
    }
  }

  async get(instanceId: string, replayId: string): Promise<ReplayProgress | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: this.#key(instanceId, replayId), ConsistentRead: true }),
    );
    return Item ? toProgress(Item) : undefined;
  }

  async list(instanceId: string): Promise<ReplayProgress[]> {
    const { Items = [] } = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': StateTableKeys.partition, '#sk': StateTableKeys.sort },
        ExpressionAttributeValues: { ':pk': instanceId, ':prefix': REPLAY_PREFIX },
        ConsistentRead: true,
      }),
    );
    return Items.map(toProgress).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async acquire(
    instanceId: string,
    replayId: string,
    lease: { leaseId: string; now: number; expiresAt: number },
  ): Promise<ReplayProgress> {
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, replayId),
          UpdateExpression: 'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt',
          ConditionExpression: `${Conditions.exists} AND ${Conditions.running} AND ${Conditions.leaseFree}`,
          ExpressionAttributeNames: Names,
          ExpressionAttributeValues: {
            ':leaseId': lease.leaseId,
            ':expiresAt': lease.expiresAt,
            ':now': lease.now,
            ':running': ReplayStatus.running,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toProgress(Attributes ?? {});
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = failedConditionItem(error);
      if (!existing) {
        throw new StateConflictError(
          `Instance "${instanceId}" has no replay "${replayId}" (it may have expired).`,
        );
      }
      if (existing.status !== ReplayStatus.running) {
        throw new StateConflictError(
          `Replay "${replayId}" of "${instanceId}" is already ${existing.status}.`,
        );
      }
      throw new LeaseHeldError(
        instanceId,
        typeof existing.leaseExpiresAt === 'number' ? existing.leaseExpiresAt : undefined,
      );
    }
  }

  async advance(instanceId: string, replayId: string, step: ReplayStep): Promise<void> {
    const nowIso = new Date(step.now).toISOString();
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, replayId),
          UpdateExpression:
            'SET #cursor = :cursor, #updatedAt = :nowIso, #expiresAt = :expiresAt, #status = :status ' +
            'ADD #fetches :fetches, #pages :pages, #pulled :pulled, #dropped :dropped, #pushed :pushed' +
            (step.done ? ' REMOVE #leaseId, #leaseExpiresAt, #lastError' : ''),
          ConditionExpression: Conditions.leaseOurs,
          ExpressionAttributeNames: {
            '#leaseId': 'leaseId',
            '#leaseExpiresAt': 'leaseExpiresAt',
            '#status': 'status',
            '#cursor': 'cursor',
            '#updatedAt': 'updatedAt',
            '#expiresAt': STATE_TTL_ATTRIBUTE,
            '#fetches': 'fetches',
            '#pages': 'pages',
            '#pulled': 'pulled',
            '#dropped': 'dropped',
            '#pushed': 'pushed',
            ...(step.done ? { '#lastError': 'lastError' } : {}),
          },
          ExpressionAttributeValues: {
            ':cursor': step.cursor,
            ':nowIso': nowIso,
            ':expiresAt': ttl(step.now),
            ':status': step.done ? ReplayStatus.done : ReplayStatus.running,
            ':fetches': step.fetches,
            ':pages': step.pages,
            ':pulled': step.pulled,
            ':dropped': step.dropped,
            ':pushed': step.pushed,
            ':leaseId': step.leaseId,
            ':now': step.now,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new StateConflictError(
        `Replay "${replayId}" of "${instanceId}" lost its lease (it outlived its deadline or another run took it over); resume it to continue from its last saved point.`,
      );
    }
  }

  async release(
    instanceId: string,
    replayId: string,
    release: { leaseId: string; now: number; error?: { code: string; message: string } },
  ): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, replayId),
          UpdateExpression: `SET #updatedAt = :nowIso${release.error ? ', #lastError = :error' : ''} REMOVE #leaseId, #leaseExpiresAt`,
          ConditionExpression: '#leaseId = :leaseId',
          ExpressionAttributeNames: {
            '#leaseId': 'leaseId',
            '#leaseExpiresAt': 'leaseExpiresAt',
            '#updatedAt': 'updatedAt',
            ...(release.error ? { '#lastError': 'lastError' } : {}),
          },
          ExpressionAttributeValues: {
            ':leaseId': release.leaseId,
            ':nowIso': new Date(release.now).toISOString(),
            ...(release.error ? { ':error': release.error } : {}),
          },
        }),
      );
    } catch (error) {
      // Someone else holds it now: nothing of ours to release.
      if (!isConditionFailure(error)) throw error;
    }
  }
}
