import type { LastRun } from '../../../shared/connector.js';
import type { Logger } from '../../../shared/logger.js';
import { createFetchContext } from '../../../shared/runner/fetch-context.js';

/**
 * A logger of plain functions. Powertools' methods need their `this`, and `ctx.health` calls
 * `logger.warn`/`logger.info` unbound (shared/runner/fetch-context.ts), which throws with the real one.
 */
const plainLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => plainLogger,
} as unknown as Logger;

export interface ContextOptions {
  lastRun?: LastRun;
  maxFetch?: number;
  now?: Date;
  secrets?: Record<string, string>;
  firstFetch?: Date;
}

/** The context the runner hands one fetch (first_fetch 3 days back unless given). */
export const fetchContext = <P>(params: P, options: ContextOptions = {}) => {
  const now = options.now ?? new Date();
  return createFetchContext({
    instanceId: 'imap-test',
    params,
    secrets: options.secrets ?? {},
    settings: {
      firstFetch: options.firstFetch ?? new Date(now.getTime() - 3 * 86_400_000),
      maxFetch: options.maxFetch ?? 200,
      lookBackMs: 0,
      lagMs: 0,
      query: undefined,
      fetchIntervalMs: 60_000,
    },
    lastRun: options.lastRun ?? {},
    now,
    logger: plainLogger,
    context: undefined as never,
    signal: AbortSignal.timeout(20_000),
    http: { retries: 1, baseDelayMs: 10 },
  });
};
