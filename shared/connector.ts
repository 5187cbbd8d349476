import type { z } from 'zod';
import type { HttpClient } from './http-client.js';
import type { Incident } from './incident.js';
import type { IntegrationContext } from './integration-context.js';
import type { Logger } from './logger.js';

/** The cursor a connector hands from one fetch to the next (XSOAR: `demisto.getLastRun()`). */
export type LastRun = Record<string, unknown>;

/** What every fetch is handed. A connector does all its I/O through it and never touches state. */
export interface ConnectorContext<P = Record<string, unknown>> {
  readonly instanceId: string;
  /** The connector's own parameters, validated by its schema (defaults applied). */
  readonly params: P;
  /** Resolved secret values by name (never logged: the logger redacts them). */
  readonly secrets: Readonly<Record<string, string>>;
  /** The cursor of the last committed fetch; `{}` on the first run. */
  readonly lastRun: LastRun;
  /** `first_fetch` resolved against `now`. */
  readonly firstFetch: Date;
  /** At most this many incidents per fetch (`max_fetch`). */
  readonly maxFetch: number;
  /** `look_back` in milliseconds. */
  readonly lookBackMs: number;
  /** `lag` in milliseconds: query only up to `now - lag`. */
  readonly lagMs: number;
  /** The instance's `query` parameter, if any. */
  readonly query: string | undefined;
  readonly now: Date;
  readonly http: HttpClient;
  readonly logger: Logger;
  /** The instance's integration context: state beyond the cursor (OAuth tokens, discovered versions). */
  readonly context: IntegrationContext;
  /** XSOAR's `updateModuleHealth`: the message shows in the fetch history. */
  health(message: string, options?: { isError?: boolean }): void;
  /** Aborted when the invocation's deadline is near. Pass it to long operations. */
  readonly signal: AbortSignal;
}

/** The result of one bounded fetch. */
export interface FetchResult {
  incidents: Incident[];
  /** The cursor to commit once the incidents were accepted (XSOAR: `setLastRun`). */
  nextRun: LastRun;
  /** More is waiting right now: the runner fetches again while the deadline allows. */
  hasMore?: boolean;
  /** Events dropped as already seen (reported in the history). */
  dropped?: number;
  /** Requests made to the source (reported in the history). */
  pages?: number;
  /** A notice for the history, such as the seen-id cap being reached. */
  notice?: string;
  /** Seen ids forgotten at the cap (a metric, and a notice in the history). */
  evictedSeenIds?: number;
}

/** The half of a connector common to both styles. */
interface ConnectorBase<P> {
  readonly name: string;
  /** The connector's own parameters (zod); defaults live here, like an integration's yml. */
  readonly params: z.ZodType<P>;
  /** Names of the secrets the connector needs; a missing one is a configuration error. */
  readonly secrets?: readonly string[];
  /** XSOAR's `test-module`: resolves when the instance is usable, throws a clear error if not. */
  test(ctx: ConnectorContext<P>): Promise<void>;
  /**
   * What is wrong with a last run an operator sets (`ferry last-run --set`), one sentence per field;
   * empty when the next fetch can use it. Checked before anything is written. A time-window
   * connector's `time` and `seen` are checked by the runner, which owns them; this checks the rest.
   */
  checkLastRun?(lastRun: LastRun): string[];
}

/**
 * An own-cursor connector returns `nextRun` itself (IMAP UIDs, opaque API tokens). It may use the
 * look-back helpers in `shared/lookback/` but owns its cursor.
 */
export interface CursorConnector<P = Record<string, unknown>> extends ConnectorBase<P> {
  readonly style: 'cursor';
  /**
   * `true` when a fetch only reads the source from `ctx.lastRun`: while draining, the runner then
   * fetches the next page while the last one is pushed and committed, and drops that page unpushed if
   * the push or the commit fails. Leave it unset for a source that a fetch changes (a queue that
   * consumes what it hands out; IMAP flagging messages \Seen): a dropped page would be lost or marked.
   * Time-window connectors are always prefetched.
   * @default false
   */
  readonly prefetch?: boolean;
  fetchIncidents(ctx: ConnectorContext<P>): Promise<FetchResult>;
}

/** One page request of a time-window connector: events with `start <= occurred < end`. */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
  /** At most this many events; the runner may ask for more than `max_fetch` to skip past duplicates. */
  readonly limit: number;
}

/** One page of a time-window connector: the events of the window, oldest first. */
export interface WindowPage<E> {
  events: E[];
}

/**
 * A time-window connector only knows how to query its source for `[start, end)`; the runner owns the
 * window, the look-back, dedupe and the next cursor.
 */
export interface WindowConnector<P = Record<string, unknown>, E = unknown> extends ConnectorBase<P> {
  readonly style: 'window';
  /** The largest `limit` the source accepts in one request. */
  readonly maxPageSize: number;
  fetchWindow(ctx: ConnectorContext<P>, window: TimeWindow): Promise<WindowPage<E>>;
  /** Turns one event into an incident; its `dbotMirrorId` and `occurred` drive dedupe and the cursor. */
  toIncident(event: E, ctx: ConnectorContext<P>): Incident;
}

/** Any connector. */
// biome-ignore lint/suspicious/noExplicitAny: parameters are contravariant; a registry holds connectors of every P.
export type Connector<P = any, E = any> = CursorConnector<P> | WindowConnector<P, E>;

/** Identity helper that gives a connector object its types. */
export const defineConnector = <P, E = unknown, C extends Connector<P, E> = Connector<P, E>>(
  connector: C,
): C => connector;
