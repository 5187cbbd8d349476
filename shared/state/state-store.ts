import type { LastRun } from '../connector.js';
import type { HistoryRecord } from './history-record.js';
import type { PushedByHour } from './incident-counts.js';

/** What the health of an instance looks like in its state item (XSOAR's module health, and more). */
export interface InstanceHealth {
  /** The first fetch ever: "no data" is measured from it until an incident arrives. */
  firstRunAt?: string;
  lastRunAt?: string;
  lastSuccessAt?: string;
  /** The last time a fetch pushed at least one incident. */
  lastIncidentAt?: string;
  lastError?: string;
  lastErrorCode?: string;
  lastErrorAt?: string;
  consecutiveFailures: number;
  /** The last `health()` message a connector set. */
  message?: string;
  messageIsError?: boolean;
}

/** The instance's state item as the runner sees it. */
export interface InstanceState {
  readonly instanceId: string;
  readonly lastRun: LastRun;
  /** Increments with every commit; a commit is conditioned on it. */
  readonly version: number;
  readonly health: InstanceHealth;
  /**
   * Incidents pushed per UTC hour over the last week (see `incident-counts.ts`), from `read`. From
   * `acquire`, only the hours of the map older versions kept in the state item: the ones a commit's
   * `forgetHours` may remove (the week's counts are no longer read on the fetch path).
   */
  readonly pushedByHour?: PushedByHour;
  readonly leaseId?: string;
  readonly leaseExpiresAt?: number;
}

export interface AcquireRequest {
  readonly leaseId: string;
  readonly now: number;
  /** The lease expires by itself at this time (epoch ms): a killed run cannot wedge the instance. */
  readonly expiresAt: number;
}

export interface CommitRequest {
  readonly leaseId: string;
  readonly expectedVersion: number;
  readonly lastRun: LastRun;
  readonly now: number;
  /** Release the lease with this commit (the last page of a drain). */
  readonly release: boolean;
  /** A fetch that pushed incidents updates `lastIncidentAt` and adds them to the current hour's count. */
  readonly pushed: number;
  /** Hour counts older than a week, as seen at acquire (`staleHours`): removed by this commit. */
  readonly forgetHours?: readonly string[];
  readonly message?: { text: string; isError: boolean };
}

export interface ReleaseRequest {
  readonly leaseId: string;
  readonly now: number;
  /** The failure that ended the run, if any: counted in the health. */
  readonly failure?: { message: string; code: string };
  /** A run that committed and then stopped on the deadline releases without a failure. */
  readonly message?: { text: string; isError: boolean };
}

export interface OperatorWrite {
  readonly lastRun: LastRun;
  readonly now: number;
  /** Refuse while a run holds the lease, so an operator never races a fetch. */
  readonly expectedVersion?: number;
}

/** The instance's integration context: a versioned document (XSOAR's `setIntegrationContextVersioned`). */
export interface StoredContext {
  readonly value: Record<string, unknown>;
  readonly version: number;
}

/**
 * Persistence for last runs, leases, health, integration context and fetch history.
 * The concurrency model lives in the conditions of the implementation: see `dynamo-state-store.ts`.
 */
export interface StateStore {
  /**
   * Takes the lease and reads the state (one request, and a second for the seen ids once they outgrow
   * the state item). Throws `LeaseHeldError` when it is taken.
   */
  acquire(instanceId: string, request: AcquireRequest): Promise<InstanceState>;
  /**
   * Moves the cursor, only while the lease is ours and the version unchanged; returns the new version.
   * Atomic: the cursor, the seen ids it adds and the hour count commit together or not at all.
   */
  commit(instanceId: string, request: CommitRequest): Promise<number>;
  /** Releases the lease without moving the cursor, recording a failure in the health. */
  release(instanceId: string, request: ReleaseRequest): Promise<void>;
  /** Reads the state without taking the lease (consistent read). */
  read(instanceId: string): Promise<InstanceState | undefined>;
  /**
   * An operator sets the last run (reset = `{}`); refused while a fetch holds the lease. Without
   * `expectedVersion` it also overwrites a corrupted state item (the repair `StateCorruptError` names).
   */
  setLastRun(instanceId: string, write: OperatorWrite): Promise<number>;
  writeHistory(record: HistoryRecord): Promise<void>;
  listHistory(instanceId: string, options?: { limit?: number }): Promise<HistoryRecord[]>;
  getContext(instanceId: string): Promise<StoredContext>;
  /** Writes the context only if its version is still `expectedVersion`; returns the new version. */
  setContext(instanceId: string, value: Record<string, unknown>, expectedVersion: number): Promise<number>;
}
