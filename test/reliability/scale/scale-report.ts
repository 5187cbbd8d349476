/**
 * RELIABILITY.md's "Scale" section: the last scale run (`npm run report:scale`). Both writers use it:
 * `report:scale` splices the section into the report in place after its run, and `report:reliability`
 * (report.ts) rewrites the whole report keeping the section as it stands, since a scale run takes
 * minutes and is not repeated with every report.
 */
import type { ScaleFigures } from './scale-run.js';

export const SCALE_START = '<!-- scale:start -->';
export const SCALE_END = '<!-- scale:end -->';

const n = (value: number) => value.toLocaleString('en-US');
const ms = (value: number) => `${n(Math.round(value))} ms`;
const minutes = (value: number) => `${Math.round((value / 60_000) * 10) / 10} min`;

/** The invariants a scale run must hold; what the report and the scaled-down test both check. */
export const scaleVerdict = (f: ScaleFigures): string[] => {
  const broken: string[] = [];
  if (f.lost > 0) broken.push(`${f.lost} lost`);
  if (f.duplicated > 0) broken.push(`${f.duplicated} duplicated`);
  if (f.unexpected > 0) broken.push(`${f.unexpected} unexpected`);
  if (f.errors > 0) broken.push(`${f.errors} errors`);
  if (f.slotsWithoutFetch > 0) broken.push(`${f.slotsWithoutFetch} slots without a fetch`);
  if (f.leasesLeft > 0) broken.push(`${f.leasesLeft} leases left`);
  if (f.notDrained > 0) broken.push(`${f.notDrained} instances not fetched after the cut-off`);
  return broken;
};

