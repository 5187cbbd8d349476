import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { ConfigError } from '../../shared/errors.js';
import { listen } from '../../shared/listen.js';
import { createRandom, type DemoAlert, formatAlertId } from './alert-generator.js';
import { type AlertStore, createAlertStore, type InsertedAlerts } from './alert-store.js';
import {
  createDemoSourceApp,
  createDemoSourceState,
  type FailureMode,
  type FailureOptions,
  type RateLimit,
  setFailure,
} from './app.js';

/** A point in time: epoch milliseconds, a Date, or an ISO-8601 string. */
export type TimeInput = number | Date | string;

/** Options of {@link startDemoSource}. */
export interface DemoSourceOptions {
  /** The bearer token clients must send. */
  readonly apiKey: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Alerts generated per second, continuously, created at the clock's now; 0 for none. @default 1 */
  readonly ratePerSecond?: number;
  /** Seed of alert content and backlog spread. @default 1 */
  readonly seed?: number;
  /** What alert ids start with; see `AlertStoreOptions.idPrefix`. @default 'A' */
  readonly idPrefix?: string;
  /** Over this budget `GET /alerts` answers 429 with Retry-After; see `rate-limit.ts`. @default no limit */
  readonly rateLimit?: RateLimit;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** An alert becomes visible this long after its created time (late indexing). @default 0 */
  readonly indexingDelayMs?: number;
  /**
   * Tenants, each with its own alerts under `<url>/streams/<n>` (n = 1..count), generated at its own
   * steady rate: many instances of one connector, each reading a source of its own. @default none
   */
  readonly streams?: DemoStreamsOptions;
}

/** See {@link DemoSourceOptions.streams}. */
export interface DemoStreamsOptions {
  readonly count: number;
  /** Alerts per second in each stream; the streams take turns, so each is evenly spaced. */
  readonly ratePerSecond: number;
}

/** A running demo source and its controls. */
export interface DemoSource {
  /** Base URL, e.g. `http://127.0.0.1:53211`. */
  readonly url: string;
  readonly port: number;
  readonly store: AlertStore;
  /** Stream `n`'s alerts (1..`streams.count`); throws for a stream that does not exist. */
  stream(n: number): AlertStore;
  /** Stream `n`'s base URL: the `url` an instance reading it is configured with. */
  streamUrl(n: number): string;
  /** Stops generating alerts in every stream (the streams' rate is fixed at start). */
  stopStreams(): void;
  /** `GET /alerts` requests received so far, failed ones included. */
  readonly requests: number;
  /** Alerts returned so far, all answers together: what clients read. */
  readonly alertsServed: number;
  /** Requests refused with 429 by the rate limit so far. */
  readonly rateLimited: number;
  /** Sets the rate limit (a fixed window, headers on every answer); `undefined` lifts it. */
  setRateLimit(limit: RateLimit | undefined): void;
  readonly indexingDelayMs: number;
  /** Adds one alert; given fields override generated ones. `created` defaults to now. */
  add(alert?: DemoAlertInput, options?: { visibleAt?: TimeInput }): DemoAlert;
  /** Adds `count` alerts all created at one instant (default now). */
  addBurst(count: number, created?: TimeInput): DemoAlert[];
  /** Bulk-inserts `count` alerts spread over [from, to) (default: the last 24 hours). */
  backlog(count: number, range?: { from?: TimeInput; to?: TimeInput }): InsertedAlerts;
  /** Alerts added from now on become visible `ms` after their created time. */
  setIndexingDelay(ms: number): void;
  /** Changes the continuous generation rate; 0 stops it. */
  setRate(perSecond: number): void;
  /** The next `options.count` (default 1) `GET /alerts` requests fail with `mode`; `'none'` clears. */
  setFailure(mode: FailureMode | 'none', options?: FailureOptions): void;
  /** Stops generation, drops open connections and frees the port. */
  close(): Promise<void>;
}

/** Fields of an alert to add; `created` may be any {@link TimeInput}. */
export type DemoAlertInput = Partial<Omit<DemoAlert, 'created'>> & { created?: TimeInput };

const DAY_MS = 24 * 60 * 60 * 1000;
// A clock jump (a paused process, fake timers) must not generate millions of alerts in one tick.
const MAX_CATCH_UP = 100_000;

/**
 * Starts the demo source: a third-party-like alert API on `host:port` generating alerts continuously.
 *
 * @example
 * const source = await startDemoSource({ apiKey: 'secret', ratePerSecond: 0 });
 * source.addBurst(5);
 * await fetch(`${source.url}/alerts?since=1970-01-01T00:00:00Z`, { headers: { authorization: 'Bearer secret' } });
 * await source.close();
 */
