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

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Also understands the
 * rate-limit reset headers many APIs send instead (`X-RateLimit-Reset` / `RateLimit-Reset`, as epoch
 * seconds or seconds from now).
 */
export const retryAfterMs = (headers: Headers, now = Date.now()): number | undefined => {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset');
  if (reset) {
    const value = Number(reset);
    if (Number.isFinite(value)) {
      // Epoch seconds are large; a small number is seconds from now (IETF draft RateLimit-Reset).
      return Math.max(0, value > 1e9 ? value * 1_000 - now : value * 1_000);
    }
  }
  return undefined;
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
