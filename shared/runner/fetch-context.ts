import type { FetchSettings } from '../config/resolve-settings.js';
import type { ConnectorContext, LastRun } from '../connector.js';
import { createHttpClient, type HttpClientOptions } from '../http-client.js';
import type { IntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';

export interface HealthMessage {
  text: string;
  isError: boolean;
}

export interface FetchContextInput<P> {
  readonly instanceId: string;
  readonly params: P;
  readonly secrets: Record<string, string>;
  readonly settings: FetchSettings;
  readonly lastRun: LastRun;
  readonly now: Date;
  readonly logger: Logger;
  readonly context: IntegrationContext;
  readonly signal: AbortSignal;
  readonly http?: Omit<HttpClientOptions, 'signal'>;
}

/** Builds the context one fetch is handed; `messages` collects what the connector reports via `health`. */
export const createFetchContext = <P>(input: FetchContextInput<P>) => {
  const messages: HealthMessage[] = [];
  const ctx: ConnectorContext<P> = {
    instanceId: input.instanceId,
    params: input.params,
    secrets: input.secrets,
    lastRun: input.lastRun,
    firstFetch: input.settings.firstFetch,
    maxFetch: input.settings.maxFetch,
    lookBackMs: input.settings.lookBackMs,
    lagMs: input.settings.lagMs,
    query: input.settings.query,
    now: input.now,
    logger: input.logger,
    context: input.context,
    signal: input.signal,
    http: createHttpClient({
      ...input.http,
      signal: input.signal,
      onRetry: (info) => input.logger.warn('Retrying a source request', info),
    }),
    health(text, options = {}) {
      messages.push({ text, isError: options.isError ?? false });
      if (options.isError) input.logger.warn('Connector health', { message: text });
      else input.logger.info('Connector health', { message: text });
    },
  };
  return { ctx, messages };
};
