import { LeaseHeldError, LeaseLostError, StateConflictError } from '../errors.js';
import type { HistoryRecord } from '../state/history-record.js';
import type {
  AcquireRequest,
  CommitRequest,
  InstanceState,
  OperatorWrite,
  ReleaseRequest,
  StateStore,
  StoredContext,
} from '../state/state-store.js';

interface Item {
  lastRun: InstanceState['lastRun'];
  version: number;
  health: InstanceState['health'];
  leaseId?: string;
  leaseExpiresAt?: number;
}

/**
 * A {@link StateStore} in memory with the DynamoDB store's rules (a lease that expires by itself, a
 * commit only while the lease is ours and the version unchanged). For the conformance checks where the
 * store is not what is tested; the resume check runs the real `DynamoStateStore`.
 */
export class MemoryStateStore implements StateStore {
  readonly #items = new Map<string, Item>();
  readonly #history = new Map<string, HistoryRecord[]>();
  readonly #contexts = new Map<string, StoredContext>();

  async acquire(instanceId: string, request: AcquireRequest): Promise<InstanceState> {
    const item = this.#items.get(instanceId) ?? {
      lastRun: {},
      version: 0,
      health: { consecutiveFailures: 0 },
    };
    if (item.leaseId !== undefined && (item.leaseExpiresAt ?? 0) >= request.now) {
      throw new LeaseHeldError(instanceId, item.leaseExpiresAt);
    }
    item.leaseId = request.leaseId;
    item.leaseExpiresAt = request.expiresAt;
    this.#items.set(instanceId, item);
    return this.#state(instanceId, item);
  }

  async commit(instanceId: string, request: CommitRequest): Promise<number> {
    const item = this.#items.get(instanceId);
    const ours = item?.leaseId === request.leaseId && (item.leaseExpiresAt ?? 0) > request.now;
    if (!item || !ours || item.version !== request.expectedVersion) throw new LeaseLostError(instanceId);
    const now = new Date(request.now).toISOString();
    item.lastRun = structuredClone(request.lastRun);
    item.version = request.expectedVersion + 1;
    item.health = {
      ...item.health,
      lastRunAt: now,
      lastSuccessAt: now,
      consecutiveFailures: 0,
      lastError: undefined,
      lastErrorCode: undefined,
      ...(request.pushed > 0 ? { lastIncidentAt: now } : {}),
      ...(request.message ? { message: request.message.text, messageIsError: request.message.isError } : {}),
    };
    if (request.release) {
      item.leaseId = undefined;
      item.leaseExpiresAt = undefined;
    }
    return item.version;
  }

  async release(instanceId: string, request: ReleaseRequest): Promise<void> {
    const item = this.#items.get(instanceId);
    if (!item || item.leaseId !== request.leaseId) return;
    const now = new Date(request.now).toISOString();
    item.leaseId = undefined;
    item.leaseExpiresAt = undefined;
    item.health = { ...item.health, lastRunAt: now };
    if (request.failure) {
      item.health.consecutiveFailures += 1;
      item.health.lastError = request.failure.message;
      item.health.lastErrorCode = request.failure.code;
      item.health.lastErrorAt = now;
    }
    if (request.message) {
      item.health.message = request.message.text;
      item.health.messageIsError = request.message.isError;
    }
  }

  async read(instanceId: string): Promise<InstanceState | undefined> {
    const item = this.#items.get(instanceId);
    return item ? this.#state(instanceId, item) : undefined;
  }

  async setLastRun(instanceId: string, write: OperatorWrite): Promise<number> {
    const item = this.#items.get(instanceId) ?? {
      lastRun: {},
      version: 0,
      health: { consecutiveFailures: 0 },
    };
    if (item.leaseId !== undefined && (item.leaseExpiresAt ?? 0) >= write.now) {
      throw new LeaseHeldError(instanceId, item.leaseExpiresAt);
    }
    if (write.expectedVersion !== undefined && write.expectedVersion !== item.version) {
      throw new StateConflictError(`The last run of "${instanceId}" changed; read it again and retry.`);
    }
    item.lastRun = structuredClone(write.lastRun);
    item.version += 1;
    this.#items.set(instanceId, item);
    return item.version;
  }

  async writeHistory(record: HistoryRecord): Promise<void> {
    const records = this.#history.get(record.instanceId) ?? [];
    records.push(structuredClone(record));
    this.#history.set(record.instanceId, records);
  }

  async listHistory(instanceId: string, options: { limit?: number } = {}): Promise<HistoryRecord[]> {
    return [...(this.#history.get(instanceId) ?? [])].reverse().slice(0, options.limit ?? 50);
  }

  async getContext(instanceId: string): Promise<StoredContext> {
    return structuredClone(this.#contexts.get(instanceId) ?? { value: {}, version: 0 });
  }

  async setContext(
    instanceId: string,
    value: Record<string, unknown>,
    expectedVersion: number,
  ): Promise<number> {
    const current = this.#contexts.get(instanceId)?.version ?? 0;
    if (current !== expectedVersion) {
      throw new StateConflictError(
        `The integration context of "${instanceId}" was changed by another writer (expected version ${expectedVersion}); read it again and retry.`,
      );
    }
    this.#contexts.set(instanceId, { value: structuredClone(value), version: current + 1 });
    return current + 1;
  }

  #state(instanceId: string, item: Item): InstanceState {
    return structuredClone({
      instanceId,
      lastRun: item.lastRun,
      version: item.version,
      health: item.health,
      ...(item.leaseId === undefined ? {} : { leaseId: item.leaseId, leaseExpiresAt: item.leaseExpiresAt }),
    });
  }
}
