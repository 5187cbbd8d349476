// Over 300 lines: the endpoint's persistence, its interface and its DynamoDB implementation in one file
// (as the state stores are): idempotent puts, the duplicate-or-conflict read-back, the conflicts list and
// the cursors of both listings, each condition written out where a reader checks it.
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidCursorError, StateCorruptError } from '../../shared/errors.js';
import { forEachBounded } from '../../shared/for-each-bounded.js';
import { type Incident, incidentKey } from '../../shared/incident.js';

/** One Ferry batch as the endpoint received it (already validated). */
export interface IngestBatch {
  readonly instance: string;
  readonly connector: string;
  readonly runId: string;
  readonly incidents: readonly Incident[];
}

/** An incident whose key the instance already has with a different content. */
export interface IncidentConflict {
  /** Its position in the batch. */
  readonly index: number;
  readonly key: string;
}

/**
 * What storing a batch did: every incident is new, a duplicate (same key, same content: a re-push) or a
 * conflict (same key, different content: recorded beside the stored one, which stays as it was).
 */
export interface StoreBatchResult {
  readonly new: number;
  readonly duplicates: number;
  readonly conflicts: readonly IncidentConflict[];
}

/** One stored incident, as `GET /incidents` lists it. */
export interface StoredIncident {
  /** `incidentKey(incident)`: its dbotMirrorId, or a hash of its rawJSON. */
  readonly key: string;
  readonly instance: string;
  readonly connector: string;
  readonly runId: string;
  /** When the endpoint first received it (ISO-8601); a re-push does not change it. */
  readonly receivedAt: string;
  readonly incident: Incident;
}

/** A recorded conflict, as `GET /conflicts` lists it: the incident that was refused, and when it came. */
export type StoredConflict = StoredIncident;

export interface ListIncidentsRequest {
  readonly instance: string;
  /** 1..1000. */
  readonly limit: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
}

export interface IncidentPage {
  readonly incidents: StoredIncident[];
  /** Present only when more incidents follow. */
  readonly cursor?: string;
}

/** Where the ingestion endpoint keeps what arrived: idempotent on (instance, incident key). */
export interface IncidentStore {
  /** Stores each incident once; an incident whose key the instance already has is a duplicate. */
  putBatch(batch: IngestBatch): Promise<StoreBatchResult>;
  /** Pages through an instance's incidents in arrival order, oldest first. */
  list(request: ListIncidentsRequest): Promise<IncidentPage>;
  /** Pages through an instance's recorded conflicts (by key). */
  listConflicts(request: ListIncidentsRequest): Promise<{ conflicts: StoredConflict[]; cursor?: string }>;
}

/** The arrival-order index: partition key the instance, sort key `arrival`. */
export const byArrivalIndex = 'byArrival';

/**
 * The incidents table, in CreateTable's shape, so local table creation (spread it into a
 * `CreateTableCommand` with `BillingMode: 'PAY_PER_REQUEST'`) and the CDK stack use one definition.
 * - `pk` = instance id, `sk` = `KEY#<incident key>`: one item per (instance, key) — the idempotency.
 * - `arrival` = `<receivedAt ISO>#<runId>#<index, 6 digits>`: the `byArrival` GSI lists an
 *   instance's incidents in the order they arrived. Projection ALL: the listing reads nothing else.
 */
export const incidentsTableDefinition: Required<
  Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema' | 'GlobalSecondaryIndexes'>
> = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'arrival', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: byArrivalIndex,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'arrival', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
};

export interface DynamoIncidentStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Puts in flight at once for one batch. @default 16 */
  readonly concurrency?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** The item never existed: a put under this condition stores an incident at most once. */
const Conditions = { firstArrival: 'attribute_not_exists(pk)' } as const;

// DynamoDB caps a sort key at 1024 bytes; a longer dbotMirrorId is stored under its hash, which is
// as deterministic as the id itself, so idempotency holds.
const maxPlainKeyBytes = 1000;
const sortKey = (key: string): string =>
  Buffer.byteLength(key) <= maxPlainKeyBytes
    ? `KEY#${key}`
    : `KEYHASH#${createHash('sha256').update(key).digest('base64url')}`;

