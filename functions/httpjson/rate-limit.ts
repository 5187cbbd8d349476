import type { ConnectorContext } from '../../shared/connector.js';
import { formatDuration, parseDuration } from '../../shared/duration.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import { type RateLimitHeaders, resetDelayMs, sleep } from '../../shared/retry.js';
import type { HttpJsonParams } from './params.js';

/** What the last response said about the rate limit. */
interface LimitState {
  readonly remaining: number;
  /** Epoch ms of the reset, when the source said. */
  readonly resetAt: number | undefined;
}

/** A rate limit as configured (`rate_limit`, or `details.rate_limit`). */
export type RateLimitConfig = NonNullable<HttpJsonParams['rate_limit']>;

/**
 * Which limit a request counts against: the main endpoint's, or the details endpoint's when chained
 * requests have their own (CrowdStrike counts each endpoint apart).
 */
export type LimitScope = 'main' | 'details';

/**
 * The last rate-limit state per fetch context and scope. The runner hands each fetch (and each `test`)
 * a fresh context and may call `fetchWindow` several times with one, so the state lives exactly as
 * long as the requests it describes; nothing is shared between instances.
 */
const lastState = new WeakMap<object, Map<LimitScope, LimitState>>();

const stateOf = (ctx: object): Map<LimitScope, LimitState> => {
  const states = lastState.get(ctx) ?? new Map<LimitScope, LimitState>();
  lastState.set(ctx, states);
  return states;
};

/** The headers the HTTP client reads on a 429 (or a 403 whose remaining count is 0). */
export const rateLimitHeaders = (config: RateLimitConfig | undefined): RateLimitHeaders | undefined =>
  config
    ? {
        remaining: config.remaining_header,
        reset: config.reset_header,
        resetFormat: config.reset_format,
      }
    : undefined;

/** Records what a response's headers say about the rate limit. */
export const noteRateLimit = (
  ctx: ConnectorContext<HttpJsonParams>,
  config: RateLimitConfig | undefined,
  scope: LimitScope,
  headers: Headers,
): void => {
  if (!config?.remaining_header) return;
  const remaining = Number(headers.get(config.remaining_header) ?? Number.NaN);
  if (!Number.isFinite(remaining)) return;
  const now = Date.now();
  const delay = config.reset_header
    ? resetDelayMs(headers.get(config.reset_header), config.reset_format, now)
    : undefined;
  stateOf(ctx).set(scope, { remaining, resetAt: delay === undefined ? undefined : now + delay });
};

/**
 * Called before each request: when the last response said no requests are left, waits for the reset
 * if it comes within `rate_limit.max_wait`; otherwise stops the fetch with a rate-limit error (nothing
 * is committed for this page, so the next fetch reads it again; earlier pages of this run are kept).
 */
export const paceRequest = async (
  ctx: ConnectorContext<HttpJsonParams>,
  config: RateLimitConfig | undefined,
  scope: LimitScope,
  url: string,
): Promise<void> => {
  const state = stateOf(ctx).get(scope);
  if (!config || !state || state.remaining > 0 || state.resetAt === undefined) return;
  const waitMs = state.resetAt - Date.now();
  if (waitMs <= 0) return;
  const maxWaitMs = parseDuration(config.max_wait)!;
  if (waitMs > maxWaitMs) {
    throw new SourceError(
      ErrorCodes.SOURCE_RATE_LIMITED,
      `${new URL(url).origin}${new URL(url).pathname} has no requests left (${config.remaining_header}: 0) until ` +
        `${new Date(state.resetAt).toISOString()}, in ${formatDuration(waitMs)}, longer than rate_limit.max_wait ` +
        `(${config.max_wait}). The fetch stopped; the next one resumes where the last committed one ended. ` +
        'Raise the fetch interval or lower max_fetch if this repeats.',
      { retryAfterMs: waitMs },
    );
  }
  ctx.logger.info('Waiting for the source rate limit to reset', { waitMs, header: config.remaining_header });
  await sleep(waitMs, ctx.signal);
  stateOf(ctx).delete(scope);
};
