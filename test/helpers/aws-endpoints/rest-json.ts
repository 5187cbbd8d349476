import type { AwsResponse } from './protocol.js';

/**
 * The restJson1 protocol (Security Hub, GuardDuty): the operation is the HTTP method and path, input
 * and output are plain JSON bodies, an error is its HTTP status with the exception's name in the
 * `x-amzn-ErrorType` header (the SDK v3 deserialiser reads it first, then `__type`/`code` in the body).
 * Each service names its message member its own way, so the body is the service's to shape.
 */

/** One restJson1 request, as a service's router sees it. */
export interface RestJsonRequest {
  readonly method: string;
  /** The URL path, percent-decoded per segment by the router. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** A local restJson1 service: answers the requests whose path it owns, `undefined` for the others. */
export type RestJsonService = (request: RestJsonRequest) => AwsResponse | undefined;

/** A restJson1 success response. */
export function restJsonResponse(output: unknown, status = 200): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(output),
  };
}

/** A restJson1 error response: the status, the error type header, the service-shaped body. */
export function restJsonError(status: number, type: string, body: Record<string, unknown>): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify(body),
  };
}

/** The JSON body of a request, or `undefined` when it is not a JSON object (a SerializationException). */
export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An opaque pagination token bound to the query it continues: real services refuse a token replayed
 * with other filters, which a client that rebuilds its request between pages must notice.
 */
export const pageToken = {
  encode: (query: unknown, offset: number): string =>
    Buffer.from(JSON.stringify({ q: JSON.stringify(query), o: offset })).toString('base64url'),
  /** The offset the token continues at, or `undefined` when it is not one of ours for this query. */
  decode(token: string, query: unknown): number | undefined {
    try {
      const { q, o } = JSON.parse(Buffer.from(token, 'base64url').toString()) as { q?: string; o?: number };
      return q === JSON.stringify(query) && Number.isInteger(o) && (o as number) >= 0 ? o : undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * Counts requests the way an API throttle does: a token bucket of `burst` requests refilled at
 * `perSecond`. `throttleNext(n)` makes the next `n` requests throttled whatever the bucket holds.
 */
export class RequestThrottle {
  #tokens: number;
  #refilledAt = Date.now();
  #forced = 0;

  constructor(private readonly limit?: { readonly perSecond: number; readonly burst: number }) {
    this.#tokens = limit?.burst ?? 0;
  }

  throttleNext(count = 1): void {
    this.#forced += count;
  }

  /** Spends one request; `false` when it must be answered with the service's throttling error. */
  take(): boolean {
    if (this.#forced > 0) {
      this.#forced--;
      return false;
    }
    if (!this.limit) return true;
    const now = Date.now();
    this.#tokens = Math.min(
      this.limit.burst,
      this.#tokens + ((now - this.#refilledAt) / 1000) * this.limit.perSecond,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
