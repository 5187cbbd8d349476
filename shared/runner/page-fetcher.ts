import { type FetchSettings, resolveParams } from '../config/resolve-settings.js';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector, ConnectorContext, FetchResult } from '../connector.js';
import { createIntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state/state-store.js';
import type { StartFetch } from './drain-pages.js';
import { createFetchContext } from './fetch-context.js';

export interface PageFetcherInput {
  readonly document: InstanceDocument;
  readonly connector: Connector;
  readonly secrets: () => Promise<Record<string, string>>;
  /** Where the instance's integration context lives. */
  readonly store: StateStore;
  readonly logger: Logger;
  /** What `first_fetch` and the other relative settings are resolved against. */
  readonly now: Date;
  /** How one page is fetched from a ready context (a window fetch, or the connector's own). */
  readonly fetch: (ctx: ConnectorContext<unknown>) => Promise<FetchResult>;
  /** Settings that differ from the instance's (a replay has no look-back). @default none */
  readonly overrides?: Partial<FetchSettings>;
}

/**
 * Step 2's preparation, once per invocation: the parameters resolved and validated, the secrets
 * resolved. Returns how the drain loop starts each page's fetch. Throws a `ConfigError` or a
 * `SecretMissingError` naming the fix; the run records it like a failed fetch.
 */
export const preparePageFetcher = async (input: PageFetcherInput): Promise<StartFetch> => {
  const { document, connector, logger } = input;
  const { settings, params } = resolveParams(document, connector, input.now);
  const secrets = await input.secrets();
  const context = createIntegrationContext(input.store, document.id);
  return (lastRun, now, signal) => {
    const { ctx, messages } = createFetchContext({
      instanceId: document.id,
      params,
      secrets,
      settings: { ...settings, ...input.overrides },
      lastRun,
      now,
      logger,
      context,
      signal,
    });
    return { result: input.fetch(ctx), messages };
  };
};
