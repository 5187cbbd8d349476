/**
 * Redirects followed by hand, so that a credential never leaves its origin. `fetch` itself drops
 * `Authorization` on a cross-origin redirect but keeps every other header: a source authenticated by
 * `X-Api-Key` (or a `Cookie`) that answers 302 to another origin would hand it the key. Here the origin is
 * checked at every hop: a same-origin hop carries everything; a cross-origin hop carries only the headers
 * that say what the client wants, never who it is — or is refused, by policy. The number of hops is bounded.
 */
import { ErrorCodes, SourceError } from './errors.js';

/** Hops followed before giving up (browsers follow 20; an API that needs more than a few is broken). */
export const MAX_REDIRECTS = 5;

/**
 * What a cross-origin redirect does: `strip` follows it without any credential (a source moving its
 * pages to a CDN still works, the CDN never sees the key); `refuse` fails the request (sinks: incidents
 * and their token go to the configured endpoint or nowhere).
 */
export type CrossOriginRedirects = 'strip' | 'refuse';

/** Request headers that describe the request, not the caller: the only ones that cross an origin. */
const CROSS_ORIGIN_SAFE_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-language',
  'content-type',
  'user-agent',
]);

/** One request of a redirect chain. */
export interface Hop {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export const isRedirectStatus = (status: number): boolean =>
  status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

/** `https://x` without path, query or userinfo: safe in an error message. */
const originOf = (url: URL) => url.origin;

const refuse = (from: Hop, status: number, why: string, target?: URL) =>
  new SourceError(
    ErrorCodes.SOURCE_REDIRECT,
    `${from.method} ${originOf(new URL(from.url))}${new URL(from.url).pathname} answered ${status} redirecting ` +
      `${target ? `to ${originOf(target)}${target.pathname} ` : ''}— refused: ${why}`,
    { status, url: `${originOf(new URL(from.url))}${new URL(from.url).pathname}` },
  );

/**
 * The request a redirect answer leads to, or a SourceError saying why it is not followed.
 * `hops` is the number of redirects already followed.
 * @example nextHop(hop, 302, response.headers.get('location'), 0, 'strip')
 */
export const nextHop = (
  from: Hop,
  status: number,
  location: string | null,
  hops: number,
  crossOrigin: CrossOriginRedirects,
): Hop => {
  if (!location) throw refuse(from, status, 'the answer has no Location header.');
  if (hops >= MAX_REDIRECTS) {
    throw refuse(
      from,
      status,
      `more than ${MAX_REDIRECTS} redirects in a row; check the URL (a redirect loop?).`,
    );
  }
  const current = new URL(from.url);
  let target: URL;
  try {
    target = new URL(location, current);
  } catch {
    throw refuse(from, status, 'its Location is not a valid URL.');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw refuse(from, status, `its Location uses ${target.protocol}; only http(s) is followed.`);
  }
  if (target.username || target.password) {
    target.username = '';
    target.password = '';
    throw refuse(from, status, 'its Location carries a user name or password.', target);
  }
  if (current.protocol === 'https:' && target.protocol === 'http:') {
    throw refuse(
      from,
      status,
      'it downgrades https to plain http. Configure the http URL yourself if that is really meant.',
      target,
    );
  }
  // Fetch's rules (WHATWG Fetch §4.4): 303 turns anything but HEAD into GET; 301/302 turn POST into GET;
  // 307/308 keep the method and the body.
  const toGet =
    (status === 303 && from.method !== 'HEAD') ||
    ((status === 301 || status === 302) && from.method === 'POST');
  const method = toGet ? 'GET' : from.method;
  const body = toGet ? undefined : from.body;
  let headers = toGet
    ? Object.fromEntries(
        Object.entries(from.headers).filter(([name]) => name.toLowerCase() !== 'content-type'),
      )
    : from.headers;
  if (target.origin !== current.origin) {
    if (crossOrigin === 'refuse') {
      throw refuse(
        from,
        status,
        'it leads to another origin; credentials and data go to the configured one only.',
        target,
      );
    }
    if (body !== undefined) {
      // A body may carry credentials or incidents; it is not handed to another origin.
      throw refuse(
        from,
        status,
        `it leads to another origin and a ${status} would resend the request body there.`,
        target,
      );
    }
    headers = Object.fromEntries(
      Object.entries(headers).filter(([name]) => CROSS_ORIGIN_SAFE_HEADERS.has(name.toLowerCase())),
    );
  }
  return { url: target.toString(), method, headers, ...(body === undefined ? {} : { body }) };
};
