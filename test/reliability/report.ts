import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostileInputsSection } from './hostile-inputs.js';
import { scaleSection, scaleSectionOf } from './scale/scale-report.js';
import type { ScaleFigures } from './scale/scale-run.js';
import { type Scenario, scenarios } from './scenarios.js';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * Each test file's last results, one JSON file each (an ignored folder: running the tests leaves the
 * tree clean). `npm run report:reliability` runs the tests, then turns these into RELIABILITY.md.
 */
export const RESULTS_DIR = join(here, 'results');
export const RELIABILITY_MD = resolve(here, '../../RELIABILITY.md');

/** What one scenario measured. */
export interface ScenarioResult {
  readonly id: string;
  readonly category: Scenario['category'];
  readonly fault: string;
  readonly seed: number;
  /** Status (and error code) of every invocation, in order. */
  readonly runs: string[];
  /** Alerts the source holds in the fetched range: what must arrive. */
  readonly expected: number;
  readonly lost: number;
  /** Incidents the endpoint received again (it answered them as duplicates). */
  readonly duplicatesBeforeDedupe: number;
  /** Incidents stored more than once (must be 0). */
  readonly duplicatesAfterDedupe: number;
  readonly cursorMonotonic: boolean;
  /** The instance fetched successfully after the fault was cleared. */
  readonly recovered: boolean;
  /** Leases still held after the last run. */
  readonly leasesLeft: number;
  readonly note?: string;
}

export const passed = (r: ScenarioResult): boolean =>
  r.lost === 0 && r.duplicatesAfterDedupe === 0 && r.cursorMonotonic && r.recovered && r.leasesLeft === 0;

/** Figures of one load run. */
export interface LoadFigures {
  readonly label: string;
  readonly instances: number;
  readonly intervalMs: number;
  readonly durationMs: number;
  readonly invocations: number;
  readonly ok: number;
  readonly skipped: number;
  readonly errors: number;
  /** Failed invocations by error code. */
  readonly errorCodes: Record<string, number>;
  readonly incidentsExpected: number;
  readonly incidentsStored: number;
  readonly lost: number;
  readonly leasesLeft: number;
  /** Fewest successful fetches any one instance had (0 = starved). */
  readonly minFetchesPerInstance: number;
  readonly maxFetchesPerInstance: number;
  readonly p50InvocationMs: number;
  readonly p99InvocationMs: number;
  /** Median heap used (MiB) over the second quarter of the run (after warm-up) and over the last. */
  readonly heapMiBFirstQuarter: number;
  readonly heapMiBLastQuarter: number;
  readonly recordedAt: string;
}

export const writeResults = (name: string, data: unknown): void => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
};

const readResults = <T>(resultsDir: string, name: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(join(resultsDir, `${name}.json`), 'utf8')) as T;
  } catch {
    return undefined;
  }
};

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/**
 * The load rows of the report as it stands, by run label. A run not repeated this time (`load-full`
 * needs FERRY_LOAD=1 and minutes) keeps its last figures instead of vanishing from the report.
 */
