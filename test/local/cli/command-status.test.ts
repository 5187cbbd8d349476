import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../local/cli/command-status.js';
import type { InstanceOverview } from '../../../local/instance-overview.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

const row = (overrides: Partial<InstanceOverview>): InstanceOverview => ({
  instanceId: 'alerts',
  connector: 'helloworld',
  enabled: true,
  status: 'healthy',
  reason: 'Fetching normally.',
  consecutiveFailures: 0,
  ...overrides,
});

describe('ferry status', () => {
  it('prints one aligned row per instance: last fetch, incident counts, cursor lag and the reason', () => {
    const text = formatStatus(
      [
        row({
          lastRunAt: '2026-03-10T11:59:30.000Z',
          incidents: { lastHour: 3, lastDay: 40, lastWeek: 200 },
          cursorLagSeconds: 95,
        }),
        row({ instanceId: 'mail', connector: 'imap', status: 'pending', reason: 'Has not fetched yet.' }),
      ],
      NOW,
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^instance\s+connector\s+status\s+last fetch\s+incidents 1h\/24h\/7d\s+cursor lag\s+reason$/,
    );
    expect(lines[1]).toMatch(
      /^alerts\s+helloworld\s+healthy\s+30s ago\s+3\/40\/200\s+1m 35s\s+Fetching normally\.$/,
    );
    expect(lines[2]).toMatch(/^mail\s+imap\s+pending\s+—\s+—\s+—\s+Has not fetched yet\.$/);
    // Columns line up: every row's status starts where the header's does.
    expect(lines[1]!.indexOf('healthy')).toBe(lines[0]!.indexOf('status'));
  });

  it('says when no instance is configured', () => {
    expect(formatStatus([], NOW)).toBe('No instances configured.');
  });
});
