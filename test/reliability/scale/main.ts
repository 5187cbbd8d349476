/**
 * `npm run report:scale -- --instances 2000 --minutes 10 [--interval-seconds 60] [--alerts-per-minute 2]
 * [--persist]` (DynamoDB Local's tables on disk, as `npm start` keeps them; in memory by default):
 * one scale run (scale-run.ts) with a line of progress every 30 s; its figures go to
 * test/reliability/results/scale.json (ignored) and into RELIABILITY.md's "Scale" section, in place.
 * Exits 1 when an invariant broke (lost, duplicated, errors, a slot without a fetch, a lease left).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { RELIABILITY_MD, writeResults } from '../report.js';
import { scaleSection, scaleVerdict, withScaleSection } from './scale-report.js';
import { runScale } from './scale-run.js';

const usage =
  'Usage: npm run report:scale -- [--instances 2000] [--minutes 10] [--interval-seconds 60] [--alerts-per-minute 2] [--persist]';

const positive = (name: string, value: string | undefined, fallback: number): number => {
  const number = value === undefined ? fallback : Number(value);
  if (!(number > 0) || !Number.isFinite(number)) {
    console.error(`--${name} must be a positive number; got "${value}".\n${usage}`);
    process.exit(2);
  }
  return number;
};

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        instances: { type: 'string' },
        minutes: { type: 'string' },
        'interval-seconds': { type: 'string' },
        'alerts-per-minute': { type: 'string' },
        persist: { type: 'boolean' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
})();
const instances = Math.round(positive('instances', values.instances, 2000));
const minutes = positive('minutes', values.minutes, 10);
const intervalSeconds = positive('interval-seconds', values['interval-seconds'], 60);
const alertsPerMinute = positive('alerts-per-minute', values['alerts-per-minute'], 2);

const started = Date.now();
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
log(
  `Scale run: ${instances} instances every ${intervalSeconds} s for ${minutes} min, ${alertsPerMinute} alerts per instance-minute; load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(', ')}.`,
);
const figures = await runScale({
  instances,
  durationMs: minutes * 60_000,
  intervalMs: intervalSeconds * 1000,
  alertsPerMinute,
  persist: values.persist ?? false,
  onProgress: log,
});
writeResults('scale', figures);
writeFileSync(RELIABILITY_MD, withScaleSection(readFileSync(RELIABILITY_MD, 'utf8'), scaleSection(figures)));
const broken = scaleVerdict(figures);
log(
  `${broken.length === 0 ? 'Held' : `BROKEN: ${broken.join(', ')}`} — ${figures.alertsProduced} alerts → ${figures.incidentsStored} stored, ${figures.lost} lost, ${figures.errors} errors, schedule delay p99 ${figures.delayMs.p99} ms. RELIABILITY.md "Scale" written (${Math.round((Date.now() - started) / 1000)} s).`,
);
process.exit(broken.length === 0 ? 0 : 1);
