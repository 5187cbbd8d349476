import type { LastRun } from '../shared/connector.js';
import { StateCorruptError } from '../shared/errors.js';
import {
  computeHealth,
  type HealthPolicy,
  HealthStatus,
  type InstanceHealthReport,
} from '../shared/health.js';
import { redact } from '../shared/redact.js';
import { summarizeLastRun } from '../shared/runner/summarize-last-run.js';
import { incidentCounts } from '../shared/state/incident-counts.js';
import type { InstanceState } from '../shared/state/state-store.js';
import type { OperatorEnvironment } from './cli/operator-environment.js';

/** One instance at a glance: its health, and what an operator looks at next. */
export interface InstanceOverview extends InstanceHealthReport {
  fetchInterval?: string;
  /** The cursor, summarized (long values shortened, as in the history). */
  lastRun?: LastRun;
  /** Set while a fetch holds the instance's lease. */
  fetchingUntil?: string;
  /** The instance cannot run: its configuration (or its state item) is broken. */
  broken?: boolean;
}

/** State items read at once: enough to be quick, few enough not to throttle a small table. */
const CONCURRENCY = 8;

const mapBounded = async <T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
};

/**
 * Every instance's health, sorted by id: healthy, lagging, silent and failing ones, plus the ones that
 * cannot run (an invalid document, a corrupted state item) with the reason and the fix. Everything
 * returned has passed through `redact`.
 */
export const collectOverview = async (
  env: Pick<OperatorEnvironment, 'store' | 'listInstances'>,
  now: number,
  policy?: HealthPolicy,
): Promise<InstanceOverview[]> => {
  const { documents, errors } = await env.listInstances();
  const healthy = await mapBounded(documents, async (document): Promise<InstanceOverview> => {
    let state: InstanceState | undefined;
    try {
      state = await env.store.read(document.id);
    } catch (error) {
      if (!(error instanceof StateCorruptError)) throw error;
      return {
        instanceId: document.id,
        connector: document.connector,
        enabled: document.enabled,
        status: HealthStatus.failing,
        reason: error.message,
        consecutiveFailures: 0,
        fetchInterval: document.fetchInterval,
        broken: true,
      };
    }
    const report = computeHealth(document, state, now, {
      counts: incidentCounts(state?.pushedByHour, now),
      policy,
    });
    const leased = state?.leaseId !== undefined && (state.leaseExpiresAt ?? 0) > now;
    return {
      ...report,
      fetchInterval: document.fetchInterval,
      lastRun: summarizeLastRun(state?.lastRun),
      ...(leased ? { fetchingUntil: new Date(state!.leaseExpiresAt!).toISOString() } : {}),
    };
  });
  const broken = errors.map(
    (error): InstanceOverview => ({
      instanceId: error.instanceId ?? 'unknown',
      connector: 'unknown',
      enabled: false,
      status: HealthStatus.failing,
      reason: `Not running, its configuration is invalid: ${error.message}`,
      consecutiveFailures: 0,
      broken: true,
    }),
  );
  return redact([...healthy, ...broken].sort((a, b) => a.instanceId.localeCompare(b.instanceId)));
};
