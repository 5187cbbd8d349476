import { createHash, randomInt } from 'node:crypto';

/**
 * How the `xsoar` sink authenticates each request. Headers are made per request: an advanced key's
 * nonce and timestamp must differ every time (the server refuses a replayed nonce).
 * Sources: "Make your first API call" (Cortex XSIAM / XSOAR 8 platform APIs: standard and advanced
 * key examples), "Create single incident" (Cortex XSOAR 6 API: `Authorization: <api key>`), the
 * Generic Webhook integration's README and code (demisto/content, Packs/GenericWebhook: basic auth,
 * or `_header:<Name>` as the username and the header's value as the password).
 */
export type XsoarAuth =
  | { readonly kind: 'standard'; readonly apiKey: string; readonly apiKeyId?: string }
  | { readonly kind: 'advanced'; readonly apiKey: string; readonly apiKeyId: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'header'; readonly name: string; readonly value: string }
  | { readonly kind: 'none' };

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 64 random letters and digits, as the documented example draws them. */
export const xdrNonce = (): string =>
  Array.from({ length: 64 }, () => NONCE_ALPHABET[randomInt(NONCE_ALPHABET.length)]).join('');

/** `sha256(key + nonce + timestamp)` in hex: the advanced key's `Authorization`. */
export const advancedKeyHash = (apiKey: string, nonce: string, timestamp: string): string =>
  createHash('sha256').update(`${apiKey}${nonce}${timestamp}`, 'utf8').digest('hex');

/**
 * The headers of one request.
 * @example authHeaders({ kind: 'advanced', apiKey, apiKeyId: '3' }) // x-xdr-nonce, x-xdr-timestamp, …
 */
export const authHeaders = (auth: XsoarAuth, now: () => number = Date.now): Record<string, string> => {
  switch (auth.kind) {
    case 'standard':
      return {
        authorization: auth.apiKey,
        ...(auth.apiKeyId === undefined ? {} : { 'x-xdr-auth-id': auth.apiKeyId }),
      };
    case 'advanced': {
      const nonce = xdrNonce();
      // Milliseconds, whole seconds: the documented example sends int(seconds) * 1000.
      const timestamp = String(Math.floor(now() / 1000) * 1000);
      return {
        authorization: advancedKeyHash(auth.apiKey, nonce, timestamp),
        'x-xdr-auth-id': auth.apiKeyId,
        'x-xdr-nonce': nonce,
        'x-xdr-timestamp': timestamp,
      };
    }
    case 'basic':
      return {
        authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
      };
    case 'header':
      return { [auth.name.toLowerCase()]: auth.value };
    case 'none':
      return {};
  }
};

/**
 * The Generic Webhook's credentials as its instance is configured: a username `_header:<Name>` means
 * "the password is the value of header <Name>", anything else is basic auth.
 */
export const webhookAuth = (username: string | undefined, password: string | undefined): XsoarAuth => {
  if (username === undefined) return { kind: 'none' };
  const header = /^_header:(.+)$/.exec(username)?.[1];
  return header
    ? { kind: 'header', name: header.trim(), value: password ?? '' }
    : { kind: 'basic', username, password: password ?? '' };
};
