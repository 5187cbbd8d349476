import { createHash, randomUUID } from 'node:crypto';
import { StateConflictError } from '../errors.js';
import type { HttpClient } from '../http-client.js';
import type { IntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';
import { registerSecrets } from '../redact.js';
import { sleep } from '../retry.js';
import { type AccessToken, type ClientCredentials, requestToken } from './token-request.js';

/**
 * The instance's OAuth2 token, cached in its integration context as XSOAR integrations do
 * (`set_integration_context({'access_token': ..., 'valid_until': ...})`), so every fetch of the
 * instance, in any Lambda, reuses one token until it is about to expire.
 *
 * No stampede: whoever finds no usable token first claims the refresh with a versioned context write
 * (one writer wins); the losers re-read and wait for the winner's token instead of asking the token
 * endpoint themselves. A claim expires, so a fetch that dies while refreshing blocks nobody for long.
 * Inside one process, refreshes of one context are also single-flight (the runner's prefetch shares a
 * context handle between two fetches).
 */

/** What the context holds per token (credentials fingerprint → entry). */
interface CachedEntry {
  readonly token?: AccessToken;
  readonly refreshing?: { readonly by: string; readonly until: number };
}

export interface TokenSource {
  readonly http: HttpClient;
  readonly context: IntegrationContext;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** How long a refresh claim holds: a token request (with its retries) normally ends well within it. */
const CLAIM_MS = 20_000;
const POLL_MS = 100;
const KEY_PREFIX = 'oauth2:';

/**
 * Refresh this long before the expiry: a tenth of the lifetime, at most five minutes (a one-hour token
 * is renewed at 55 minutes, a 20-second one at 18 seconds), so no request carries a token that expires
 * on the way.
 */
export const refreshMarginMs = (token: AccessToken): number =>
  Math.min(300_000, (token.expiresAt - token.obtainedAt) / 10);

const usable = (token: AccessToken | undefined, now: number, rejected?: string): token is AccessToken =>
  token !== undefined && token.accessToken !== rejected && now < token.expiresAt - refreshMarginMs(token);

/**
 * The context key of a set of credentials: a changed token URL, client or scope is another token. The
 * secret is hashed in too, so a rotated secret does not keep using a token of the old one.
 */
export const tokenKey = (credentials: ClientCredentials): string =>
  KEY_PREFIX +
  createHash('sha256')
    .update(
      JSON.stringify([
        credentials.tokenUrl,
        credentials.clientId,
        credentials.clientSecret,
        credentials.scope ?? '',
        credentials.audience ?? '',
        credentials.extraParams ?? {},
      ]),
    )
    .digest('hex')
    .slice(0, 24);

const entryOf = (value: Record<string, unknown>, key: string): CachedEntry =>
  (value[key] as CachedEntry | undefined) ?? {};

/** Per context handle: the token in hand and the refresh under way, so one fetch reads the context once. */
const inProcess = new WeakMap<
  IntegrationContext,
  Map<string, { token?: AccessToken; pending?: Promise<AccessToken> }>
>();

const slotOf = (context: IntegrationContext, key: string) => {
  const slots = inProcess.get(context) ?? new Map();
  inProcess.set(context, slots);
  const slot = slots.get(key) ?? {};
  slots.set(key, slot);
  return slot;
};

const isConflict = (error: unknown) => error instanceof StateConflictError;

/** Reads the context, claims the refresh or waits for another's, and returns a usable token. */
const obtain = async (
  source: TokenSource,
  credentials: ClientCredentials,
  key: string,
  rejected: string | undefined,
): Promise<AccessToken> => {
  const me = randomUUID();
  const { context } = source;
  for (;;) {
    const value = await context.get();
    const entry = entryOf(value, key);
    const now = Date.now();
    if (usable(entry.token, now, rejected)) {
      registerSecrets([entry.token.accessToken]);
      return entry.token;
    }
    if (entry.refreshing && entry.refreshing.until > now) {
      // Another fetch is asking the token endpoint: wait for its token rather than ask too.
      await sleep(POLL_MS, source.signal);
      continue;
    }
    try {
      await context.set({ ...value, [key]: { ...entry, refreshing: { by: me, until: now + CLAIM_MS } } });
    } catch (error) {
      if (isConflict(error)) continue; // another writer won: re-read
      throw error;
    }
    let token: AccessToken;
    try {
      token = await requestToken(source.http, credentials);
    } catch (error) {
      // Free the claim so the next fetch tries at once; if even that write fails, the claim expires.
      await context.set({ ...value, [key]: { token: entry.token } }).catch(() => undefined);
      throw error;
    }
    source.logger.info('Obtained an OAuth2 access token', {
      tokenUrl: new URL(credentials.tokenUrl).origin,
      expiresAt: new Date(token.expiresAt).toISOString(),
    });
    await store(source, key, me, token);
    return token;
  }
};

/** Writes the new token over our claim; on a conflict, merges with what another writer left. */
const store = async (source: TokenSource, key: string, me: string, token: AccessToken): Promise<void> => {
  let value = await source.context.get().catch(() => undefined);
  for (let attempt = 0; value && attempt < 5; attempt++) {
    const entry = entryOf(value, key);
    // Our claim expired and someone else stored a token meanwhile: theirs stays, ours is used once.
    if (entry.refreshing?.by !== me && entry.token && entry.token.expiresAt >= token.expiresAt) return;
    try {
      await source.context.set({ ...value, [key]: { token } });
      return;
    } catch (error) {
      if (!isConflict(error)) break;
      value = await source.context.get().catch(() => undefined);
    }
  }
  source.logger.warn(
    'Could not cache the OAuth2 token in the integration context; the next fetch asks again',
  );
};

/**
 * A bearer token for `credentials`: the one in hand or in the integration context while it is not
 * within its refresh margin, else a fresh one. `rejected` is a token the API just answered 401 to: it
 * is not reused even if it looks valid (revoked, or the clocks disagree).
 */
export const bearerToken = async (
  source: TokenSource,
  credentials: ClientCredentials,
  options: { rejected?: string } = {},
): Promise<string> => {
  const key = tokenKey(credentials);
  const slot = slotOf(source.context, key);
  for (;;) {
    if (usable(slot.token, Date.now(), options.rejected)) return slot.token.accessToken;
    if (slot.pending) {
      // Single-flight inside the process: wait for the refresh under way, then look again.
      await slot.pending.catch(() => undefined);
      continue;
    }
    const pending = obtain(source, credentials, key, options.rejected).then((token) => {
      slot.token = token;
      return token;
    });
    const settled = pending.finally(() => {
      slot.pending = undefined;
    });
    settled.catch(() => undefined); // a failure reaches the caller through `pending`
    slot.pending = settled;
    // What the refresh returns is used even if it equals `rejected`: a provider may hand out the same token.
    return (await pending).accessToken;
  }
};
