import { helloworld } from '../../functions/helloworld/connector.js';
import { startIngestServer } from '../../functions/ingest/server.js';
import { createAlertStore } from '../../local/demo-source/alert-store.js';
import type { ConnectorContext } from '../../shared/connector.js';
import { createFerrySink } from '../../shared/sinks/ferry-sink.js';
import type { KeyedIncident } from '../../shared/sinks/sink.js';
import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { type BenchOptions, type BenchResult, measurement } from '../result.js';
import { silentLogger } from '../silent-logger.js';
import { formatDuration, timed } from '../stats.js';

export interface IngestRateSizes {
  /** Incidents pushed per run. */
  readonly incidents: number;
  readonly runs: number;
}

export const ingestRateSizes = (quick: boolean): IngestRateSizes =>
  quick ? { incidents: 300, runs: 2 } : { incidents: 1_000, runs: 4 };

const TOKEN = 'bench-ingest-token';
const HOUR_MS = 3_600_000;

/**
 * The reference ingestion endpoint's own rate: the `ferry` sink pushing new incidents (batches of 100,
 * one request at a time, as the runner pushes) to the ingest app on a local port, which stores each one
 * with a conditional PutItem in DynamoDB Local.
 */
export const ingestRate = async (
  env: BenchEnvironment,
  options: BenchOptions,
  sizes = ingestRateSizes(options.quick),
): Promise<BenchResult> => {
  const started = Date.now();
  const server = await startIngestServer({
    store: env.incidents,
    token: TOKEN,
    port: 0,
    logger: silentLogger,
  });
  const alerts = createAlertStore({ idPrefix: 'ING' });
  alerts.insert(Float64Array.from({ length: sizes.incidents }, (_, i) => started - HOUR_MS + i));
  const ctx = undefined as unknown as ConnectorContext<{ url: string }>;
  const incidents: KeyedIncident[] = alerts
    .query({ since: 0, until: Number.POSITIVE_INFINITY, limit: Number.POSITIVE_INFINITY })
    .map((alert) => {
      const incident = helloworld.toIncident(alert, ctx);
      return { key: incident.dbotMirrorId!, incident };
    });
  const sink = createFerrySink({ url: server.url, token: TOKEN });
  // A fresh instance each time: every incident is new to the endpoint.
  const throughApp = async (items: readonly KeyedIncident[]) => {
    const instance = benchInstanceId('ingest');
    const { ms, value } = await timed(() =>
      sink.push({ instance, connector: helloworld.name, runId: instance, incidents: items }),
    );
    if (value.accepted !== items.length || value.duplicates !== 0) {
      throw new Error(`ingest rate: the endpoint accepted ${value.accepted}, ${value.duplicates} duplicates`);
    }
    return items.length / (ms / 1000);
  };
  // The baseline: the same incidents straight into the endpoint's store, in the same batches of 100.
  const intoStore = async (items: readonly KeyedIncident[]) => {
    const instance = benchInstanceId('store');
    const { ms } = await timed(async () => {
      for (let offset = 0; offset < items.length; offset += 100) {
        const batch = items.slice(offset, offset + 100).map((item) => item.incident);
        await env.incidents.putBatch({
          instance,
          connector: helloworld.name,
          runId: instance,
          incidents: batch,
        });
      }
    });
    return items.length / (ms / 1000);
  };
  const rates: number[] = [];
  const storeRates: number[] = [];
  try {
    // DynamoDB Local's JVM is slow until warm: one unmeasured round of each first.
    await intoStore(incidents.slice(0, 200));
    await throughApp(incidents.slice(0, 200));
    for (let run = 1; run <= sizes.runs; run++) {
      if (run % 2 === 1) {
        storeRates.push(await intoStore(incidents));
        rates.push(await throughApp(incidents));
      } else {
        rates.push(await throughApp(incidents));
        storeRates.push(await intoStore(incidents));
      }
      options.log(
        `run ${run}/${sizes.runs}: ${Math.round(rates.at(-1)!).toLocaleString('en-US')} incidents/s through the app, ` +
          `${Math.round(storeRates.at(-1)!).toLocaleString('en-US')}/s into the store directly`,
      );
    }
  } finally {
    await server.close();
  }
  const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
  return {
    id: 'ingest-rate',
    title: 'Reference endpoint ingest rate',
    method:
      `${sizes.incidents.toLocaleString('en-US')} new incidents pushed ${sizes.runs} times by the \`ferry\` sink ` +
      '(batches of 100, one request at a time) to the reference ingestion app (Hono on a local port), which stores ' +
      'each with a conditional PutItem (16 in flight per batch) in DynamoDB Local. Baseline: the same incidents ' +
      "written straight into the endpoint's store (`DynamoIncidentStore.putBatch`, same batches), no HTTP, no app. " +
      'No target: reported for scale.',
    measurements: [
      measurement('Ingest rate through the app', 'incidents/s', rates),
      measurement('Store alone (baseline)', 'incidents/s', storeRates),
    ],
    ratio: measurement(
      'App rate / store rate, per pair',
      '×',
      rates.map((rate, index) => rate / storeRates[index]!),
    ),
    checks: [],
    notes: [
      `At this rate the reference endpoint would take ${formatDuration((1_000_000 / median) * 1000)} to store a ` +
        "1,000,000-incident backlog. DynamoDB Local's writes set the pace (one JVM over SQLite, a GSI on the " +
        "table): the app adds little to the store alone, and Ferry's drain does not wait on it (section 2).",
    ],
    elapsedMs: Date.now() - started,
  };
};
