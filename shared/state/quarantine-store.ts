// Over 300 lines: the quarantine's persistence, its interface and its DynamoDB implementation in one
// file as the replay store is, with every update expression and condition written out where a reader
// checks it.
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LeaseHeldError, StateConflictError } from '../errors.js';
import { forEachBounded } from '../for-each-bounded.js';
import type { QuarantineCandidate, QuarantineReason } from '../quarantine/partition-incidents.js';
import { redact } from '../redact.js';

/** Sort-key prefix of quarantine items, beside the instance's STATE, HISTORY#, REPLAY# and LEDGER# items. */
export const QUARANTINE_PREFIX = 'QUARANTINE#';

/** A quarantined event is kept this long after it was last seen or re-driven (TTL), then goes away. */
export const QUARANTINE_RETENTION_DAYS = 14;

/** `discarded`: an operator gave up on it; kept (unlisted) until its TTL, never re-driven. */
export const QuarantineStatus = { held: 'held', redriven: 'redriven', discarded: 'discarded' } as const;
export type QuarantineStatusValue = (typeof QuarantineStatus)[keyof typeof QuarantineStatus];

/** One event set aside, as an operator lists, exports and re-drives it. */
export interface QuarantineRecord extends QuarantineCandidate {
  readonly instanceId: string;
  readonly connector: string;
  readonly status: QuarantineStatusValue;
  readonly firstQuarantinedAt: string;
  readonly lastQuarantinedAt: string;
  /** The run that (last) set it aside. */
  readonly runId: string;
  /** Fetches that met it (a replay or a reset cursor may read it again). */
  readonly timesSeen: number;
  readonly redriveAttempts?: number;
  readonly redrivenAt?: string;
  readonly redriveRunId?: string;
  /** The incident key it was pushed under (the key a fetch would have used). */
  readonly redriveKey?: string;
  /** Why the last re-drive could not deliver it. */
  readonly lastRedriveError?: QuarantineReason;
  readonly leaseId?: string;
  readonly leaseExpiresAt?: number;
}

/** What one re-drive attempt ended with. */
export type RedriveSettlement =
  | { readonly delivered: { readonly runId: string; readonly key: string } }
  | { readonly failed: QuarantineReason };

/**
 * Persistence of quarantined events. Separate from the `StateStore`: the runner writes here only when
 * a page holds an invalid event, and only operators (and re-drive) read it.
 */
export interface QuarantineStore {
  /** Records the candidates of one page, before the cursor moves past them. */
  hold(
    instanceId: string,
    run: { readonly connector: string; readonly runId: string; readonly now: number },
    candidates: readonly QuarantineCandidate[],
  ): Promise<void>;
  /** The instance's quarantine, newest first; discarded records only when asked for by status. */
  list(
    instanceId: string,
    options?: { status?: QuarantineStatusValue; limit?: number },
  ): Promise<QuarantineRecord[]>;
  get(instanceId: string, quarantineId: string): Promise<QuarantineRecord | undefined>;
  /**
   * Takes a held record for one re-drive (`StateConflictError` when it is gone or already re-driven,
   * `LeaseHeldError` while another re-drive has it): two re-drives never push the same record at once.
   */
  claim(
    instanceId: string,
    quarantineId: string,
    lease: { readonly leaseId: string; readonly now: number; readonly expiresAt: number },
  ): Promise<QuarantineRecord>;
  /** Ends a claim: delivered (the record is kept as `redriven`) or failed (held, with the reason). */
  settle(
    instanceId: string,
    quarantineId: string,
    settlement: { readonly leaseId: string; readonly now: number } & RedriveSettlement,
  ): Promise<void>;
  /**
   * Marks a held record discarded (the operator gave up on it): no longer listed or re-driven, removed
   * by its TTL. False when there is no held record of that id. (An update, not a delete: the connector
   * functions' role needs no DeleteItem.)
   */
  discard(instanceId: string, quarantineId: string, now: number): Promise<boolean>;
}

const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

const ttlAfter = (wallClockMs: number) => Math.floor(wallClockMs / 1000) + QUARANTINE_RETENTION_DAYS * 86_400;

const toRecord = (item: Record<string, unknown>): QuarantineRecord => {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...record } = item;
  return record as unknown as QuarantineRecord;
};

/** Items written at once by one page's `hold`. */
const HOLD_CONCURRENCY = 8;

