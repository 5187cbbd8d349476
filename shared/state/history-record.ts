import type { LastRun } from '../connector.js';

/** How a run ended. */
export const RunStatus = {
  ok: 'ok',
  error: 'error',
  skipped: 'skipped',
  disabled: 'disabled',
  operator: 'operator',
} as const;

export type RunStatusValue = (typeof RunStatus)[keyof typeof RunStatus];

/** One fetch-history record (XSOAR's Fetch History, and more). Expires by TTL. */
export interface HistoryRecord {
  instanceId: string;
  connector: string;
  runId: string;
  startedAt: string;
  durationMs: number;
  status: RunStatusValue;
  /** Fetches done in this invocation (the drain loop may do several). */
  fetches: number;
  /** Pages requested from the source. */
  pages: number;
  pulled: number;
  /** Dropped as already seen inside the look-back window. */
  dropped: number;
  pushed: number;
  /** Events that could not become incidents, set aside in the quarantine (`ferry quarantine <id>`). */
  quarantined?: number;
  /** The last `health()` message set by the connector, prefixed `Error: ` when it is one. */
  message?: string;
  error?: { code: string; message: string };
  /** The pushed incidents' `dbotMirrorId`s, truncated; `sourceIdCount` has the full count. */
  sourceIds: string[];
  sourceIdCount: number;
  lastRunBefore?: LastRun;
  lastRunAfter?: LastRun;
  /** Operator actions: who did what (reset, set, replay). */
  action?: string;
  /** Seen ids forgotten because the look-back window held more than the cap (duplicates possible). */
  evictedSeenIds?: number;
  /** Time spent waiting for the source's rate-limit window to reset (see `rate-limit-pacer.ts`). */
  pacedMs?: number;
  /** Anything a sink reports per incident (XSOAR's created incident ids), truncated. */
  sinkIds?: string[];
  /** Epoch seconds; DynamoDB's TTL deletes the record after it. */
  expiresAt?: number;
}

/** Source ids kept per record: enough to look one up, small enough to keep the item small. */
export const MAX_SOURCE_IDS = 50;

/**
 * A history record with nothing counted yet: what every run, operator action and configuration
 * failure starts from.
 */
export const emptyHistoryRecord = (
  identity: Pick<HistoryRecord, 'instanceId' | 'connector' | 'runId' | 'startedAt' | 'status'>,
): HistoryRecord => ({
  ...identity,
  durationMs: 0,
  fetches: 0,
  pages: 0,
  pulled: 0,
  dropped: 0,
  pushed: 0,
  sourceIds: [],
  sourceIdCount: 0,
});
