import type { InstanceDocument } from './config/schema.js';
import { parseDuration } from './duration.js';
import type { InstanceState } from './state/state-store.js';

/** At a glance: how an instance is doing. */
export const HealthStatus = {
  healthy: 'healthy',
  /** Never fetched yet. */
  pending: 'pending',
  disabled: 'disabled',
  /** The last fetch failed. */
  failing: 'failing',
  /** The cursor is far behind now: the instance is not keeping up (or is stuck). */
  lagging: 'lagging',
  /** Fetches succeed but nothing has arrived for too many intervals: the silent failure. */
  noData: 'no-data',
} as const;

export type HealthStatusValue = (typeof HealthStatus)[keyof typeof HealthStatus];

export interface IncidentCounts {
  lastHour: number;
  lastDay: number;
  lastWeek: number;
}

/** XSOAR's instance health object, and what operators of other tools miss most. */
export interface InstanceHealthReport {
  instanceId: string;
  connector: string;
  enabled: boolean;
  status: HealthStatusValue;
  /** Why the status is what it is, in a sentence. */
  reason: string;
  lastRunAt?: string;
  lastPullAt?: string;
  lastIncidentAt?: string;
  lastError?: string;
  consecutiveFailures: number;
  /** Seconds between now and the cursor's time (time-window cursors). */
  cursorLagSeconds?: number;
  /** Seconds since an incident last arrived (or since the first fetch). */
  silentForSeconds?: number;
  incidents?: IncidentCounts;
  message?: string;
}

export interface HealthPolicy {
  /** No data for this many fetch intervals is flagged. 0 turns it off. @default 60 */
  noDataIntervals?: number;
  /** A cursor lag beyond this many intervals (plus look-back and lag) is flagged. @default 10 */
  lagIntervals?: number;
}

const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * Computes an instance's health from its state item. Pure: `now` is passed in, so lag and no-data
 * detection are tested with a fake clock.
 */
export const computeHealth = (
  document: InstanceDocument,
  state: InstanceState | undefined,
  now: number,
  options: { counts?: IncidentCounts; policy?: HealthPolicy } = {},
): InstanceHealthReport => {
  const intervalMs = parseDuration(document.fetchInterval) ?? 60_000;
  const policy = { noDataIntervals: 60, lagIntervals: 10, ...options.policy };
  const health = state?.health;
  const report: InstanceHealthReport = {
    instanceId: document.id,
    connector: document.connector,
    enabled: document.enabled,
    status: HealthStatus.healthy,
    reason: 'Fetching normally.',
    consecutiveFailures: health?.consecutiveFailures ?? 0,
    lastRunAt: health?.lastRunAt,
    lastPullAt: health?.lastSuccessAt,
    lastIncidentAt: health?.lastIncidentAt,
    lastError: health?.lastError,
    message: health?.message,
    incidents: options.counts,
  };
  const cursorTime = typeof state?.lastRun.time === 'string' ? Date.parse(state.lastRun.time) : Number.NaN;
  if (!Number.isNaN(cursorTime)) report.cursorLagSeconds = Math.max(0, seconds(now - cursorTime));
  const since = health?.lastIncidentAt ?? health?.firstRunAt;
  if (since) report.silentForSeconds = Math.max(0, seconds(now - Date.parse(since)));

  if (!document.enabled)
    return { ...report, status: HealthStatus.disabled, reason: 'Disabled in its configuration.' };
  if (!health?.lastRunAt) return { ...report, status: HealthStatus.pending, reason: 'Has not fetched yet.' };
  if (report.consecutiveFailures > 0) {
    return {
      ...report,
      status: HealthStatus.failing,
      reason: `The last ${report.consecutiveFailures === 1 ? 'fetch' : `${report.consecutiveFailures} fetches`} failed: ${health.lastError ?? 'unknown error'}`,
    };
  }
  const lookBackMs = Number(document.params.look_back ?? 0) * 60_000;
  const lagAllowanceMs = policy.lagIntervals * intervalMs + lookBackMs;
  if (report.cursorLagSeconds !== undefined && report.cursorLagSeconds * 1000 > lagAllowanceMs) {
    return {
      ...report,
      status: HealthStatus.lagging,
      reason: `The cursor is ${report.cursorLagSeconds}s behind now (more than ${policy.lagIntervals} fetch intervals): the instance is catching up or stuck.`,
    };
  }
  if (
    policy.noDataIntervals > 0 &&
    report.silentForSeconds !== undefined &&
    report.silentForSeconds * 1000 > policy.noDataIntervals * intervalMs
  ) {
    return {
      ...report,
      status: HealthStatus.noData,
      reason: `No incident for ${report.silentForSeconds}s (${policy.noDataIntervals} fetch intervals) although fetches succeed: check the source and the query.`,
    };
  }
  return report;
};
