import { ErrorCodes, errorMessage, SourceError } from './errors.js';
import { type CrossOriginRedirects, type Hop, isRedirectStatus, nextHop } from './http-redirects.js';
import { describeUrl, snippet, statusError } from './http-status-error.js';
import type { PacedAnswer, RateLimitPacer } from './rate-limit-pacer.js';
import { type BackoffOptions, backoffDelay, type RateLimitHeaders, sleep } from './retry.js';

export interface HttpRequest {
  readonly url: string;
  /** @default 'GET' */
  readonly method?: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly headers?: Record<string, string>;
  /** Sent as JSON unless it is already a string. */
  readonly body?: unknown;
  /** Per-attempt timeout. @default the client's `timeoutMs` */
  readonly timeoutMs?: number;
  /** Parse the body as JSON (`json`), keep it as text, or skip it. @default 'json' */
  readonly responseType?: 'json' | 'text' | 'none';
  /**
   * The source's own rate-limit headers. On a 429 without `Retry-After`, `reset` says how long to wait;
   * a 403 whose `remaining` header is 0 is a rate limit, not a permission problem (GitHub answers so).
   * @default only the common `X-RateLimit-Reset` / `RateLimit-Reset` are read
   */
  readonly rateLimit?: RateLimitHeaders;
  /** Error statuses answered as responses rather than thrown, for a caller that reads their body (a 409). */
  readonly acceptStatus?: readonly number[];
}

export interface HttpResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly url: string;
}

/** The HTTP client a connector gets in its context: retries, backoff, `Retry-After`, timeouts. */
export interface HttpClient {
  request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
}

export interface HttpClientOptions extends BackoffOptions {
  /** Aborts every request and every wait (the invocation's deadline). */
  readonly signal?: AbortSignal;
  /** Attempts after the first for 429, 5xx, timeouts and network errors. @default 3 */
  readonly retries?: number;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** A `Retry-After` longer than this is not waited for: the error goes up with `retryAfterMs`. @default 30_000 */
  readonly maxRetryAfterMs?: number;
  /** Headers on every request (a connector's auth). */
  readonly headers?: Record<string, string>;
  readonly fetch?: typeof fetch;
  /** Paces requests by the rate limit the source advertises (see `rate-limit-pacer.ts`). */
  readonly pacer?: RateLimitPacer;
  /**
   * A redirect to another origin: followed without credentials (`strip`) or refused (`refuse`).
   * Same-origin redirects are followed either way, at most {@link MAX_REDIRECTS} in a row.
   * @default 'strip'
   */
  readonly crossOriginRedirects?: CrossOriginRedirects;
  readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string; url: string }) => void;
}

const withQuery = (url: string, query: HttpRequest['query']): string => {
  if (!query) return url;
  const target = new URL(url);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) target.searchParams.set(key, String(value));
  }
  return target.toString();
};

const isRetryableStatus = (status: number) => status === 429 || status >= 500;

/**
 * Creates the HTTP client connectors use. 429 and 5xx are retried with backoff, honouring
 * `Retry-After`; 401/403/other 4xx fail at once with an error that says what to check.
 * @example const { body } = await http.request<{ alerts: Alert[] }>({ url, query: { since } })
 */