interface IncidentItem {
  pk: string;
  sk: string;
  arrival: string;
  connector: string;
  runId: string;
  receivedAt: string;
  /**
   * The incident as a JSON string, not a map: the store never queries inside it, a string comes back
   * byte for byte (no number coercion, no empty-value or undefined quirks, no 32-level nesting limit),
   * and its size is exactly what the endpoint's per-incident size check measured.
   */
  incident: string;
}

type CursorKey = Pick<IncidentItem, 'pk' | 'sk' | 'arrival'>;

const encodeCursor = ({ pk, sk, arrival }: CursorKey): string =>
  Buffer.from(JSON.stringify({ pk, sk, arrival })).toString('base64url');

const decodeCursor = (cursor: string, instance: string): CursorKey => {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const { pk, sk, arrival } = (key ?? {}) as Partial<CursorKey>;
  // Every part as this store writes it: an empty or foreign sort key would reach DynamoDB as a 500.
  if (
    typeof pk !== 'string' ||
    typeof sk !== 'string' ||
    typeof arrival !== 'string' ||
    pk !== instance ||
    !/^KEY(HASH)?#./s.test(sk) ||
    !/^\d{4}-\d\d-\d\dT[^#]+#.+#\d{6}$/s.test(arrival)
  ) {
    throw new InvalidCursorError(
      `"cursor" is not a cursor of instance "${instance}": pass the cursor of the previous page unchanged.`,
    );
  }
  return { pk, sk, arrival };
};

/** A conflict item's sort key: one per (key, content), so a conflict pushed again is recorded once. */
const conflictSortKey = (key: string, content: string): string =>
  `CONFLICT#${createHash('sha256').update(key).digest('base64url')}#${createHash('sha256').update(content).digest('base64url')}`;

/** The JSON of a value with its object keys sorted: two serializations of one incident compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );

/** What makes two incidents under one key the same incident (see DynamoIncidentStore#sameAsStored). */
const identity = (incident: Incident): string => {
  if (typeof incident.rawJSON === 'string') {
    try {
      return `raw:${canonical(JSON.parse(incident.rawJSON))}`;
    } catch {
      return `raw:${incident.rawJSON}`;
    }
  }
  return `incident:${canonical(incident)}`;
};

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/** The DynamoDB implementation of {@link IncidentStore} (table: {@link incidentsTableDefinition}). */
export class DynamoIncidentStore implements IncidentStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #concurrency: number;
  readonly #now: () => Date;
  #lastMs = 0;

  constructor(options: DynamoIncidentStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client);
    this.#table = options.tableName;
    this.#concurrency = options.concurrency ?? 16;
    this.#now = options.now ?? (() => new Date());
  }

  async putBatch(batch: IngestBatch): Promise<StoreBatchResult> {
    const receivedAt = this.#arrivalTime();
    let fresh = 0;
    const conflicts: IncidentConflict[] = [];
    await forEachBounded(batch.incidents, this.#concurrency, async (incident, index) => {
      const key = incidentKey(incident);
      const item: IncidentItem = {
        pk: batch.instance,
        sk: sortKey(key),
        arrival: `${receivedAt}#${batch.runId}#${String(index).padStart(6, '0')}`,
        connector: batch.connector,
        runId: batch.runId,
        receivedAt,
        incident: JSON.stringify(incident),
      };
      try {
        await this.#doc.send(
          new PutCommand({
            TableName: this.#table,
            Item: item,
            ConditionExpression: Conditions.firstArrival,
          }),
        );
        fresh += 1;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // The key is taken: a re-push of the same incident (a duplicate), or another incident under
        // the same key (a pre-seeded dbotMirrorId) — compared, never assumed.
        if (await this.#sameAsStored(item)) return;
        conflicts.push({ index, key });
        await this.#recordConflict(item, key);
      }
    });
    conflicts.sort((a, b) => a.index - b.index);
    return { new: fresh, duplicates: batch.incidents.length - fresh - conflicts.length, conflicts };
  }

  /**
   * Whether `item` is the stored incident again. The source event (`rawJSON`) is what identifies it
   * when both have one: a changed mapping (a renamed incident) of the same event is the same incident;
   * a different event under the same id is not. Without `rawJSON`, the whole incident is compared.
   * Key order never matters.
   */
  async #sameAsStored(item: IncidentItem): Promise<boolean> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
    );
    const stored = (Item as IncidentItem | undefined)?.incident;
    if (stored === undefined) return false;
    if (stored === item.incident) return true;
    try {
      return identity(JSON.parse(stored)) === identity(JSON.parse(item.incident));
    } catch {
      return false;
    }
  }

  /** Keeps the refused incident beside the stored one (no `arrival`: it is not listed as an incident). */
  async #recordConflict(item: IncidentItem, key: string): Promise<void> {
    const { arrival: _notListed, ...rest } = item;
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...rest, sk: conflictSortKey(key, canonical(JSON.parse(item.incident))), key },
      }),
    );
  }

  async listConflicts(
    request: ListIncidentsRequest,
  ): Promise<{ conflicts: StoredConflict[]; cursor?: string }> {
    let start: { pk: string; sk: string } | undefined;
    if (request.cursor !== undefined) {
      const sk = Buffer.from(request.cursor, 'base64url').toString('utf8');
      if (!/^CONFLICT#[\w-]+#[\w-]+$/.test(sk)) {
        throw new InvalidCursorError(
          '"cursor" is not a cursor of this listing: pass the previous page\'s cursor unchanged.',
        );
      }
      start = { pk: request.instance, sk };
    }
    const { Items = [], LastEvaluatedKey } = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: '#pk = :instance AND begins_with(#sk, :conflict)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':instance': request.instance, ':conflict': 'CONFLICT#' },
        Limit: request.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const conflicts = (Items as (IncidentItem & { key: string })[]).map((item) => ({
      ...toStoredIncident({ ...item, arrival: '' }),
      key: item.key,
    }));
    const last = LastEvaluatedKey?.sk;
    return {
      conflicts,
      ...(typeof last === 'string' ? { cursor: Buffer.from(last).toString('base64url') } : {}),
    };
  }

  async list(request: ListIncidentsRequest): Promise<IncidentPage> {
    const start = request.cursor === undefined ? undefined : decodeCursor(request.cursor, request.instance);
    // One item more than asked tells whether another page exists, so the last page carries no
    // cursor (DynamoDB's own LastEvaluatedKey would also be set when exactly `limit` remain).
    // GSI reads are eventually consistent: an incident may show up a moment after its POST returned.
    const { Items = [], LastEvaluatedKey } = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: byArrivalIndex,
        KeyConditionExpression: '#pk = :instance',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':instance': request.instance },
        ScanIndexForward: true,
        Limit: request.limit + 1,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const items = Items as IncidentItem[];
    const page = items.slice(0, request.limit);
    const last = page.at(-1);
    // DynamoDB also stops a page at 1 MB of data: then fewer than `limit` come back, and more remain.
    const more = items.length > request.limit || LastEvaluatedKey !== undefined;
    return {
      incidents: page.map(toStoredIncident),
      ...(more && last ? { cursor: encodeCursor(last) } : {}),
    };
  }

  /**
   * The time a batch arrived, strictly increasing within this process: two batches in the same
   * millisecond (the sink's chunks of one run) must not interleave in arrival order.
   */
  #arrivalTime(): string {
    const ms = Math.max(this.#now().getTime(), this.#lastMs + 1);
    this.#lastMs = ms;
    return new Date(ms).toISOString();
  }
}

const toStoredIncident = (item: IncidentItem): StoredIncident => {
  let incident: Incident;
  try {
    incident = JSON.parse(item.incident) as Incident;
  } catch (error) {
    throw new StateCorruptError(`Stored incident ${item.pk}/${item.sk} is not valid JSON.`, { cause: error });
  }
  return {
    key: incidentKey(incident),
    instance: item.pk,
    connector: item.connector,
    runId: item.runId,
    receivedAt: item.receivedAt,
    incident,
  };
};
