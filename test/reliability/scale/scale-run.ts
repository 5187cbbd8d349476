/**
 * A scale run: N demo instances on the real local system (`startLocalSystem`: the same handler, runner,
 * stores, ingestion endpoint and scheduler as `npm start`, embedded DynamoDB Local), each reading its own
 * stream of the demo source at a steady rate, scheduled every interval inside the flexible window the
 * deployed schedules use. At the cut-off the streams stop; every instance then fetches once more, and
 * every alert each stream produced is looked for in the endpoint: exactly once, or it counts as lost or
 * duplicated. Measured on the way: each fetch's outcome and its delay from the time the scheduler
 * meant to fire it to the handler's start, DynamoDB's consumed units, memory and CPU.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countCapacity } from '../../../bench/capacity-counter.js';
import { startDemoSource } from '../../../local/demo-source/server.js';
import { defaultLocal } from '../../../local/runtime.js';
import type { ScheduledRun } from '../../../local/scheduler.js';
import { startLocalSystem } from '../../../local/system.js';
import { forEachBounded } from '../../../shared/for-each-bounded.js';
import { createLogger } from '../../../shared/logger.js';
import { listAllIncidents } from '../../helpers/ingest.js';
import { type FetchRecord, tallyFetches } from './fetch-tally.js';
import { sampleUsage, summarizeUsage, type UsageSample, type UsageSummary } from './process-usage.js';
import { scaleConfig, scaleInstanceId } from './scale-config.js';

export interface ScaleRunOptions {
  readonly instances: number;
  readonly durationMs: number;
  /** Every instance's fetch interval. @default 60_000 */
  readonly intervalMs?: number;
  /** Alerts each instance's stream produces per minute. @default 2 */
  readonly alertsPerMinute?: number;
  /** After the cut-off, how long every instance may take to fetch once more. @default 2 intervals + 1 min + 0.1 s an instance */
  readonly drainTimeoutMs?: number;
  /**
   * Keep DynamoDB Local's tables on disk, as `npm start` does, instead of in memory as the tests do. On
   * disk every write is a SQLite write: 100 instances every 10 s already queued for seconds here.
   * @default false
   */
  readonly persist?: boolean;
  /** A line of progress every `progressEveryMs`. */
  readonly onProgress?: (line: string) => void;
  /** @default 30_000 */
  readonly progressEveryMs?: number;
}

