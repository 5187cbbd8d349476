/** Backoff and `Retry-After` arithmetic shared by the HTTP client and the sinks. */

export interface BackoffOptions {
  /** @default 250 */
  readonly baseDelayMs?: number;
  /** @default 20_000 */
  readonly maxDelayMs?: number;
}

/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export const backoffDelay = (attempt: number, options: BackoffOptions = {}, random = Math.random): number => {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 20_000;
  const ceiling = Math.min(max, base * 2 ** attempt);
  // Half fixed, half jitter: spreads retries without ever retrying instantly.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
};

/** How a rate-limit reset header counts: epoch seconds, seconds from now, or either (`auto`). */
export type ResetFormat = 'auto' | 'epoch_seconds' | 'seconds';

/** A source's own rate-limit headers, by name (e.g. Okta's `X-Rate-Limit-Remaining` / `X-Rate-Limit-Reset`). */
export interface RateLimitHeaders {
  /** The header counting the requests left in the current window. */
  readonly remaining?: string;
  /** The header saying when the window resets. */
  readonly reset?: string;
  /** @default 'auto' */
  readonly resetFormat?: ResetFormat;
}

/**
 * Milliseconds until a rate-limit reset given as epoch seconds or seconds from now. `auto` reads a large
 * number (past 1e9) as epoch seconds and a small one as seconds from now (IETF draft RateLimit-Reset).
 */
export const resetDelayMs = (
  value: string | null | undefined,
  format: ResetFormat = 'auto',
  now = Date.now(),
): number | undefined => {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) return undefined;
  const epoch = format === 'epoch_seconds' || (format === 'auto' && number > 1e9);
  return Math.max(0, epoch ? number * 1_000 - now : number * 1_000);
};

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Without it, reads the source's
 * own reset header when one is named (`rateLimit.reset`), else the ones many APIs send
 * (`X-RateLimit-Reset` / `RateLimit-Reset`, as epoch seconds or seconds from now).
 */
export const retryAfterMs = (
  headers: Headers,
  now = Date.now(),
  rateLimit?: RateLimitHeaders,
): number | undefined => {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  if (rateLimit?.reset) {
    const own = resetDelayMs(headers.get(rateLimit.reset), rateLimit.resetFormat, now);
    if (own !== undefined) return own;
  }
  return resetDelayMs(headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset'), 'auto', now);
};

/** Sleeps `ms`, or rejects as soon as `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
