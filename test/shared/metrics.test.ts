import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRunMetrics, cursorLagSeconds, MetricNames } from '../../shared/metrics.js';
import type { RunOutcome } from '../../shared/runner/run-fetch.js';

const outcome = (overrides: Partial<RunOutcome> = {}): RunOutcome => ({
  kind: 'fetch',
  instanceId: 'demo',
  connector: 'helloworld',
  runId: 'run-1',
  startedAt: '2026-11-28T12:00:00.000Z',
  durationMs: 420,
  status: 'ok',
  fetches: 1,
  pages: 1,
  pulled: 12,
  dropped: 2,
  pushed: 10,
  sourceIds: [],
  sourceIdCount: 10,
  lastRunAfter: { time: '2026-11-28T11:59:00.000Z' },
  ...overrides,
});

/** The EMF documents Powertools printed (POWERTOOLS_DEV routes them through the global console; METRICS_DISABLED=false keeps them on). */
const emitted = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map(
    ([line]) =>
      JSON.parse(String(line)) as Record<string, unknown> & {
        _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
      },
  );

describe('run metrics', () => {
  let spy: { mock: { calls: unknown[][] }; mockRestore(): void };
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    spy.mockRestore();
    vi.unstubAllEnvs();
  });

  it('publishes counts, duration and cursor lag by connector and instance', () => {
    const publish = createRunMetrics({
      metrics: new Metrics({ namespace: 'Ferry', serviceName: 'ferry' }),
      clock: () => Date.parse('2026-11-28T12:00:00.000Z'),
    });

    publish(outcome());

    const [document] = emitted(spy);
    // Exactly these two: the CDK alarms match on them (Powertools' default `service` is cleared).
    expect(document?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(['connector', 'instance']);
    expect(document).toMatchObject({
      connector: 'helloworld',
      instance: 'demo',
      [MetricNames.pulled]: 12,
      [MetricNames.pushed]: 10,
      [MetricNames.duplicates]: 2,
      [MetricNames.fetchErrors]: 0,
      [MetricNames.fetchDuration]: 420,
      [MetricNames.cursorLag]: 60,
      [MetricNames.leaseContention]: 0,
    });
  });

  it('counts a failed fetch as an error and a skipped one as lease contention', () => {
    const publish = createRunMetrics({ metrics: new Metrics({ namespace: 'Ferry', serviceName: 'ferry' }) });

    publish(outcome({ status: 'error', pushed: 0, error: { code: 'SOURCE_HTTP', message: 'boom' } }));
    publish(outcome({ status: 'skipped' }));

    const [failed, skipped] = emitted(spy);
    expect(failed).toMatchObject({ [MetricNames.fetchErrors]: 1, [MetricNames.leaseContention]: 0 });
    expect(skipped).toMatchObject({ [MetricNames.leaseContention]: 1 });
    expect(skipped).not.toHaveProperty(MetricNames.fetchErrors);
  });

  it('reports seen ids forgotten at the cap', () => {
    const publish = createRunMetrics({ metrics: new Metrics({ namespace: 'Ferry', serviceName: 'ferry' }) });

    publish(outcome({ evictedSeenIds: 37 }));

    expect(emitted(spy)[0]).toMatchObject({ [MetricNames.seenIdsEvicted]: 37 });
  });

  it('has no cursor lag for a cursor without a time', () => {
    expect(cursorLagSeconds(outcome({ lastRunAfter: { uid: 42 } }), Date.now())).toBeUndefined();
  });
});
