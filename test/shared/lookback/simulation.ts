import type { ConnectorContext, LastRun, WindowConnector } from '../../../shared/connector.js';
import type { Logger } from '../../../shared/logger.js';
import { windowFetch } from '../../../shared/lookback/window-fetch.js';

/** An event at a simulated source: created at `created`, visible to queries from `visibleAt` on. */
export interface SimEvent {
  id: string;
  created: number;
  visibleAt: number;
}

export interface SimSourceOptions {
  /** The source ignores `until` (many APIs filter only by "since"). */
  ignoreUntil?: boolean;
  /** Ids the source returns twice in one page (a flaky API). */
  duplicateRows?: ReadonlySet<string>;
}

/** A source that answers window queries over a fixed list of events, as a real API would at `now`. */
export const createSimSource = (events: readonly SimEvent[], options: SimSourceOptions = {}) => {
  const sorted = [...events].sort(
    (a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return {
    query(start: number, end: number, limit: number, now: number, endInclusive = false): SimEvent[] {
      const rows: SimEvent[] = [];
      for (const event of sorted) {
        if (rows.length >= limit) break;
        if (event.visibleAt > now || event.created < start) continue;
        if (!options.ignoreUntil && (endInclusive ? event.created > end : event.created >= end)) continue;
        rows.push(event);
        if (options.duplicateRows?.has(event.id) && rows.length < limit) rows.push(event);
      }
      return rows;
    },
  };
};

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
} as unknown as Logger;

/** A time-window connector over a simulated source. */
export const simConnector = (
  source: ReturnType<typeof createSimSource>,
  maxPageSize: number,
): WindowConnector<Record<string, never>, SimEvent> => ({
  name: 'sim',
  style: 'window',
  params: undefined as never,
  maxPageSize,
  fetchWindow: async (ctx, window) => ({
    events: source.query(window.start.getTime(), window.end.getTime(), window.limit, ctx.now.getTime()),
  }),
  toIncident: (event) => ({
    name: `event ${event.id}`,
    occurred: new Date(event.created).toISOString(),
    dbotMirrorId: event.id,
    rawJSON: JSON.stringify(event),
  }),
  test: async () => undefined,
});

export interface SimSettings {
  now: number;
  firstFetch: number;
  lookBackMs: number;
  lagMs?: number;
  maxFetch: number;
  /** A later page of one drain (the runner passes it to every page after the first). */
  continuing?: boolean;
}

/** One Ferry fetch of a simulated connector, as the runner would make it. */
export const ferryFetch = (
  connector: ReturnType<typeof simConnector>,
  lastRun: LastRun,
  settings: SimSettings,
) => {
  const health: string[] = [];
  const ctx = {
    instanceId: 'sim',
    params: {},
    secrets: {},
    lastRun,
    firstFetch: new Date(settings.firstFetch),
    maxFetch: settings.maxFetch,
    lookBackMs: settings.lookBackMs,
    lagMs: settings.lagMs ?? 0,
    query: undefined,
    now: new Date(settings.now),
    http: undefined as never,
    logger: silentLogger,
    context: undefined as never,
    health: (message: string) => health.push(message),
    signal: new AbortController().signal,
  } satisfies ConnectorContext<Record<string, never>>;
  return windowFetch(connector, ctx, { continuing: settings.continuing }).then((result) => ({
    ...result,
    health,
  }));
};
