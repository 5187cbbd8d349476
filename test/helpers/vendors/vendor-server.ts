import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { SourceRequest } from '../../../shared/kit/index.js';
import { type ListeningServer, listen as listenServer } from '../../../shared/listen.js';

/** One request a vendor server answered. */
export interface RecordedRequest extends SourceRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A vendor's rate limit: `limit` requests per window of `windowMs`. `take` spends one; when none is
 * left the vendor answers as it does when rate limited (429, or GitHub's 403) until `resetAt`.
 */
export class Quota {
  remaining: number;
  resetAt: number;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.remaining = limit;
    this.resetAt = now() + windowMs;
  }

  /** Spends one request; `false` when none is left before the reset. */
  take(): boolean {
    const now = this.now();
    if (now >= this.resetAt) {
      this.remaining = this.limit;
      this.resetAt = now + this.windowMs;
    }
    if (this.remaining <= 0) return false;
    this.remaining--;
    return true;
  }

  /** Sets what is left and when the window resets (tests of pacing). */
  set(remaining: number, resetInMs: number): void {
    this.remaining = remaining;
    this.resetAt = this.now() + resetInMs;
  }

  /** Seconds until the reset, rounded up (what `*-Reset: <seconds>` headers say). */
  secondsToReset(): number {
    return Math.max(0, Math.ceil((this.resetAt - this.now()) / 1000));
  }

  /** The reset as epoch seconds, rounded up (what GitHub's and Okta's reset headers say). */
  resetEpochSeconds(): number {
    return Math.ceil(this.resetAt / 1000);
  }
}

/** What every vendor server records and lets a test control. */
export interface VendorControls {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  readonly quota: Quota;
  /** The next request is answered as the vendor answers when rate limited, asking to wait `seconds`. */
  rateLimitNext(seconds: number): void;
}

/** The advertised delay of a rate-limited answer, set by a vendor's handler for the recorder. */
export const ADVERTISED = 'advertisedMs';

/** Records every request with its status (and a rate-limited answer's advertised delay). */
export const recordRequests =
  (requests: RecordedRequest[]): MiddlewareHandler =>
  async (c, next) => {
    const at = Date.now();
    await next();
    const url = new URL(c.req.url);
    const advertisedMs = c.get(ADVERTISED as never) as number | undefined;
    requests.push({
      at,
      status: c.res.status,
      method: c.req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(c.req.raw.headers),
      ...(advertisedMs === undefined ? {} : { advertisedMs }),
    });
  };

/** Notes the delay a rate-limited answer advertises, for {@link recordRequests}. */
export const advertise = (c: Context, ms: number): void => c.set(ADVERTISED as never, ms as never);

/** A running vendor server. */
export type RunningServer = ListeningServer;

/** Serves `app` on an ephemeral port of 127.0.0.1. */
export const listen = (app: Hono): Promise<RunningServer> =>
  listenServer(createAdaptorServer({ fetch: app.fetch }) as Server);

/** Epoch ms as the second-precision ISO-8601 many APIs write: `2026-03-10T12:00:00Z`. */
export const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** A deterministic id generator: `prefix` and a counter in base 36, padded. */
export const idSequence = (prefix: string, width = 6) => {
  let next = 1;
  return () => `${prefix}${(next++).toString(36).toUpperCase().padStart(width, '0')}`;
};

/** Parses an ISO-8601 query value the way these APIs do; `undefined` when it is not one. */
export const parseIsoParam = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  // An unencoded '+' of an offset arrives as a space.
  const text = value.replace(' ', '+');
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text))
    return undefined;
  const ms = Date.parse(/T[\d:.]+$/.test(text) ? `${text}Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
};
