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

/**
 * The last rate-limit state per fetch context. The runner hands each fetch (and each `test`) a fresh
 * context and may call `fetchWindow` several times with one, so the state lives exactly as long as the
 * requests it describes; nothing is shared between instances.
 */
const lastState = new WeakMap<object, LimitState>();

/** The headers the HTTP client reads on a 429 (or a 403 whose remaining count is 0). */
export const rateLimitHeaders = (params: HttpJsonParams): RateLimitHeaders | undefined =>
  params.rate_limit
    ? {
        remaining: params.rate_limit.remaining_header,
        reset: params.rate_limit.reset_header,
        resetFormat: params.rate_limit.reset_format,
      }
    : undefined;

/** Records what a response's headers say about the rate limit. */
export const noteRateLimit = (ctx: ConnectorContext<HttpJsonParams>, headers: Headers): void => {
  const config = ctx.params.rate_limit;
  if (!config?.remaining_header) return;
  const remaining = Number(headers.get(config.remaining_header) ?? Number.NaN);
  if (!Number.isFinite(remaining)) return;
  const now = Date.now();
  const delay = config.reset_header
    ? resetDelayMs(headers.get(config.reset_header), config.reset_format, now)
    : undefined;
  lastState.set(ctx, { remaining, resetAt: delay === undefined ? undefined : now + delay });
};

/**
 * Called before each request: when the last response said no requests are left, waits for the reset
 * if it comes within `rate_limit.max_wait`; otherwise stops the fetch with a rate-limit error (nothing
 * is committed for this page, so the next fetch reads it again; earlier pages of this run are kept).
 */
export const paceRequest = async (ctx: ConnectorContext<HttpJsonParams>): Promise<void> => {
  const config = ctx.params.rate_limit;
  const state = lastState.get(ctx);
  if (!config || !state || state.remaining > 0 || state.resetAt === undefined) return;
  const waitMs = state.resetAt - Date.now();
  if (waitMs <= 0) return;
  const maxWaitMs = parseDuration(config.max_wait)!;
  if (waitMs > maxWaitMs) {
    throw new SourceError(
      ErrorCodes.SOURCE_RATE_LIMITED,
      `${new URL(ctx.params.url).origin} has no requests left (${config.remaining_header}: 0) until ` +
        `${new Date(state.resetAt).toISOString()}, in ${formatDuration(waitMs)}, longer than rate_limit.max_wait ` +
        `(${config.max_wait}). The fetch stopped; the next one resumes where the last committed one ended. ` +
        'Raise the fetch interval or lower max_fetch if this repeats.',
      { retryAfterMs: waitMs },
    );
  }
  ctx.logger.info('Waiting for the source rate limit to reset', { waitMs, header: config.remaining_header });
  await sleep(waitMs, ctx.signal);
  lastState.delete(ctx);
};
