/**
 * The demo source's rate limit, enforced the way vendors do: a fixed window (GitHub's hourly and Okta's
 * per-minute limits reset at a fixed time, not on a sliding scale), its state in headers on every
 * answer, and 429 with `Retry-After` beyond it.
 *
 * Headers, as GitHub (docs.github.com, "Rate limits for the REST API") and many others send them:
 * - `X-RateLimit-Limit`: requests allowed per window;
 * - `X-RateLimit-Remaining`: requests left in the current window, after this one;
 * - `X-RateLimit-Reset`: when the window resets, in UTC epoch seconds;
 * - `Retry-After` (RFC 9110 §10.2.3) on a 429: whole seconds until the window resets.
 */

import { parseDuration } from '../../shared/duration.js';

/** A request budget: at most `requests` per window of `perMs` milliseconds. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

/** The limiter's verdict on one request: whether it is admitted, and the headers to answer with. */
export interface RateLimitVerdict {
  readonly admitted: boolean;
  readonly headers: Record<string, string>;
}

/**
 * A fixed-window limiter. Windows are aligned to multiples of `perMs` since the epoch, so a window of a
 * whole number of seconds resets exactly at the instant `X-RateLimit-Reset` names.
 */
export const createRateLimiter = (limit: RateLimit, now: () => number) => {
  let windowStart = Number.NEGATIVE_INFINITY;
  let used = 0;
  return {
    admit(): RateLimitVerdict {
      const at = now();
      const start = Math.floor(at / limit.perMs) * limit.perMs;
      if (start !== windowStart) {
        windowStart = start;
        used = 0;
      }
      const resetMs = windowStart + limit.perMs;
      const admitted = used < limit.requests;
      if (admitted) used++;
      const headers: Record<string, string> = {
        'X-RateLimit-Limit': String(limit.requests),
        'X-RateLimit-Remaining': String(limit.requests - used),
        'X-RateLimit-Reset': String(Math.ceil(resetMs / 1000)),
      };
      if (!admitted) headers['Retry-After'] = String(Math.max(1, Math.ceil((resetMs - at) / 1000)));
      return { admitted, headers };
    },
  };
};

/**
 * Reads a rate limit such as "5 per second", "100 per minute" or "20 per 10s" (the `DEMO_RATE_LIMIT`
 * setting); `undefined` when the text is not one.
 */
export const parseRateLimit = (text: string): RateLimit | undefined => {
  const match = /^\s*(\d+)\s+(?:requests?\s+)?per\s+(.+?)\s*$/i.exec(text);
  if (!match) return undefined;
  const requests = Number(match[1]);
  const window = match[2]!;
  // "per second" is "per 1 second".
  const perMs = parseDuration(/^\d/.test(window) ? window : `1 ${window}`);
  if (!perMs || perMs < 1 || requests < 1) return undefined;
  return { requests, perMs };
};