/**
 * {@link QuarantineStore} in the state table: items `QUARANTINE#<id>` under the instance's partition,
 * TTL'd {@link QUARANTINE_RETENTION_DAYS} days after their last change. Everything stored passes
 * through `redact` first.
 */
export class DynamoQuarantineStore implements QuarantineStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #wallClock: () => number;

  constructor(options: {
    readonly client: DynamoDBClient;
    readonly tableName: string;
    /**
     * What the TTL counts from. DynamoDB deletes by the real time, so this is not the run's clock (a
     * run replayed under a test clock must not write records that are already expired). @default Date.now
     */
    readonly wallClock?: () => number;
  }) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.#table = options.tableName;
    this.#wallClock = options.wallClock ?? Date.now;
  }

  #ttl(): number {
    return ttlAfter(this.#wallClock());
  }

  #key(instanceId: string, quarantineId: string) {
    return { pk: instanceId, sk: `${QUARANTINE_PREFIX}${quarantineId}` };
  }

  async hold(
    instanceId: string,
    run: { connector: string; runId: string; now: number },
    candidates: readonly QuarantineCandidate[],
  ): Promise<void> {
    const nowIso = new Date(run.now).toISOString();
    await forEachBounded(candidates, HOLD_CONCURRENCY, async (candidate) => {
      const safe = redact(candidate);
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, candidate.quarantineId),
          // Seen again: the latest raw and reason win; a record already re-driven stays re-driven.
          UpdateExpression:
            'SET #instanceId = :instanceId, #connector = :connector, #quarantineId = :quarantineId, #reason = :reason, ' +
            '#rawKind = :rawKind, #raw = :raw, #rawComplete = :rawComplete, #runId = :runId, ' +
            '#lastQuarantinedAt = :nowIso, #firstQuarantinedAt = if_not_exists(#firstQuarantinedAt, :nowIso), ' +
            '#status = if_not_exists(#status, :held), #expiresAt = :expiresAt' +
            (safe.sourceId !== undefined ? ', #sourceId = :sourceId' : '') +
            ' ADD #timesSeen :one',
          ExpressionAttributeNames: {
            '#instanceId': 'instanceId',
            '#connector': 'connector',
            '#quarantineId': 'quarantineId',
            '#reason': 'reason',
            '#rawKind': 'rawKind',
            '#raw': 'raw',
            '#rawComplete': 'rawComplete',
            '#runId': 'runId',
            '#lastQuarantinedAt': 'lastQuarantinedAt',
            '#firstQuarantinedAt': 'firstQuarantinedAt',
            '#status': 'status',
            '#expiresAt': 'expiresAt',
            '#timesSeen': 'timesSeen',
            ...(safe.sourceId !== undefined ? { '#sourceId': 'sourceId' } : {}),
          },
          ExpressionAttributeValues: {
            ':instanceId': instanceId,
            ':connector': run.connector,
            ':quarantineId': candidate.quarantineId,
            ':reason': safe.reason,
            ':rawKind': safe.rawKind,
            ':raw': safe.raw,
            ':rawComplete': safe.rawComplete,
            ':runId': run.runId,
            ':nowIso': nowIso,
            ':held': QuarantineStatus.held,
            ':expiresAt': this.#ttl(),
            ':one': 1,
            ...(safe.sourceId !== undefined ? { ':sourceId': safe.sourceId } : {}),
          },
        }),
      );
    });
  }

  async list(
    instanceId: string,
    options: { status?: QuarantineStatusValue; limit?: number } = {},
  ): Promise<QuarantineRecord[]> {
    const limit = options.limit ?? 1_000;
    const records: QuarantineRecord[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': instanceId, ':prefix': QUARANTINE_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const record = toRecord(item);
        const wanted = options.status
          ? record.status === options.status
          : record.status !== QuarantineStatus.discarded;
        if (wanted) records.push(record);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    // Ids are hashes, so the sort key says nothing of time: newest first by when it was last seen.
    return records
      .sort(
        (a, b) =>
          b.lastQuarantinedAt.localeCompare(a.lastQuarantinedAt) ||
          a.quarantineId.localeCompare(b.quarantineId),
      )
      .slice(0, limit);
  }

  async get(instanceId: string, quarantineId: string): Promise<QuarantineRecord | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: this.#key(instanceId, quarantineId),
        ConsistentRead: true,
      }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async claim(
    instanceId: string,
    quarantineId: string,
    lease: { leaseId: string; now: number; expiresAt: number },
  ): Promise<QuarantineRecord> {
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, quarantineId),
          UpdateExpression: 'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt',
          ConditionExpression:
            'attribute_exists(#sk) AND #status = :held AND (attribute_not_exists(#leaseId) OR #leaseExpiresAt < :now)',
          ExpressionAttributeNames: {
            '#sk': 'sk',
            '#status': 'status',
            '#leaseId': 'leaseId',
            '#leaseExpiresAt': 'leaseExpiresAt',
          },
          ExpressionAttributeValues: {
            ':leaseId': lease.leaseId,
            ':expiresAt': lease.expiresAt,
            ':now': lease.now,
            ':held': QuarantineStatus.held,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toRecord(Attributes ?? {});
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = error.Item ? unmarshall(error.Item) : undefined;
      if (!existing) {
        throw new StateConflictError(
          `Instance "${instanceId}" has no quarantined event "${quarantineId}" (records are kept ${QUARANTINE_RETENTION_DAYS} days). List them with: ferry quarantine ${instanceId}`,
        );
      }
      if (existing.status !== QuarantineStatus.held) {
        throw new StateConflictError(
          `Quarantined event "${quarantineId}" of "${instanceId}" was already re-driven (${String(existing.redrivenAt)}); it is not pushed twice.`,
        );
      }
      throw new LeaseHeldError(
        instanceId,
        typeof existing.leaseExpiresAt === 'number' ? existing.leaseExpiresAt : undefined,
      );
    }
  }

  async settle(
    instanceId: string,
    quarantineId: string,
    settlement: { leaseId: string; now: number } & RedriveSettlement,
  ): Promise<void> {
    const nowIso = new Date(settlement.now).toISOString();
    const delivered = 'delivered' in settlement ? settlement.delivered : undefined;
    const failed = 'failed' in settlement ? redact(settlement.failed) : undefined;
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, quarantineId),
          UpdateExpression: delivered
            ? 'SET #status = :redriven, #redrivenAt = :nowIso, #redriveRunId = :runId, #redriveKey = :key, #expiresAt = :expiresAt ' +
              'ADD #redriveAttempts :one REMOVE #leaseId, #leaseExpiresAt, #lastRedriveError'
            : 'SET #lastRedriveError = :failure, #expiresAt = :expiresAt ADD #redriveAttempts :one REMOVE #leaseId, #leaseExpiresAt',
          ConditionExpression: '#leaseId = :leaseId',
          ExpressionAttributeNames: {
            '#leaseId': 'leaseId',
            '#leaseExpiresAt': 'leaseExpiresAt',
            '#expiresAt': 'expiresAt',
            '#redriveAttempts': 'redriveAttempts',
            '#lastRedriveError': 'lastRedriveError',
            ...(delivered
              ? {
                  '#status': 'status',
                  '#redrivenAt': 'redrivenAt',
                  '#redriveRunId': 'redriveRunId',
                  '#redriveKey': 'redriveKey',
                }
              : {}),
          },
          ExpressionAttributeValues: {
            ':leaseId': settlement.leaseId,
            ':expiresAt': this.#ttl(),
            ':one': 1,
            ...(delivered
              ? {
                  ':redriven': QuarantineStatus.redriven,
                  ':nowIso': nowIso,
                  ':runId': delivered.runId,
                  ':key': delivered.key,
                }
              : { ':failure': failed }),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new StateConflictError(
        `The re-drive of "${quarantineId}" (instance "${instanceId}") lost its claim before it was recorded (it outlived its deadline); ` +
          'run the re-drive again: the push carries the same key, so the sink keeps one copy.',
      );
    }
  }

  async discard(instanceId: string, quarantineId: string, now: number): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(instanceId, quarantineId),
          UpdateExpression: 'SET #status = :discarded, #discardedAt = :nowIso',
          ConditionExpression: 'attribute_exists(#sk) AND #status = :held',
          ExpressionAttributeNames: { '#sk': 'sk', '#status': 'status', '#discardedAt': 'discardedAt' },
          ExpressionAttributeValues: {
            ':discarded': QuarantineStatus.discarded,
            ':held': QuarantineStatus.held,
            ':nowIso': new Date(now).toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }
}
