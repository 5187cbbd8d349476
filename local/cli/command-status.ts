import { formatDuration } from '../../shared/duration.js';
import { HealthStatus, type HealthStatusValue } from '../../shared/health.js';
import { collectOverview, type InstanceOverview } from '../instance-overview.js';
import { color } from './format.js';
import type { OperatorEnvironment } from './operator-environment.js';

const paintStatus: Record<HealthStatusValue, (text: string) => string> = {
  healthy: color.green,
  pending: color.dim,
  disabled: color.dim,
  failing: color.red,
  lagging: color.yellow,
  'no-data': color.yellow,
};

/** Statuses that make `ferry status` exit 1, so a cron job or a CI check can alert on them. */
const troubled: readonly HealthStatusValue[] = [
  HealthStatus.failing,
  HealthStatus.lagging,
  HealthStatus.noData,
];

const ago = (iso: string | undefined, now: number) =>
  iso ? `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago` : '—';

const seconds = (value: number | undefined) => (value === undefined ? '—' : formatDuration(value * 1000));

/** Every instance's health as a table (plain text; coloured on a terminal). */
export const formatStatus = (rows: InstanceOverview[], now: number): string => {
  if (rows.length === 0) return 'No instances configured.';
  const header = [
    'instance',
    'connector',
    'status',
    'last fetch',
    'incidents 1h/24h/7d',
    'cursor lag',
    'reason',
  ];
  const cells = rows.map((row) => [
    row.instanceId,
    row.connector,
    row.status,
    ago(row.lastRunAt, now),
    row.incidents ? `${row.incidents.lastHour}/${row.incidents.lastDay}/${row.incidents.lastWeek}` : '—',
    seconds(row.cursorLagSeconds),
    row.fetchingUntil ? `fetching now. ${row.reason}` : row.reason,
  ]);
  const widths = header
    .slice(0, -1)
    .map((title, index) => Math.max(title.length, ...cells.map((row) => row[index]!.length)));
  const line = (values: string[], paint?: (text: string) => string) =>
    values
      .map((value, index) => {
        const padded = index < widths.length ? value.padEnd(widths[index]!) : value;
        // Only the status cell is coloured: a whole red line is hard to read.
        return index === 2 && paint ? paint(padded) : padded;
      })
      .join('  ');
  return [
    color.bold(line(header)),
    ...cells.map((values, index) => line(values, paintStatus[rows[index]!.status])),
  ].join('\n');
};

/**
 * `ferry status [--json] [--aws]`: every instance's health. Exits 1 when one is failing, lagging or
 * silent, so it can be scheduled as a check.
 */
export const commandStatus = async (
  env: Pick<OperatorEnvironment, 'store' | 'listInstances'>,
  options: { json: boolean; now?: number },
): Promise<number> => {
  const now = options.now ?? Date.now();
  const rows = await collectOverview(env, now);
  console.log(options.json ? JSON.stringify(rows, null, 2) : formatStatus(rows, now));
  return rows.some((row) => troubled.includes(row.status)) ? 1 : 0;
};
