import type { Incident } from '../incident.js';

/** An incident with its deterministic key: the same incident always gets the same key. */
export interface KeyedIncident {
  readonly key: string;
  readonly incident: Incident;
}

/** What the runner hands a sink after each fetch. */
export interface IncidentBatch {
  readonly instance: string;
  readonly connector: string;
  readonly runId: string;
  readonly incidents: readonly KeyedIncident[];
}

export interface PushOptions {
  /** Aborted near the invocation's deadline. */
  readonly signal?: AbortSignal;
  /**
   * Epoch ms by which the push must be done (the runner's deadline minus its commit reserve). A sink
   * does not wait for a `Retry-After` that ends past it, and fails at once instead.
   */
  readonly deadline?: number;
}

export interface PushResult {
  /** Incidents the endpoint took (new and duplicates alike: both are safe to commit past). */
  readonly accepted: number;
  /** Of those, how many the endpoint already had (a re-push after a crash). */
  readonly duplicates: number;
  /** Ids the endpoint gave the incidents, where it gives any (XSOAR's incident ids). */
  readonly ids?: readonly string[];
  /** Incidents sent shortened because they were over the sink's size limit (labelled `ferry_truncated`). */
  readonly truncated?: number;
  /** Something the fetch history should show although the push succeeded (truncation, ledger trouble). */
  readonly notice?: string;
}

/**
 * Where incidents go. `push` resolves only once the endpoint accepted every incident of the batch;
 * anything else throws a `SinkError`, and the runner leaves the last run as it was.
 */
export interface Sink {
  readonly type: string;
  push(batch: IncidentBatch, options?: PushOptions): Promise<PushResult>;
}
