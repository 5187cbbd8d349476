import type { FetchSettings } from '../../shared/config/resolve-settings.js';
import type { LastRun } from '../../shared/connector.js';
import { createFetchContext } from '../../shared/runner/fetch-context.js';
import { silentLogger } from './runtime.js';

export interface ContextOptions {
  readonly instanceId?: string;
  readonly lastRun?: LastRun;
  readonly maxFetch?: number;
  readonly firstFetch?: Date;
  readonly now?: Date;
  readonly query?: string;
  readonly secrets?: Record<string, string>;
  readonly settings?: Partial<FetchSettings>;
}

/**
 * The context the runner hands one fetch, for a connector's own tests: a real HTTP client that retries
 * once and fast (test servers answer at once), first_fetch three days back unless given.
 */
export const fetchContext = <P>(params: P, options: ContextOptions = {}) => {
  const now = options.now ?? new Date();
  return createFetchContext<P>({
    instanceId: options.instanceId ?? 'connector-test',
    params,
    secrets: options.secrets ?? {},
    settings: {
      firstFetch: options.firstFetch ?? new Date(now.getTime() - 3 * 86_400_000),
      maxFetch: options.maxFetch ?? 200,
      lookBackMs: 0,
      lagMs: 0,
      query: options.query,
      fetchIntervalMs: 60_000,
      ...options.settings,
    },
    lastRun: options.lastRun ?? {},
    now,
    logger: silentLogger,
    context: undefined as never,
    signal: AbortSignal.timeout(20_000),
    http: { retries: 1, baseDelayMs: 5, maxDelayMs: 20 },
  });
};
