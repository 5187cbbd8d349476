import { ErrorCodes, SourceError } from './errors.js';
import { type RateLimitHeaders, resetDelayMs, retryAfterMs, sleep } from './retry.js';

/**
 * Paces requests to a source by the rate limit it advertises, so that a drain runs at the limit instead
 * of into it: most APIs say on every answer how many requests the window has left and when it resets
 * (`X-RateLimit-Remaining` / `X-RateLimit-Reset`: GitHub, Okta, CrowdStrike, Zendesk; the IETF draft's
 * `RateLimit-Remaining` / `RateLimit-Reset`). When the window is spent, the next request waits for the
 * reset rather than earning a 429 and a back-off.
 *
 * Requests in flight count against what is left, so the drain's prefetched page cannot overdraw a window
 * that one answer left at 1. A 429 teaches the pacer too (its `Retry-After`), and widens the margin it
 * keeps after a reset, in case the source's clock runs ahead of ours.
 */
export interface RateLimitPacer {
  /**
   * Waits until the source's window has room for one more request, then counts it in flight until the
   * returned function is called with its answer (or with nothing, when it failed without one).
   */
  acquire(origin: string, signal?: AbortSignal): Promise<(answer?: PacedAnswer) => void>;
  /** How much pacing there was: requests that waited, and how long in all. */
  stats(): PacingStats;
}

/** What the pacer reads off an answer: its status and rate-limit headers. */
export interface PacedAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The source's own header names, when it has its own. */
  readonly rateLimit?: RateLimitHeaders;
}

export interface PacingStats {
  readonly pacedRequests: number;
  readonly pacedMs: number;
}

export interface RateLimitPacerOptions {
  /** @default Date.now */
  readonly clock?: () => number;
  /**
   * A wait longer than this is not made: the request fails at once as rate limited, with the time to
   * wait, and the next fetch continues (an hourly limit spent must not hold an invocation to its deadline).
   * @default 30_000
   */
  readonly maxWaitMs?: number;
}

interface Window {
  /** Requests the source said were left; `undefined` until an answer says, and after a reset. */
  remaining?: number;
  /** When the source said its window resets (epoch ms). */
  resetAt?: number;
  inFlight: number;
}

/** Kept after a reset before the next request goes, grown by each 429 (clock skew with the source). */
const INITIAL_MARGIN_MS = 10;
const MAX_MARGIN_MS = 2_000;

const headerNumber = (headers: Headers, names: readonly (string | undefined)[]): number | undefined => {
  for (const name of names) {
    if (!name) continue;
    const value = headers.get(name);
    if (value === null || value.trim() === '') continue;
    const number = Number(value);
    if (Number.isFinite(number) && number >= 0) return number;
  }
  return undefined;
};

const resetHeader = (headers: Headers, rateLimit: RateLimitHeaders | undefined, now: number) => {
  if (rateLimit?.reset) {
    const own = resetDelayMs(headers.get(rateLimit.reset), rateLimit.resetFormat, now);
    if (own !== undefined) return own;
  }
  return resetDelayMs(headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset'), 'auto', now);
};

/**
 * Creates a pacer for one invocation of one instance (the runner makes one and hands it to every
 * page's HTTP client, the prefetched one included).
 * @example
 * const pacer = createRateLimitPacer();
 * const http = createHttpClient({ pacer });
 */
export const createRateLimitPacer = (options: RateLimitPacerOptions = {}): RateLimitPacer => {
  const clock = options.clock ?? Date.now;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const windows = new Map<string, Window>();
  let marginMs = INITIAL_MARGIN_MS;
  let pacedRequests = 0;
  let pacedMs = 0;

  const learn = (window: Window, { status, headers, rateLimit }: PacedAnswer) => {
    const now = clock();
    if (status === 429) {
      marginMs = Math.min(MAX_MARGIN_MS, marginMs * 2);
      const wait = retryAfterMs(headers, now, rateLimit);
      if (wait !== undefined) {
        window.remaining = 0;
        window.resetAt = Math.max(window.resetAt ?? 0, now + wait);
        return;
      }
    }
    const remaining = headerNumber(headers, [
      rateLimit?.remaining,
      'x-ratelimit-remaining',
      'ratelimit-remaining',
    ]);
    if (remaining === undefined) return;
    const resetIn = resetHeader(headers, rateLimit, now);
    const resetAt = resetIn === undefined ? undefined : now + resetIn;
    if (resetAt !== undefined && resetAt <= now) return;
    // Answers overtake each other: an older window's answer must not overwrite a newer one's count, and
    // within one window the lowest count is the latest.
    const sameWindow =
      resetAt !== undefined && window.resetAt !== undefined && Math.abs(resetAt - window.resetAt) < 1_000;
    if (!sameWindow && resetAt !== undefined && window.resetAt !== undefined && resetAt < window.resetAt)
      return;
    window.remaining =
      sameWindow && window.remaining !== undefined ? Math.min(window.remaining, remaining) : remaining;
    window.resetAt = sameWindow ? window.resetAt : resetAt;
  };

  const windowOf = (origin: string): Window => {
    let window = windows.get(origin);
    if (!window) {
      window = { inFlight: 0 };
      windows.set(origin, window);
    }
    return window;
  };

  return {
    async acquire(origin, signal) {
      const window = windowOf(origin);
      let waited = false;
      for (;;) {
        const now = clock();
        if (window.resetAt !== undefined && now >= window.resetAt + marginMs) {
          // A new window: how much it holds is unknown until its first answer says.
          window.remaining = undefined;
          window.resetAt = undefined;
        }
        if (window.remaining === undefined || window.remaining - window.inFlight > 0) break;
        if (window.resetAt === undefined) {
          // Spent, with no word of when it resets: let one request through at a time.
          if (window.inFlight === 0) break;
          await sleep(50, signal);
          continue;
        }
        const waitMs = window.resetAt + marginMs - now;
        if (waitMs > maxWaitMs) {
          throw new SourceError(
            ErrorCodes.SOURCE_RATE_LIMITED,
            `${origin} has spent its rate limit until ${new Date(window.resetAt).toISOString()} (${Math.ceil(waitMs / 1000)}s away); the next fetch continues from here.`,
            { url: origin, retryAfterMs: waitMs },
          );
        }
        if (!waited) pacedRequests++;
        waited = true;
        const started = clock();
        await sleep(waitMs, signal);
        pacedMs += clock() - started;
      }
      window.inFlight++;
      let done = false;
      return (answer) => {
        if (done) return;
        done = true;
        window.inFlight--;
        if (answer) learn(window, answer);
      };
    },

    stats: () => ({ pacedRequests, pacedMs }),
  };
};
