import { describe, expect, it } from 'vitest';
import type { InstanceDocument } from '../../shared/config/schema.js';
import { computeHealth, HealthStatus } from '../../shared/health.js';
import type { InstanceState } from '../../shared/state/state-store.js';

const now = Date.parse('2026-11-28T12:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(now - minutes * 60_000).toISOString();

const document = (overrides: Partial<InstanceDocument> = {}): InstanceDocument => ({
  id: 'demo',
  connector: 'helloworld',
  enabled: true,
  fetchInterval: '1 minute',
  params: {},
  secrets: {},
  sink: { type: 'ferry' },
  historyRetentionDays: 30,
  ...overrides,
});

const state = (
  health: Partial<InstanceState['health']>,
  lastRun: Record<string, unknown> = {},
): InstanceState => ({
  instanceId: 'demo',
  lastRun,
  version: 3,
  health: { consecutiveFailures: 0, ...health },
});

describe('instance health', () => {
  it('is pending before the first fetch and disabled when paused', () => {
    expect(computeHealth(document(), undefined, now).status).toBe(HealthStatus.pending);
    expect(computeHealth(document({ enabled: false }), state({ lastRunAt: minutesAgo(1) }), now).status).toBe(
      HealthStatus.disabled,
    );
  });

  it('is healthy when fetches succeed, incidents arrive and the cursor is close to now', () => {
    const report = computeHealth(
      document(),
      state(
        {
          firstRunAt: minutesAgo(600),
          lastRunAt: minutesAgo(1),
          lastSuccessAt: minutesAgo(1),
          lastIncidentAt: minutesAgo(5),
        },
        { time: minutesAgo(1) },
      ),
      now,
    );

    expect(report.status).toBe(HealthStatus.healthy);
    expect(report.cursorLagSeconds).toBe(60);
    expect(report.silentForSeconds).toBe(300);
  });

  it('is failing after a failed fetch, with the error as the reason', () => {
    const report = computeHealth(
      document(),
      state({
        lastRunAt: minutesAgo(1),
        consecutiveFailures: 3,
        lastError: 'GET https://x/alerts answered 401',
      }),
      now,
    );

    expect(report.status).toBe(HealthStatus.failing);
    expect(report.reason).toContain('last 3 fetches failed');
    expect(report.reason).toContain('401');
  });

  it('flags cursor lag beyond ten intervals plus the look-back', () => {
    const lagging = state(
      { lastRunAt: minutesAgo(1), lastIncidentAt: minutesAgo(1) },
      { time: minutesAgo(16) },
    );

    expect(computeHealth(document({ params: { look_back: 5 } }), lagging, now).status).toBe(
      HealthStatus.lagging,
    );
    expect(computeHealth(document({ params: { look_back: 10 } }), lagging, now).status).toBe(
      HealthStatus.healthy,
    );
  });

  it('flags no data after the configured number of intervals, counted from the first fetch when nothing ever came', () => {
    const silent = state({ firstRunAt: minutesAgo(61), lastRunAt: minutesAgo(1) }, { time: minutesAgo(1) });

    expect(computeHealth(document(), silent, now).status).toBe(HealthStatus.noData);
    expect(computeHealth(document(), silent, now, { policy: { noDataIntervals: 120 } }).status).toBe(
      HealthStatus.healthy,
    );
    expect(computeHealth(document(), silent, now, { policy: { noDataIntervals: 0 } }).status).toBe(
      HealthStatus.healthy,
    );
  });

  it('judges no data by the instance interval: an hourly instance is not silent after an hour', () => {
    const hourly = state(
      { firstRunAt: minutesAgo(24 * 60), lastRunAt: minutesAgo(5), lastIncidentAt: minutesAgo(90) },
      { time: minutesAgo(5) },
    );

    expect(computeHealth(document({ fetchInterval: '1 hour' }), hourly, now).status).toBe(
      HealthStatus.healthy,
    );
  });
});
