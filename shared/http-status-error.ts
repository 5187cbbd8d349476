import { ErrorCodes, SourceError } from './errors.js';
import { redactAndTruncate } from './redact.js';
import { type RateLimitHeaders, retryAfterMs } from './retry.js';

// What a source's HTTP answer becomes when it is not a success: one SourceError with the code the
// runner and the history act on, and a message that says what to check without leaking a credential.

/** Strips the query string: it may carry credentials, and error messages end up in the history. */
export const describeUrl = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
};

/** A body in an error message: redacted before it is shortened (a cut secret would no longer match). */
export const snippet = (text: string): string => redactAndTruncate(text, 300);

/**
 * The reason a source gives in an error body: its own short field (`message`, `error_description`,
 * `error`, `errors`, `detail`, `title`; RFC 6749 §5.2's `error_description`/`error` for a token
 * endpoint), whitespace folded, redacted and capped at 120 characters; undefined when the body is not
 * JSON or says none. For a 401/403 this is all of the body an error keeps: an auth failure is where a
 * source echoes the credential it refused, in whatever form.
 */
export const sourceReason = (text: string): string | undefined => {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const fields = ['message', 'error_description', 'error', 'errors', 'detail', 'title'];
  // `{"error": {"message": "…"}}` or `{"errors": [{"message": "…"}]}` (CrowdStrike) is as deep as real
  // APIs nest it; a hostile body may nest far deeper.
  const pick = (value: unknown, depth = 0): string | undefined => {
    if (!value || typeof value !== 'object' || depth > 3) return undefined;
    if (Array.isArray(value)) return pick(value[0], depth + 1);
    for (const field of fields) {
      const inner = Object.hasOwn(value, field) ? (value as Record<string, unknown>)[field] : undefined;
      if (typeof inner === 'string' && inner.trim() !== '') return inner;
      const nested = pick(inner, depth + 1);
      if (nested) return nested;
    }
    return undefined;
  };
  const reason = pick(body);
  return reason ? redactAndTruncate(reason.replace(/\s+/g, ' '), 120) : undefined;
};

/** `The source says: "…".`, or nothing when it gave no reason. */
export const saysReason = (reason: string | undefined): string =>
  reason ? `The source says: "${reason}".` : '';

/** A 403 that is a spent rate limit (GitHub's primary limit), told by the source's remaining header. */
const isSpentLimit = (status: number, headers: Headers, rateLimit: RateLimitHeaders | undefined) =>
  status === 403 && rateLimit?.remaining !== undefined && headers.get(rateLimit.remaining)?.trim() === '0';

export const statusError = (
  method: string,
  url: string,
  status: number,
  text: string,
  headers: Headers,
  rateLimit?: RateLimitHeaders,
) => {
  const where = `${method} ${describeUrl(url)}`;
  const spent = isSpentLimit(status, headers, rateLimit);
  if ((status === 401 || status === 403) && !spent) {
    const refused = `${where} answered ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}`;
    const reason = sourceReason(text);
    return new SourceError(
      ErrorCodes.SOURCE_AUTH,
      `${refused}: check the instance's credentials (secret) and their permissions. ${saysReason(reason)}`.trim(),
      // A sink's refusal names the sink's own credential: it takes only what the server answered.
      {
        status,
        url: describeUrl(url),
        ...(reason ? { reason } : {}),
        answer: `${refused}. ${saysReason(reason)}`.trim(),
      },
    );
  }
  if (status === 429 || spent) {
    const wait = retryAfterMs(headers, Date.now(), rateLimit);
    return new SourceError(
      ErrorCodes.SOURCE_RATE_LIMITED,
      `${where} is rate limited (${spent ? `403, ${rateLimit?.remaining}: 0` : '429'})${wait === undefined ? '' : `; it asks to retry after ${Math.ceil(wait / 1000)}s`}. The next fetch retries; lower the fetch interval or max_fetch if it persists.`,
      {
        status,
        url: describeUrl(url),
        answer: `${where} answered ${status}`,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      },
    );
  }
  const reason = sourceReason(text);
  return new SourceError(
    ErrorCodes.SOURCE_HTTP,
    `${where} answered ${status}${status >= 500 ? ' (a server error at the source; the next fetch retries)' : ': check the instance parameters (URL, query)'}. ${snippet(text)}`.trim(),
    {
      status,
      url: describeUrl(url),
      ...(reason ? { reason } : {}),
      answer: `${where} answered ${status}. ${snippet(text)}`.trim(),
    },
  );
};
