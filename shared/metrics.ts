import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RunOutcome } from './runner/run-fetch.js';

/** The runner's CloudWatch metrics (embedded metric format), by connector and instance. */
export const MetricNames = {
  pulled: 'IncidentsPulled',
  pushed: 'IncidentsPushed',
  duplicates: 'Duplicates',
  fetchErrors: 'FetchErrors',
  fetchDuration: 'FetchDuration',
  cursorLag: 'CursorLag',
  leaseContention: 'LeaseContention',
  seenIdsEvicted: 'SeenIdsEvicted',
  /** Events set aside because they could not become incidents (`cdk/ferry-alarms.ts` alarms on it). */
  quarantined: 'IncidentsQuarantined',
} as const;

export const METRICS_NAMESPACE = 'Ferry';

/** Seconds between `now` and the cursor's time, for cursors that carry one (time-window connectors). */
export const cursorLagSeconds = (outcome: RunOutcome, now: number): number | undefined => {
  const time = (outcome.lastRunAfter ?? outcome.lastRunBefore)?.time;
  if (typeof time !== 'string') return undefined;
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? undefined : Math.max(0, (now - parsed) / 1000);
};

/**
 * Publishes one run's metrics. Dimensions are `connector` and `instance`, so the CDK alarms can watch
 * one instance (consecutive failures, cursor lag, no data) or the whole connector.
 */
export const createRunMetrics = (options: { metrics?: Metrics; clock?: () => number } = {}) => {
  const metrics = options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ferry' });
  // Powertools adds a `service` dimension by default; the alarms watch exactly connector + instance.
  metrics.clearDefaultDimensions();
  const clock = options.clock ?? Date.now;
  return (outcome: RunOutcome): void => {
    metrics.addDimensions({ connector: outcome.connector, instance: outcome.instanceId });
    metrics.addMetric(MetricNames.leaseContention, MetricUnit.Count, outcome.status === 'skipped' ? 1 : 0);
    if (outcome.status === 'ok' || outcome.status === 'error') {
      metrics.addMetric(MetricNames.fetchErrors, MetricUnit.Count, outcome.status === 'error' ? 1 : 0);
      metrics.addMetric(MetricNames.pulled, MetricUnit.Count, outcome.pulled);
      metrics.addMetric(MetricNames.pushed, MetricUnit.Count, outcome.pushed);
      metrics.addMetric(MetricNames.duplicates, MetricUnit.Count, outcome.dropped);
      metrics.addMetric(MetricNames.quarantined, MetricUnit.Count, outcome.quarantined ?? 0);
      metrics.addMetric(MetricNames.fetchDuration, MetricUnit.Milliseconds, outcome.durationMs);
      const lag = cursorLagSeconds(outcome, clock());
      if (lag !== undefined) metrics.addMetric(MetricNames.cursorLag, MetricUnit.Seconds, lag);
      if (outcome.evictedSeenIds)
        metrics.addMetric(MetricNames.seenIdsEvicted, MetricUnit.Count, outcome.evictedSeenIds);
    }
    metrics.publishStoredMetrics();
  };
};