/** What a scale run measured (test/reliability/results/scale-<label>.json, RELIABILITY.md "Scale"). */
export interface ScaleFigures {
  readonly instances: number;
  readonly intervalMs: number;
  readonly durationMs: number;
  readonly alertsPerMinute: number;
  readonly dynamoEngine: string;
  readonly dynamoStorage: 'memory' | 'disk';
  /** Scheduled fetches, from the start to the end of the drain. */
  readonly fetches: number;
  readonly ok: number;
  readonly skipped: number;
  /** Fetches that ended in error (recorded in the history) or threw (nothing recorded). */
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  /** Slots the local scheduler never fired because the previous fetch still ran past the next slot. */
  readonly slotsMissed: number;
  /** Slots whose window closed before the cut-off without an `ok` fetch, all instances together. */
  readonly slotsWithoutFetch: number;
  readonly fetchesPerInstance: { readonly min: number; readonly max: number };
  /** Scheduled time (slot start + offset in the window) → handler start, ms. */
  readonly delayMs: Percentiles;
  /** Scheduled time → the scheduler firing it: the scheduler's own share of the delay. */
  readonly firingDelayMs: Percentiles;
  readonly durationOfFetchMs: Percentiles;
  readonly alertsProduced: number;
  readonly incidentsPushed: number;
  readonly incidentsStored: number;
  readonly lost: number;
  /** Incidents stored more than once (the endpoint keys by instance and id: must be 0). */
  readonly duplicated: number;
  /** Stored incidents that no stream produced (must be 0). */
  readonly unexpected: number;
  readonly leasesLeft: number;
  /** Instances that did not fetch again after the cut-off within the drain time-out. */
  readonly notDrained: number;
  readonly drainMs: number;
  readonly dynamo: {
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly requests: number;
    /** Per `ok` fetch, the endpoint's writes included. */
    readonly readUnitsPerFetch: number;
    readonly writeUnitsPerFetch: number;
    readonly requestsPerFetch: number;
    /** Requests by command, all fetches together. */
    readonly byCommand: Record<string, number>;
  };
  readonly usage: UsageSummary;
  readonly cores: number;
  readonly node: string;
  readonly recordedAt: string;
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export const runScale = async (options: ScaleRunOptions): Promise<ScaleFigures> => {
  const intervalMs = options.intervalMs ?? 60_000;
  const alertsPerMinute = options.alertsPerMinute ?? 2;
  const progress = options.onProgress ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-scale-'));
  const startMs = Date.now();
  const demo = await startDemoSource({
    apiKey: process.env.DEMO_API_KEY || defaultLocal.demoApiKey,
    ratePerSecond: 0,
    idPrefix: `S${startMs.toString(36).toUpperCase()}`,
    streams: { count: options.instances, ratePerSecond: alertsPerMinute / 60 },
  });
  const ids = Array.from({ length: options.instances }, (_, i) => scaleInstanceId(i + 1, options.instances));
  const configPath = join(dir, 'ferry.config.json');
  await writeFile(
    configPath,
    JSON.stringify(
      scaleConfig({
        instances: options.instances,
        streamUrl: demo.streamUrl,
        fetchInterval: `${intervalMs / 1000} seconds`,
        firstFetch: new Date(startMs - 1000),
      }),
    ),
  );

  const records: FetchRecord[] = [];
  let cutoff = Number.POSITIVE_INFINITY;
  const fetchedAfterCutoff = new Set<string>();
  const record = (run: ScheduledRun, entry: Omit<FetchRecord, 'run'>) => {
    records.push({ run, ...entry });
    if (entry.status === 'ok' && entry.startedAt > cutoff) fetchedAfterCutoff.add(run.instanceId);
  };
  progress(`Starting the local system: ${options.instances} instances, DynamoDB Local, endpoint, scheduler…`);
  const system = await startLocalSystem({
    configPath,
    dataDir: join(dir, 'data'),
    ingestPort: 0,
    demoSource: false,
    dynamoStartTimeoutMs: 120_000,
    inMemory: !options.persist,
    spreadSchedules: true,
    logger: createLogger({ level: 'ERROR' }),
    onFetch: (outcome, run) =>
      record(run, {
        status: outcome.status,
        code: outcome.error?.code,
        startedAt: Date.parse(outcome.startedAt),
        durationMs: outcome.durationMs,
        pushed: outcome.pushed,
      }),
    onFetchFailed: (error, run) =>
      record(run, {
        status: 'error',
        code: (error as { code?: string }).code ?? 'THROWN',
        startedAt: run.scheduledAt,
        durationMs: 0,
        pushed: 0,
      }),
  });
  const runningSince = Date.now();
  const capacity = countCapacity(system.client);
  const usage: UsageSample[] = [sampleUsage(system.dynamo.pid)];
  const sampler = setInterval(() => usage.push(sampleUsage(system.dynamo.pid)), 5_000);
  const report = (phase: string) => {
    const tally = tallyFetches(records, { intervalMs, cutoff });
    const now = usage.at(-1)!;
    progress(
      `[${phase}] fetches ${tally.fetches} (ok ${tally.ok}, skipped ${tally.skipped}, errors ${tally.errors}) · delay p50 ${tally.delayMs.p50} / p99 ${tally.delayMs.p99} / max ${tally.delayMs.max} ms (firing p99 ${tally.firingDelayMs.p99} ms) · fetch p50 ${tally.durationOfFetchMs.p50} ms · node ${Math.round(now.nodeRssMiB)} MiB${now.javaRssMiB ? ` · java ${Math.round(now.javaRssMiB)} MiB` : ''} · load ${now.load1.toFixed(2)}`,
    );
  };
  const ticker = setInterval(
    () => report(`${seconds(Date.now() - runningSince)} / ${seconds(options.durationMs)}`),
    options.progressEveryMs ?? 30_000,
  );
  try {
    // The duration counts from the scheduler's start: DynamoDB Local's start (seconds under load) is not in it.
    await sleep(options.durationMs - (Date.now() - runningSince));
    cutoff = Date.now();
    demo.stopStreams();
    progress('Cut-off: the streams stopped. Waiting for every instance to fetch once more…');
    // Two intervals (a flexible window may put the next fetch that far), plus time for a backlog.
    const drainTimeoutMs = options.drainTimeoutMs ?? 2 * intervalMs + 60_000 + options.instances * 100;
    while (fetchedAfterCutoff.size < ids.length && Date.now() - cutoff < drainTimeoutMs) await sleep(250);
    const drainMs = Date.now() - cutoff;
    await system.scheduler?.stop();
    clearInterval(ticker);
    clearInterval(sampler);
    usage.push(sampleUsage(system.dynamo.pid));
    report(`drained in ${seconds(drainMs)}`);

    progress('Checking every stream against the endpoint…');
    let alertsProduced = 0;
    let incidentsStored = 0;
    let lost = 0;
    let duplicated = 0;
    let unexpected = 0;
    let leasesLeft = 0;
    await forEachBounded(ids, 16, async (id) => {
      const n = Number(id.slice('scale-'.length));
      const produced = new Set(
        demo
          .stream(n)
          .query({ since: 0, until: Number.POSITIVE_INFINITY, limit: Number.POSITIVE_INFINITY })
          .map((alert) => alert.id),
      );
      const stored = (await listAllIncidents(system.incidents, id)).map(
        (s) => s.incident.dbotMirrorId ?? s.key,
      );
      const storedOnce = new Set(stored);
      alertsProduced += produced.size;
      incidentsStored += stored.length;
      duplicated += stored.length - storedOnce.size;
      for (const alertId of produced) if (!storedOnce.has(alertId)) lost++;
      for (const alertId of storedOnce) if (!produced.has(alertId)) unexpected++;
      if ((await system.store.read(id))?.leaseId !== undefined) leasesLeft++;
    });

    const tally = tallyFetches(records, { intervalMs, cutoff });
    const requests = Object.values(capacity.byCommand()).reduce((sum, c) => sum + c.requests, 0);
    const perFetch = (value: number) => Math.round((value / Math.max(tally.ok, 1)) * 100) / 100;
    return {
      instances: options.instances,
      intervalMs,
      durationMs: options.durationMs,
      alertsPerMinute,
      dynamoEngine: system.dynamo.engine,
      dynamoStorage: options.persist ? 'disk' : 'memory',
      ...tally,
      slotsMissed: system.scheduler?.missedSlots ?? 0,
      alertsProduced,
      incidentsStored,
      lost,
      duplicated,
      unexpected,
      leasesLeft,
      notDrained: ids.length - fetchedAfterCutoff.size,
      drainMs,
      dynamo: {
        readUnits: Math.round(capacity.readUnits),
        writeUnits: Math.round(capacity.writeUnits),
        requests,
        readUnitsPerFetch: perFetch(capacity.readUnits),
        writeUnitsPerFetch: perFetch(capacity.writeUnits),
        requestsPerFetch: perFetch(requests),
        byCommand: Object.fromEntries(
          Object.entries(capacity.byCommand()).map(([command, tally]) => [command, tally.requests]),
        ),
      },
      usage: summarizeUsage(usage),
      cores: cpus().length,
      node: process.version,
      recordedAt: new Date().toISOString(),
    };
  } finally {
    clearInterval(ticker);
    clearInterval(sampler);
    await system.stop();
    await demo.close();
    await rm(dir, { recursive: true, force: true });
  }
};
