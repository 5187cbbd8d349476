import type { RunOutcome } from '../../shared/runner/run-fetch.js';
import type { HistoryRecord } from '../../shared/state/history-record.js';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
export const color = { green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1) };

const statusColor: Record<string, (text: string) => string> = {
  ok: color.green,
  error: color.red,
  skipped: color.yellow,
  disabled: color.dim,
  operator: color.yellow,
};

const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** One line per fetch, for `ferry start`'s log. */
export const formatFetchLine = (outcome: RunOutcome): string => {
  const paintStatus = statusColor[outcome.status] ?? ((text: string) => text);
  const counts = `pulled ${outcome.pulled}  pushed ${outcome.pushed}  dropped ${outcome.dropped}`;
  const cursor =
    typeof outcome.lastRunAfter?.time === 'string' ? color.dim(`  cursor ${outcome.lastRunAfter.time}`) : '';
  const detail = outcome.error
    ? `  ${color.red(outcome.error.message)}`
    : outcome.message
      ? `  ${outcome.message}`
      : '';
  return `${color.dim(time(outcome.startedAt))}  ${outcome.instanceId.padEnd(16)} ${paintStatus(outcome.status.padEnd(8))} ${counts}  ${outcome.durationMs}ms${cursor}${detail}`;
};

/** The fetch history as a table (XSOAR's Fetch History modal, in a terminal). */
export const formatHistory = (records: HistoryRecord[]): string => {
  if (records.length === 0) return 'No fetch history yet.';
  const header = [
    'started',
    'status',
    'duration',
    'pulled',
    'dropped',
    'pushed',
    'message / error / source ids',
  ];
  const rows = records.map((record) => [
    time(record.startedAt),
    record.status,
    `${record.durationMs}ms`,
    String(record.pulled),
    String(record.dropped),
    String(record.pushed),
    record.error
      ? `${record.error.code}: ${record.error.message}`
      : (record.action ??
        record.message ??
        (record.sourceIdCount > 0
          ? `${record.sourceIds.slice(0, 5).join(', ')}${record.sourceIdCount > 5 ? ` (+${record.sourceIdCount - 5})` : ''}`
          : '')),
  ]);
  const widths = header
    .slice(0, -1)
    .map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, index) => (index < widths.length ? cell.padEnd(widths[index]!) : cell)).join('  ');
  return [
    color.bold(line(header)),
    ...rows.map((row) => {
      const text = line(row);
      return (statusColor[row[1]!] ?? ((t: string) => t))(text);
    }),
  ].join('\n');
};