export const createHttpClient = (options: HttpClientOptions = {}): HttpClient => {
  const retries = options.retries ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const doFetch = options.fetch ?? fetch;

  /** One attempt, counted by the pacer from before it leaves until its answer's headers were read. */
  const pacedAttempt = async <T>(request: HttpRequest, url: string): Promise<HttpResponse<T>> => {
    if (!options.pacer) return attempt<T>(request, url);
    const done = await options.pacer.acquire(new URL(url).origin, options.signal);
    let answer: PacedAnswer | undefined;
    try {
      return await attempt<T>(request, url, (status, headers) => {
        answer = { status, headers, rateLimit: request.rateLimit };
      });
    } finally {
      done(answer);
    }
  };

  const attempt = async <T>(
    request: HttpRequest,
    url: string,
    onAnswer?: (status: number, headers: Headers) => void,
  ): Promise<HttpResponse<T>> => {
    // One controller aborted by the timeout or the caller's signal: `AbortSignal.any` and
    // `AbortSignal.timeout` cost a tracked signal and a timer each per request, visible when draining.
    const controller = new AbortController();
    const timeout = { aborted: false };
    const timer = setTimeout(() => {
      timeout.aborted = true;
      controller.abort(new DOMException('The request timed out.', 'TimeoutError'));
    }, request.timeoutMs ?? timeoutMs);
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await attemptWith<T>(request, url, controller.signal, timeout, onAnswer);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  };

  const attemptWith = async <T>(
    request: HttpRequest,
    url: string,
    signal: AbortSignal,
    timeout: { readonly aborted: boolean },
    onAnswer?: (status: number, headers: Headers) => void,
  ): Promise<HttpResponse<T>> => {
    const method = request.method ?? 'GET';
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...options.headers,
      ...request.headers,
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    let response: Response;
    let hop: Hop = { url, method, headers, ...(body === undefined ? {} : { body }) };
    try {
      // Redirects by hand: the origin is checked at every hop (see http-redirects.ts).
      for (let hops = 0; ; hops++) {
        response = await doFetch(hop.url, {
          method: hop.method,
          headers: hop.headers,
          body: hop.body,
          signal,
          redirect: 'manual',
        });
        if (!isRedirectStatus(response.status)) break;
        const location = response.headers.get('location');
        await response.body?.cancel();
        hop = nextHop(hop, response.status, location, hops, options.crossOriginRedirects ?? 'strip');
      }
    } catch (error) {
      if (error instanceof SourceError) throw error;
      if (timeout.aborted && !options.signal?.aborted) {
        throw new SourceError(
          ErrorCodes.SOURCE_TIMEOUT,
          `${hop.method} ${describeUrl(hop.url)} did not answer within ${request.timeoutMs ?? timeoutMs}ms; the source may be overloaded.`,
          { url: describeUrl(hop.url) },
          { cause: error },
        );
      }
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new SourceError(
        ErrorCodes.SOURCE_UNREACHABLE,
        `${hop.method} ${describeUrl(hop.url)} failed: ${errorMessage((error as Error).cause ?? error)}. Check the URL and that the source is reachable.`,
        { url: describeUrl(hop.url) },
        { cause: error },
      );
    }
    onAnswer?.(response.status, response.headers);
    let text: string;
    try {
      text = request.responseType === 'none' ? '' : await response.text();
    } catch (error) {
      // The connection broke mid-body (a page cut short): retryable like a failed connection.
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new SourceError(
        timeout.aborted ? ErrorCodes.SOURCE_TIMEOUT : ErrorCodes.SOURCE_UNREACHABLE,
        `${hop.method} ${describeUrl(hop.url)} answered ${response.status} but the connection broke while the body was read: ${errorMessage((error as Error).cause ?? error)}. The next attempt retries.`,
        { url: describeUrl(hop.url) },
        { cause: error },
      );
    }
    if (!response.ok && !request.acceptStatus?.includes(response.status))
      throw statusError(hop.method, hop.url, response.status, text, response.headers, request.rateLimit);
    let parsed: unknown = text;
    if ((request.responseType ?? 'json') === 'json') {
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch (error) {
        throw new SourceError(
          ErrorCodes.SOURCE_BAD_RESPONSE,
          `${hop.method} ${describeUrl(hop.url)} answered ${response.status} with a body that is not JSON: ${snippet(text)}`,
          { status: response.status, url: describeUrl(hop.url) },
          { cause: error },
        );
      }
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed as T,
      url: hop.url,
    };
  };

  const isRetryable = (error: unknown): error is SourceError =>
    error instanceof SourceError &&
    (error.code === ErrorCodes.SOURCE_TIMEOUT ||
      error.code === ErrorCodes.SOURCE_UNREACHABLE ||
      error.code === ErrorCodes.SOURCE_RATE_LIMITED ||
      (error.details.status !== undefined && isRetryableStatus(error.details.status)));

  return {
    async request<T>(request: HttpRequest): Promise<HttpResponse<T>> {
      const url = withQuery(request.url, request.query);
      for (let attemptNumber = 0; ; attemptNumber++) {
        try {
          return await pacedAttempt<T>(request, url);
        } catch (error) {
          if (!isRetryable(error) || attemptNumber >= retries) throw error;
          const advertised = error.details.retryAfterMs;
          if (advertised !== undefined && advertised > maxRetryAfterMs) throw error;
          const delayMs = advertised ?? backoffDelay(attemptNumber, options);
          options.onRetry?.({
            attempt: attemptNumber + 1,
            delayMs,
            reason: error.message,
            url: describeUrl(url),
          });
          await sleep(delayMs, options.signal);
        }
      }
    },
  };
};