export async function startDemoSource(options: DemoSourceOptions): Promise<DemoSource> {
  if (!options.apiKey) throw new ConfigError('startDemoSource: apiKey is required');
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const store = createAlertStore({ seed, idPrefix: options.idPrefix });
  const state = createDemoSourceState();
  let indexingDelayMs = options.indexingDelayMs ?? 0;
  const streams = createStreams(options, () => indexingDelayMs);
  const app = createDemoSourceApp({
    apiKey: options.apiKey,
    store,
    streams: (name) => (/^[1-9]\d*$/.test(name) ? streams.stores[Number(name) - 1] : undefined),
    state,
    rateLimit: options.rateLimit,
    now,
  });
  const spread = createRandom(seed ^ 0x5eed);

  const generator = startGenerator(options.ratePerSecond ?? 1, now, (created) =>
    store.insert(created, { indexingDelayMs }),
  );
  const server = await listen(createAdaptorServer({ fetch: app.fetch }) as Server, {
    host: options.host,
    port: options.port,
  }).catch((error) => {
    generator.stop();
    streams.generator.stop();
    throw error;
  });

  return {
    url: server.url,
    port: server.port,
    store,
    stream(n) {
      const stream = streams.stores[n - 1];
      if (!stream)
        throw new ConfigError(
          `No stream ${n}: the demo source was started with ${streams.stores.length} (option streams).`,
        );
      return stream;
    },
    streamUrl: (n) => `${server.url}/streams/${n}`,
    stopStreams: streams.generator.stop,
    get requests() {
      return state.requests;
    },
    get alertsServed() {
      return state.alertsServed;
    },
    get rateLimited() {
      return state.rateLimited;
    },
    setRateLimit(limit) {
      state.rateLimit = limit;
    },
    get indexingDelayMs() {
      return indexingDelayMs;
    },
    add(alert = {}, addOptions = {}) {
      const { created, ...fields } = alert;
      const createdMs = created === undefined ? now() : toMs(created);
      const visibleAt =
        addOptions.visibleAt === undefined ? createdMs + indexingDelayMs : toMs(addOptions.visibleAt);
      return store.insertOne(createdMs, fields, { visibleAt });
    },
    addBurst(count, created) {
      const createdMs = Math.floor(created === undefined ? now() : toMs(created));
      const { firstSeq } = store.insert(new Float64Array(count).fill(createdMs), { indexingDelayMs });
      const ids = new Set(
        Array.from({ length: count }, (_, i) => formatAlertId(firstSeq + i, options.idPrefix)),
      );
      const atInstant = store.query({
        since: createdMs,
        until: createdMs + 1,
        limit: Number.POSITIVE_INFINITY,
      });
      return atInstant.filter((alert) => ids.has(alert.id));
    },
    backlog(count, range = {}) {
      const to = range.to === undefined ? now() : toMs(range.to);
      const from = range.from === undefined ? to - DAY_MS : toMs(range.from);
      if (!(from < to)) throw new ConfigError(`backlog: 'from' must be before 'to'`);
      // Evenly spaced slots with jitter inside each: already sorted, and no clumps or gaps.
      const slot = (to - from) / count;
      const created = new Float64Array(count);
      for (let i = 0; i < count; i++) created[i] = Math.floor(from + (i + spread()) * slot);
      return store.insert(created, { indexingDelayMs });
    },
    setIndexingDelay(ms) {
      indexingDelayMs = ms;
    },
    setRate: generator.setRate,
    setFailure: (mode, failureOptions) => setFailure(state, mode, failureOptions),
    close() {
      generator.stop();
      streams.generator.stop();
      return server.close();
    },
  };
}

/**
 * The streams' stores and one generator for all of them at their total rate, each alert going to the
 * next stream in turn: one timer however many streams, and each stream's alerts evenly spaced.
 */
function createStreams(options: DemoSourceOptions, indexingDelayMs: () => number) {
  const { count = 0, ratePerSecond = 0 } = options.streams ?? {};
  const stores = Array.from({ length: count }, (_, i) =>
    createAlertStore({ seed: (options.seed ?? 1) + i + 1, idPrefix: `${options.idPrefix ?? 'A'}S${i + 1}` }),
  );
  let next = 0;
  const generator = startGenerator(
    count > 0 ? count * ratePerSecond : 0,
    options.now ?? Date.now,
    (created) => {
      for (const time of created) {
        stores[next]!.insert([time], { indexingDelayMs: indexingDelayMs() });
        next = (next + 1) % count;
      }
    },
  );
  return { stores, generator };
}

/** Calls `emit` with the created times of alerts due since the last tick, at `ratePerSecond`. */
function startGenerator(ratePerSecond: number, now: () => number, emit: (created: number[]) => void) {
  let rate = 0;
  let nextDue = 0;
  let timer: NodeJS.Timeout | undefined;

  const tick = (): void => {
    const at = now();
    if (rate <= 0 || nextDue > at) return;
    const intervalMs = 1000 / rate;
    const due = Math.min(Math.floor((at - nextDue) / intervalMs) + 1, MAX_CATCH_UP);
    const created = Array.from({ length: due }, (_, i) => Math.floor(nextDue + i * intervalMs));
    // Past the catch-up cap, skip ahead rather than fall ever further behind.
    nextDue += due * intervalMs;
    if (nextDue <= at) nextDue = at + intervalMs;
    emit(created);
  };

  const setRate = (perSecond: number): void => {
    if (!(perSecond >= 0)) throw new ConfigError(`ratePerSecond must be >= 0, got ${perSecond}`);
    clearInterval(timer);
    timer = undefined;
    rate = perSecond;
    if (rate === 0) return;
    nextDue = now() + 1000 / rate;
    // One tick per alert at low rates; at high rates, 10 ms ticks each emit a batch.
    timer = setInterval(tick, Math.min(1000, Math.max(10, 1000 / rate)));
    timer.unref();
  };

  setRate(ratePerSecond);
  return { setRate, stop: () => setRate(0) };
}

function toMs(time: TimeInput): number {
  const ms = time instanceof Date ? time.getTime() : typeof time === 'string' ? Date.parse(time) : time;
  if (!Number.isFinite(ms)) throw new ConfigError(`Not a valid time: ${String(time)}`);
  return ms;
}
