import { type HttpJsonParams, httpJsonParams } from '../../../functions/httpjson/params.js';
import type { FetchSettings } from '../../../shared/config/resolve-settings.js';
import { createFetchContext } from '../../../shared/runner/fetch-context.js';
import { silentLogger } from '../../helpers/runtime.js';

export interface ContextOptions {
  readonly secrets?: Record<string, string>;
  readonly now?: Date;
  readonly query?: string;
  readonly settings?: Partial<FetchSettings>;
}

/** The context the runner hands one fetch, with validated params and a real HTTP client that retries fast. */
export const httpJsonContext = (params: Record<string, unknown>, options: ContextOptions = {}) => {
  const now = options.now ?? new Date();
  return createFetchContext<HttpJsonParams>({
    instanceId: 'httpjson-test',
    params: httpJsonParams.parse(params),
    secrets: options.secrets ?? {},
    settings: {
      firstFetch: new Date(now.getTime() - 86_400_000),
      maxFetch: 200,
      lookBackMs: 0,
      lagMs: 0,
      query: options.query,
      fetchIntervalMs: 60_000,
      ...options.settings,
    },
    lastRun: {},
    now,
    logger: silentLogger,
    context: undefined as never,
    signal: AbortSignal.timeout(20_000),
    http: { retries: 1, baseDelayMs: 5, maxDelayMs: 20 },
  });
};