const body = (f: ScaleFigures): string[] => {
  const broken = scaleVerdict(f);
  const codes = Object.entries(f.errorCodes)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  const u = f.usage;
  return [
    `Last run: ${f.recordedAt} — **${n(f.instances)} instances, every ${f.intervalMs / 1000} s, for ${minutes(f.durationMs)}**: ${broken.length === 0 ? '**0 lost, 0 duplicated, 0 errors**, every instance fetched in every slot' : `**FAILED: ${broken.join(', ')}**`}.`,
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Scheduled fetches (ok / skipped / error) | ${n(f.fetches)} (${n(f.ok)} / ${n(f.skipped)} / ${n(f.errors)}${codes ? `: ${codes}` : ''}) |`,
    `| Fetches per instance (min–max) | ${f.fetchesPerInstance.min}–${f.fetchesPerInstance.max} |`,
    `| Slots without an ok fetch / missed by the scheduler | ${n(f.slotsWithoutFetch)} / ${n(f.slotsMissed)} |`,
    `| **Schedule delay** (scheduled time → handler start) p50 / p95 / **p99** / max | ${ms(f.delayMs.p50)} / ${ms(f.delayMs.p95)} / **${ms(f.delayMs.p99)}** / ${ms(f.delayMs.max)} |`,
    `| … of which before the scheduler fired (its tick, a busy event loop) p50 / p99 / max | ${ms(f.firingDelayMs.p50)} / ${ms(f.firingDelayMs.p99)} / ${ms(f.firingDelayMs.max)} |`,
    `| Fetch duration p50 / p95 / p99 / max | ${ms(f.durationOfFetchMs.p50)} / ${ms(f.durationOfFetchMs.p95)} / ${ms(f.durationOfFetchMs.p99)} / ${ms(f.durationOfFetchMs.max)} |`,
    `| Alerts produced (${f.alertsPerMinute} per instance-minute) → incidents stored | ${n(f.alertsProduced)} → ${n(f.incidentsStored)} |`,
    `| Lost / duplicated / unexpected | ${f.lost} / ${f.duplicated} / ${f.unexpected} |`,
    `| Incidents pushed (re-pushes answered as duplicates: pushed − stored) | ${n(f.incidentsPushed)} (${n(f.incidentsPushed - f.incidentsStored)}) |`,
    `| Leases left / instances not fetched after the cut-off | ${f.leasesLeft} / ${f.notDrained} (drain ${ms(f.drainMs)}) |`,
    `| DynamoDB (${f.dynamoEngine}, tables in ${f.dynamoStorage}) requests / RCU / WCU per ok fetch, endpoint included | ${f.dynamo.requestsPerFetch} / ${f.dynamo.readUnitsPerFetch} / ${f.dynamo.writeUnitsPerFetch} |`,
    `| DynamoDB requests by command | ${Object.entries(f.dynamo.byCommand ?? {})
      .sort(([, a], [, b]) => b - a)
      .map(([command, count]) => `${command.replace(/Command$/, '')} ${n(count)}`)
      .join(', ')} |`,
    `| Node process: peak RSS, CPU | ${n(u.nodeRssMiBPeak)} MiB, ${u.nodeCores} cores |`,
    ...(u.javaRssMiBPeak !== undefined
      ? [`| DynamoDB Local JVM: peak RSS, CPU | ${n(u.javaRssMiBPeak)} MiB, ${u.javaCores} cores |`]
      : []),
    `| Throughput sustained; CPU per ok fetch (Node + JVM, the demo source and endpoint included) | ${Math.round((f.ok / u.seconds) * 10) / 10} fetches/s (${Math.round((f.instances * 10_000) / f.intervalMs) / 10} needed); ${Math.round((u.cpuSeconds * 1000) / Math.max(f.ok, 1))} ms |`,
    `| Machine: cores, 1-min load average mean / max during the run | ${f.cores}, ${u.load1Mean} / ${u.load1Max} |`,
  ];
};

/** The whole section, markers included; `undefined` figures: not run yet. */
export const scaleSection = (figures: ScaleFigures | undefined): string[] => [
  SCALE_START,
  '## Scale',
  '',
  "The capacity plan's local proof (docs/operations.md): `npm run report:scale -- --instances 2000 --minutes 10`",
  '(`test/reliability/scale/`) starts the real local system — the handler, runner, stores, ingestion',
  'endpoint and scheduler of `npm start`, DynamoDB Local — with N demo instances, each reading its own stream',
  'of the demo source at a steady rate, each scheduled every interval at a random time inside its flexible',
  'window, as the deployed EventBridge schedules fire. At the cut-off the streams stop, every instance fetches',
  'once more, and every alert of every stream is looked for in the endpoint. **Schedule delay** is the time',
  'from when the scheduler meant to fire a slot to the start of its handler. `npm test` runs the same code at',
  '100 instances every 20 s for 40 s (`test/reliability/scale.test.ts`).',
  '',
  ...(figures ? body(figures) : ['Not run yet.']),
  '',
  'One Node process stands in for every Lambda invocation and one DynamoDB Local JVM for the table, on a',
  'machine shared with other work: the load average says how shared. Delays and durations are this',
  "machine's; lost, duplicated, errors and missed slots are Ferry's.",
  SCALE_END,
];

/** The section as it stands in `report` (markers included), if there is one. */
export const scaleSectionOf = (report: string): string[] | undefined => {
  const start = report.indexOf(SCALE_START);
  const end = report.indexOf(SCALE_END);
  if (start < 0 || end < start) return undefined;
  return report.slice(start, end + SCALE_END.length).split('\n');
};

/** `report` with its scale section replaced by `section` (added before "## Elsewhere" if absent). */
export const withScaleSection = (report: string, section: string[]): string => {
  const text = section.join('\n');
  const start = report.indexOf(SCALE_START);
  const end = report.indexOf(SCALE_END);
  if (start >= 0 && end > start) return report.slice(0, start) + text + report.slice(end + SCALE_END.length);
  const elsewhere = report.indexOf('## Elsewhere');
  if (elsewhere < 0) return `${report.trimEnd()}\n\n${text}\n`;
  return `${report.slice(0, elsewhere)}${text}\n\n${report.slice(elsewhere)}`;
};