export const loadRowsOf = (report: string): Map<string, string> =>
  new Map(
    report
      .split('\n')
      .filter((line) => /^\| load-[\w-]+ \(/.test(line))
      .map((line) => [line.slice(2, line.indexOf(' (')), line]),
  );

const yes = (ok: boolean) => (ok ? 'yes' : '**NO**');

const scenarioTable = (results: ScenarioResult[]): string[] => {
  const byId = new Map(results.map((r) => [r.id, r]));
  const lines = [
    '| Scenario | Fault | Seed | Invocations | Expected | Lost | Dup. before dedupe | Dup. after | Cursor monotonic | Fetches again | Result |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of scenarios) {
    const r = byId.get(s.id);
    if (!r) {
      lines.push(`| \`${s.id}\` | ${s.fault} | ${s.seed} | not run | | | | | | | — |`);
      continue;
    }
    lines.push(
      `| \`${r.id}\` | ${r.fault} | ${r.seed} | ${r.runs.join(' → ')} | ${r.expected} | ${r.lost} | ${r.duplicatesBeforeDedupe} | ${r.duplicatesAfterDedupe} | ${yes(r.cursorMonotonic)} | ${yes(r.recovered)} | ${passed(r) ? 'pass' : '**FAIL**'} |`,
    );
  }
  return lines;
};

const loadRow = (f: LoadFigures): string =>
  `| ${f.label} (${f.recordedAt.slice(0, 10)}) | ${f.instances} | ${f.intervalMs / 1000} s | ${f.durationMs / 1000} s | ${f.invocations} | ${f.ok} / ${f.skipped} / ${f.errors}${
    Object.keys(f.errorCodes ?? {}).length > 0
      ? ` (${Object.entries(f.errorCodes)
          .map(([code, n]) => `${code} ${n}`)
          .join(', ')})`
      : ''
  } | ${f.incidentsExpected} → ${f.incidentsStored} | ${f.lost} | ${f.leasesLeft} | ${f.minFetchesPerInstance}–${f.maxFetchesPerInstance} | ${f.p50InvocationMs} / ${f.p99InvocationMs} ms | ${f.heapMiBFirstQuarter} → ${f.heapMiBLastQuarter} MiB |`;

const loadTable = (rows: string[]): string[] => [
  '| Run | Instances | Interval | Duration | Invocations | ok / skipped / error | Expected → stored | Lost | Leases left | Fetches per instance (min–max) | Invocation p50 / p99 | Heap 2nd → last quarter |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
];

export interface ReportPaths {
  /** @default RESULTS_DIR */
  readonly resultsDir?: string;
  /** @default RELIABILITY_MD */
  readonly reportPath?: string;
}

/**
 * Regenerates RELIABILITY.md from the last results of every reliability test file (`npm run
 * report:reliability`). Refuses without fault-injection results: a report of "not run" is no report.
 */
export const writeReliabilityReport = (paths: ReportPaths = {}): void => {
  const resultsDir = paths.resultsDir ?? RESULTS_DIR;
  const reportPath = paths.reportPath ?? RELIABILITY_MD;
  const faults = readResults<{ recordedAt: string; results: ScenarioResult[] }>(
    resultsDir,
    'fault-injection',
  );
  if (!faults) {
    throw new Error(
      `No fault-injection results in ${resultsDir}: run "npx vitest run test/reliability" first (npm run report:reliability does).`,
    );
  }
  const fresh = readdirSync(resultsDir)
    .filter((file) => file.startsWith('load-'))
    .map((file) => readResults<LoadFigures>(resultsDir, file.replace(/\.json$/, '')))
    .filter((f): f is LoadFigures => f !== undefined);
  const current = readText(reportPath);
  const loadRows = loadRowsOf(current);
  // The scale run takes minutes (`npm run report:scale`): its last section stays unless it ran again.
  const scaleFigures = readResults<ScaleFigures>(resultsDir, 'scale');
  const scale = scaleFigures
    ? scaleSection(scaleFigures)
    : (scaleSectionOf(current) ?? scaleSection(undefined));
  for (const figures of fresh) loadRows.set(figures.label, loadRow(figures));
  const loads = [...loadRows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row);
  const results = faults.results;
  const failures = results.filter((r) => !passed(r));
  const notes = results.filter((r) => r.note).map((r) => `- \`${r.id}\`: ${r.note}`);
  const text = [
    '# Reliability',
    '',
    '<!-- Generated by `npm run report:reliability` (test/reliability/report.ts); do not edit by hand. -->',
    '',
    "Ferry's promise: no incident lost, none duplicated after the endpoint's dedupe, no instance wedged,",
    'no secret leaked. Every scenario below runs against the real components on one machine: DynamoDB',
    'Local (behind a fault-injecting proxy), the reference ingestion endpoint (behind one), the demo',
    'source (behind one), the real runner. Clocks are injected; each scenario is seeded and replays',
    'identically. Faults live in `test/helpers/faults/`, scenarios in `test/reliability/scenarios.ts`.',
    '',
    'For every scenario: **lost** = alerts the source holds in the fetched range that never reached the',
    'endpoint (must be 0); **dup. before dedupe** = incidents the endpoint received again and answered as',
    'duplicates (harmless: same key); **dup. after** = incidents stored twice (must be 0); **cursor',
    'monotonic** = the committed `lastRun.time` never went backwards; **fetches again** = after the',
    'fault is cleared the next invocation succeeds; and no lease is left held at the end.',
    '',
    `## Fault injection — ${results.length} scenarios, ${failures.length === 0 ? 'all pass' : `${failures.length} FAIL`}`,
    '',
    `Last run: ${faults.recordedAt}. Invocations read \`status[:error code]\`; \`throw\` = the runner threw (store unreachable, nothing could be recorded).`,
    '',
    ...scenarioTable(results),
    '',
    ...(notes.length > 0 ? ['### Notes', '', ...notes, ''] : []),
    '## What the suite found',
    '',
    'Fixed (each scenario above now pins the fix):',
    '',
    '- `source-truncated-page`: a page whose connection broke mid-body failed the fetch as `UNEXPECTED` and',
    '  was not retried; `shared/http-client.ts` now reads the body inside the error handling: `SOURCE_UNREACHABLE`',
    '  (or `SOURCE_TIMEOUT`), retried like a failed connection.',
    '- `deadline-mid-page`: the runner aborted with a plain `Error` (`UNEXPECTED`); it now aborts with a',
    '  `FerryError` coded `DEADLINE` whose message says the last run is unchanged.',
    '- `store-throttled-commit`, `store-unreachable-after-push`: a throttled or unreachable store at the commit',
    "  surfaced as `UNEXPECTED` with the SDK's message; it is now `STATE_UNAVAILABLE` (`StateUnavailableError`),",
    '  saying the last run is unchanged, the next fetch re-pushes harmlessly, and what to check.',
    '- A state item whose cursor `time` is not a date (`{"time": "yesterday"}`, a number) made the window',
    '  fetch fall back to `first_fetch`: a **silent reset**. It is now `STATE_CORRUPT` naming',
    '  `ferry last-run <id> --set/--reset` (test/config/bad-input.test.ts).',
    '- Wrong-typed config fields (`connector: 42`, `enabled: "yes"`, `fetchInterval: 5`, `params: "..."`,',
    '  `first_fetch: 3`, `lag: true`, `query: 5`) answered with zod\'s generic "Invalid input"; each now says',
    '  what to write (shared/config/schema.ts).',
    '',
    'Behaviour worth knowing (by design):',
    '',
    '- When the store is unreachable or throttled at the **lease** (`store-throttled-acquire`, `store-unreachable`),',
    '  the runner throws (`throw:UNEXPECTED` above): nothing can be recorded, the Lambda invocation fails and',
    '  the next schedule retries. Nothing was read, so nothing is lost.',
    '- A run killed after its commit but before its lease release (`kill-after-commit` mid-drain) leaves the',
    '  lease until `deadline + 5 s`; the next invocation after that proceeds.',
    '- Alerts a source indexes late (inserted after their `created` time) need `look_back`; without it they',
    "  are skipped, as in XSOAR. The load test's demo source inserts up to 1 s late, so it runs `look_back: 1`",
    '  (without it, the first CI run lost 20 of 400).',
    "- A connector's cursor (`nextRun`) is stored as the connector returns it: Ferry redacts secrets from",
    '  history, health, logs, errors and every operator surface, but a connector must not put a secret in',
    '  its cursor (test/security/secrets-canary.test.ts shows the history and health stay clean even then).',
    '',
    ...hostileInputsSection(),
    '## Load',
    '',
    'Many instances on one scheduler-like loop, each invoked every interval through the real runner',
    'against DynamoDB Local and the ingestion endpoint; a demo source generating alerts continuously.',
    '`load-ci` runs always (`test/reliability/load.test.ts`); `load-full` (500 instances, 1 s, 2 min)',
    'runs with `FERRY_LOAD=1 npm run report:reliability`; a run not repeated keeps its last row.',
    '',
    ...(loads.length > 0 ? loadTable(loads) : ['Not run yet.']),
    '',
    'Reading the figures: one Node process stands in for every Lambda invocation and one DynamoDB Local',
    "for the table, on two shared cores, so latency is the machine's, not Ferry's. Errors under the full",
    'load are time-outs at capacity (recorded, retried by the next fetch; nothing lost). The spread of',
    'fetches per instance is the local scheduler skipping instances still in flight, not starvation.',
    '`load-ci` runs beside the fault suite when both files run together.',
    '',
    ...scale,
    '',
    '## Elsewhere',
    '',
    '- Secrets canary and endpoint auth: `test/security/` (cdk.out: `test/cdk/bundles.test.ts`; ingest',
    '  token and body limit: `test/functions/ingest/app.test.ts`).',
    '- Bad configuration and contract-breaking incidents: `test/config/bad-input.test.ts`.',
    '- Recovery of a corrupted state item: `ferry last-run <id> --set <json>` or `--reset` (audited in the',
    '  history); the runner never resets it silently.',
    '',
  ].join('\n');
  writeFileSync(reportPath, text);
};
