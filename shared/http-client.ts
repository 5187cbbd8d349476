import { ErrorCodes, errorMessage, SourceError } from './errors.js';
import { type BackoffOptions, backoffDelay, type RateLimitHeaders, retryAfterMs, sleep } from './retry.js';

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

/** Strips the query string: it may carry credentials, and error messages end up in the history. */
const describeUrl = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
};

const snippet = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/** A 403 that is a spent rate limit (GitHub's primary limit), told by the source's remaining header. */
const isSpentLimit = (status: number, headers: Headers, rateLimit: RateLimitHeaders | undefined) =>
  status === 403 && rateLimit?.remaining !== undefined && headers.get(rateLimit.remaining)?.trim() === '0';

const statusError = (
  method: string,
  url: string,
  status: number,
  text: string,
  headers: Headers,
  rateLimit?: RateLimitHeaders,
) => {
  const where = `${method} ${describeUrl(url)}`;
  const spent = isSpentLimit(status, headers, rateLimit);
  const answer = `${where} answered ${status}${status === 401 ? ' Unauthorized' : status === 403 ? ' Forbidden' : ''}${text ? `: ${snippet(text)}` : ''}`;
  if ((status === 401 || status === 403) && !spent) {
    return new SourceError(
      ErrorCodes.SOURCE_AUTH,
      `${where} answered ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}: check the instance's credentials (secret) and their permissions. ${snippet(text)}`.trim(),
      { status, url: describeUrl(url), answer },
    );
  }
  if (status === 429 || spent) {
    const wait = retryAfterMs(headers, Date.now(), rateLimit);
    return new SourceError(
      ErrorCodes.SOURCE_RATE_LIMITED,
      `${where} is rate limited (${spent ? `403, ${rateLimit?.remaining}: 0` : '429'})${wait === undefined ? '' : `; it asks to retry after ${Math.ceil(wait / 1000)}s`}. The next fetch retries; lower the fetch interval or max_fetch if it persists.`,
      { status, url: describeUrl(url), answer, ...(wait === undefined ? {} : { retryAfterMs: wait }) },
    );
  }
  return new SourceError(
    ErrorCodes.SOURCE_HTTP,
    `${where} answered ${status}${status >= 500 ? ' (a server error at the source; the next fetch retries)' : ': check the instance parameters (URL, query)'}. ${snippet(text)}`.trim(),
    { status, url: describeUrl(url), answer },
  );
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

  const attempt = async <T>(request: HttpRequest, url: string): Promise<HttpResponse<T>> => {
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
      return await attemptWith<T>(request, url, controller.signal, timeout);
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
    try {
      response = await doFetch(url, { method, headers, body, signal });
    } catch (error) {
      if (timeout.aborted && !options.signal?.aborted) {
        throw new SourceError(
          ErrorCodes.SOURCE_TIMEOUT,
          `${method} ${describeUrl(url)} did not answer within ${request.timeoutMs ?? timeoutMs}ms; the source may be overloaded.`,
          { url: describeUrl(url) },
          { cause: error },
        );
      }
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new SourceError(
        ErrorCodes.SOURCE_UNREACHABLE,
        `${method} ${describeUrl(url)} failed: ${errorMessage((error as Error).cause ?? error)}. Check the URL and that the source is reachable.`,
        { url: describeUrl(url) },
        { cause: error },
      );
    }
    let text: string;
    try {
      text = request.responseType === 'none' ? '' : await response.text();
    } catch (error) {
      // The connection broke mid-body (a page cut short): retryable like a failed connection.
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new SourceError(
        timeout.aborted ? ErrorCodes.SOURCE_TIMEOUT : ErrorCodes.SOURCE_UNREACHABLE,
        `${method} ${describeUrl(url)} answered ${response.status} but the connection broke while the body was read: ${errorMessage((error as Error).cause ?? error)}. The next attempt retries.`,
        { url: describeUrl(url) },
        { cause: error },
      );
    }
    if (!response.ok)
      throw statusError(method, url, response.status, text, response.headers, request.rateLimit);
    let parsed: unknown = text;
    if ((request.responseType ?? 'json') === 'json') {
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch (error) {
        throw new SourceError(
          ErrorCodes.SOURCE_BAD_RESPONSE,
          `${method} ${describeUrl(url)} answered ${response.status} with a body that is not JSON: ${snippet(text)}`,
          { status: response.status, url: describeUrl(url) },
          { cause: error },
        );
      }
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed as T,
      url: response.url || url,
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
          return await attempt<T>(request, url);
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
