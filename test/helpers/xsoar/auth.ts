import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * How the stand-in checks credentials:
 * - XSOAR 6: `Authorization: <api key>` ("Create single incident", Cortex XSOAR 6 API; swagger
 *   `securityDefinitions.api_key`).
 * - XSOAR 8 standard key: `Authorization: <key>` and `x-xdr-auth-id: <key id>`; advanced key:
 *   `Authorization: sha256(key + nonce + timestamp)` in hex, `x-xdr-nonce` (64 letters and digits),
 *   `x-xdr-timestamp` (ms) and `x-xdr-auth-id` ("Make your first API call", Cortex XSIAM / XSOAR 8
 *   platform APIs). The advanced key exists "to prevent replay attacks", so a nonce is accepted once
 *   and a timestamp more than 5 minutes off is refused.
 * - Generic Webhook: basic auth, or with the username `_header:<Name>` the header <Name> must equal
 *   the password (demisto/content GenericWebhook.py `handle_post`, compare_digest).
 */
export interface StandInCredentials {
  readonly apiKey?: string;
  readonly apiKeyId?: string;
  readonly apiKeyType?: 'standard' | 'advanced';
  readonly username?: string;
  readonly password?: string;
}

const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const same = (presented: string | undefined, expected: string | undefined): boolean => {
  if (presented === undefined || expected === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const header = (request: IncomingMessage, name: string) => {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

/** Checks an API request; `seenNonces` is the server's memory of advanced nonces. */
export const apiKeyAccepted = (
  request: IncomingMessage,
  flavour: 6 | 8,
  credentials: StandInCredentials,
  seenNonces: Set<string>,
): boolean => {
  const authorization = header(request, 'authorization');
  if (flavour === 6) return same(authorization, credentials.apiKey);
  if (!same(header(request, 'x-xdr-auth-id'), credentials.apiKeyId)) return false;
  if (credentials.apiKeyType !== 'advanced') return same(authorization, credentials.apiKey);
  const nonce = header(request, 'x-xdr-nonce') ?? '';
  const timestamp = header(request, 'x-xdr-timestamp') ?? '';
  if (!/^[A-Za-z0-9]{64}$/.test(nonce) || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(Date.now() - Number(timestamp)) > MAX_CLOCK_SKEW_MS) return false;
  if (seenNonces.has(nonce)) return false;
  const expected = createHash('sha256').update(`${credentials.apiKey}${nonce}${timestamp}`).digest('hex');
  if (!same(authorization, expected)) return false;
  seenNonces.add(nonce);
  return true;
};

/** Checks a Generic Webhook request; no configured username means the instance takes anyone. */
export const webhookAccepted = (request: IncomingMessage, credentials: StandInCredentials): boolean => {
  const { username, password = '' } = credentials;
  if (!username) return true;
  const headerName = /^_header:(.+)$/.exec(username)?.[1];
  if (headerName) return same(header(request, headerName), password);
  const basic = /^Basic (.+)$/.exec(header(request, 'authorization') ?? '')?.[1];
  const [user, ...rest] = Buffer.from(basic ?? '', 'base64')
    .toString()
    .split(':');
  return same(user, username) && same(rest.join(':'), password);
};

/** The header the webhook hides from the raw JSON it stores (it pops the secret header). */
export const webhookSecretHeader = (credentials: StandInCredentials): string =>
  (/^_header:(.+)$/.exec(credentials.username ?? '')?.[1] ?? 'Authorization').toLowerCase();
