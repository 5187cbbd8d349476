import type { MachineInfo } from './machine.js';
import type { BenchResult, Measurement } from './result.js';
import { formatDuration, formatNumber } from './stats.js';

/** One benchmark as it ran: its result or its error, and the load around it. */
export interface BenchRun {
  /** Its number in the issue. */
  readonly number: string;
  readonly title: string;
  readonly result?: BenchResult;
  readonly error?: string;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

export interface ReportInput {
  readonly machine: MachineInfo;
  readonly quick: boolean;
  readonly startedAt: Date;
  readonly elapsedMs: number;
  readonly runs: readonly BenchRun[];
}

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

const measurementRow = (item: Measurement) =>
  row([
    item.name,
    item.unit,
    String(item.summary.n),
    formatNumber(item.summary.min),
    formatNumber(item.summary.median),
    formatNumber(item.summary.max),
  ]);

const summaryRows = (runs: readonly BenchRun[]): string[] =>
  runs.flatMap((run) => {
    if (!run.result) return [row([run.number, run.title, `failed: ${run.error ?? 'unknown'}`, '', '❌'])];
    if (run.result.checks.length === 0) {
      const first = run.result.measurements[0];
      const figure = first ? `${formatNumber(first.summary.median)} ${first.unit}` : '';
      return [row([run.number, `${run.title}: ${first?.name ?? ''}`, figure, 'none (reported)', '—'])];
    }
    return run.result.checks.map((item) =>
      row([
        run.number,
        `${run.title}: ${item.what}`,
        `${formatNumber(item.value.median)} ${item.unit}`,
        item.target,
        item.met ? '✅ met' : '❌ missed',
      ]),
    );
  });

const section = (run: BenchRun): string[] => {
  const lines = [`## ${run.number}. ${run.title}`, ''];
  if (!run.result) return [...lines, `**Failed:** ${run.error ?? 'unknown error'}`, ''];
  const { result } = run;
  lines.push(result.method, '');
  lines.push(
    row(['Measurement', 'Unit', 'n', 'Min', 'Median', 'Max']),
    row(['---', '---', '--:', '--:', '--:', '--:']),
  );
  for (const item of result.measurements) lines.push(measurementRow(item));
  if (result.ratio) lines.push(measurementRow(result.ratio));
  lines.push('');
  if (result.tables) lines.push(...result.tables, '');
  for (const item of result.checks) {
    lines.push(
      `- Target ${item.what} ${item.target}: median ${formatNumber(item.value.median)} ${item.unit} ` +
        `(min ${formatNumber(item.value.min)}, max ${formatNumber(item.value.max)}) — ${item.met ? 'met' : '**missed**'}.`,
    );
  }
  for (const note of result.notes) lines.push(`- ${note}`);
  lines.push(
    `- Took ${formatDuration(result.elapsedMs)}; load average ${run.loadBefore} before, ${run.loadAfter} after.`,
    '',
  );
  return lines;
};

/** BENCHMARKS.md: the machine, a summary against the targets, then each benchmark's figures. */
export const renderReport = (input: ReportInput): string => {
  const { machine } = input;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${input.quick ? ' -- --quick' : ''}\` on ${input.startedAt.toISOString()} ` +
      `(${formatDuration(input.elapsedMs)} in all). Every figure was measured in this run; each ratio is to a ` +
      'baseline measured in the same run, on the same machine. Do not edit by hand: run it again.',
    '',
    input.quick
      ? '> **Quick run**: small sizes and few repetitions, for a smoke test. The figures are not the benchmark.'
      : '> Timings are wall-clock on a shared machine: read them with the load averages next to them. Min / median / max are over the repeated runs; targets are judged on the median.',
    '',
    '## Machine',
    '',
    row(['CPU', 'Cores', 'RAM', 'Node.js', 'OS', 'DynamoDB Local on', 'Commit']),
    row(['---', '--:', '--:', '---', '---', '---', '---']),
    row([
      machine.cpu,
      String(machine.cores),
      `${machine.ramGiB.toFixed(1)} GiB`,
      machine.node,
      machine.os,
      machine.java,
      `\`${machine.commit.slice(0, 12)}\`${machine.dirty ? ' + uncommitted changes' : ''}`,
    ]),
    '',
    '## Summary',
    '',
    row(['#', 'What', 'Median', 'Target', '']),
    row(['--:', '---', '--:', '---', '---']),
    ...summaryRows(input.runs),
    '',
  ];
  for (const run of input.runs) lines.push(...section(run));
  return `${lines.join('\n').trimEnd()}\n`;
};
