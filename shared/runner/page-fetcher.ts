import { type FetchSettings, resolveParams } from '../config/resolve-settings.js';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector, ConnectorContext, FetchResult, LastRun } from '../connector.js';
import { ErrorCodes, FerryError } from '../errors.js';
import type { Incident } from '../incident.js';
import { createIntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';
import type { QuarantineCandidate } from '../quarantine/partition-incidents.js';
import { createRateLimitPacer, type PacingStats } from '../rate-limit-pacer.js';
import type { StateStore } from '../state/state-store.js';
import { createFetchContext, type HealthMessage } from './fetch-context.js';

/**
 * Steps 2–3 of the drain loop: how one page is fetched. Prepared once per invocation (parameters
 * resolved, secrets resolved, one rate-limit pacer shared by every page, the prefetched one included:
 * they share the source's limit), then started per page.
 */

/** What the loop asks for: the page after `lastRun`, never more incidents than the run has `left`. */
export interface PageRequest {
  readonly lastRun: LastRun;
  /** A drain's later page: a window fetch starts it at the cursor instead of looking back. */
  readonly continuing: boolean;
  readonly left: number;
}

/** A fetch under way, which the loop can still drop. */
export interface PendingPage {
  readonly result: Promise<FetchResult>;
  /** What the connector reported through `health` during this fetch. */
  readonly messages: readonly HealthMessage[];
  /** Epoch ms. */
  readonly startedAt: number;
  /** Aborts the fetch; its page is dropped. */
  cancel(): void;
}

/** Starts fetching pages for one invocation. */
export interface PageSource {
  start(request: PageRequest, signal: AbortSignal): PendingPage;
  /** The instance's `max_per_run`, if it has one. */
  readonly maxPerRun?: number;
  /** How long the source's rate limit held this invocation's requests back. */
  pacing(): PacingStats;
}

/** A debug fetch's page: what a live fetch would push, quarantine and commit. */
export interface PagePreview {
  readonly incidents: Incident[];
  readonly nextRun: LastRun;
  readonly quarantine?: QuarantineCandidate[];
}

/** How one page is fetched from a ready context (a window fetch, or the connector's own). */
export type FetchPage = (
  ctx: ConnectorContext<unknown>,
  options: { readonly continuing: boolean },
) => Promise<FetchResult>;

export interface PageFetcherInput {
  readonly document: InstanceDocument;
  readonly connector: Connector;
  readonly secrets: () => Promise<Record<string, string>>;
  /** Where the instance's integration context lives. */
  readonly store: StateStore;
  readonly logger: Logger;
  readonly clock: () => number;
  /** What `first_fetch` and the other relative settings are resolved against. */
  readonly now: Date;
  readonly fetch: FetchPage;
  /** Settings that differ from the instance's (a replay has no look-back and no per-run limit). */
  readonly overrides?: Partial<FetchSettings>;
}

const prefetchDropped = () =>
  new FerryError(
    ErrorCodes.PREFETCH_DROPPED,
    'This prefetched page was dropped: the page before it was not pushed and committed, or no time was left to push it.',
  );

/**
 * Resolves what every page needs, once. Throws a `ConfigError` or a `SecretMissingError` naming the
 * fix; the drain loop records it like a failed fetch.
 */
export const preparePageFetcher = async (input: PageFetcherInput): Promise<PageSource> => {
  const { document, logger, clock } = input;
  const resolved = resolveParams(document, input.connector, input.now);
  const settings = { ...resolved.settings, ...input.overrides };
  const secrets = await input.secrets();
  const context = createIntegrationContext(input.store, document.id);
  const pacer = createRateLimitPacer();
  const start = (request: PageRequest, signal: AbortSignal): PendingPage => {
    const startedAt = clock();
    const own = new AbortController();
    const { ctx, messages } = createFetchContext({
      instanceId: document.id,
      params: resolved.params,
      secrets,
      settings: { ...settings, maxFetch: Math.max(1, Math.min(settings.maxFetch, request.left)) },
      lastRun: request.lastRun,
      now: new Date(startedAt),
      logger,
      context,
      signal: AbortSignal.any([signal, own.signal]),
      http: { pacer },
    });
    const result = input.fetch(ctx, { continuing: request.continuing });
    // Awaited when used; a prefetch that is dropped must not become an unhandled rejection.
    result.catch(() => undefined);
    return { result, messages, startedAt, cancel: () => own.abort(prefetchDropped()) };
  };
  return { start, maxPerRun: settings.maxPerRun, pacing: () => pacer.stats() };
};
