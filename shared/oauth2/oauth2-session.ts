import { ConfigError, ErrorCodes, SourceError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../http-client.js';
import { bearerToken, type TokenSource } from './token-cache.js';
import type { ClientCredentials } from './token-request.js';

/**
 * OAuth2 client credentials for a coded connector: `session.request(...)` sends a request to the API
 * with `Authorization: Bearer <token>`, the token cached in the instance's integration context and
 * refreshed before it expires, and once more when the API answers 401 (a revoked or early-expired
 * token). The client secret only ever goes to the token URL; the bearer token only to `apiOrigin`.
 *
 * @example
 * const session = oauth2Session(ctx, {
 *   tokenUrl: `${ctx.params.url}/oauth2/token`, clientId: ctx.secrets.client_id,
 *   clientSecret: ctx.secrets.client_secret, clientAuth: 'client_secret_post',
 * }, ctx.params.url);
 * const { body } = await session.request<{ resources: string[] }>({ url: `${ctx.params.url}/alerts/queries/alerts/v2` });
 */
export interface OAuth2Session {
  /** A usable bearer token (for a request built by hand). */
  token(): Promise<string>;
  /** `request` with the bearer token; a 401 refreshes the token and retries once. */
  request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
}

const isUnauthorized = (error: unknown) =>
  error instanceof SourceError && error.code === ErrorCodes.SOURCE_AUTH && error.details.status === 401;

/** True when `error` is the API's 401 to a bearer token (worth one refresh). */
export const isTokenRejected = isUnauthorized;

/** An OAuth2 session over a connector context (`ctx.http`, `ctx.context`, `ctx.logger`, `ctx.signal`). */
export const oauth2Session = (
  source: TokenSource,
  credentials: ClientCredentials,
  apiOrigin: string,
): OAuth2Session => {
  const origin = new URL(apiOrigin).origin;
  const checkOrigin = (url: string) => {
    if (new URL(url).origin !== origin) {
      throw new ConfigError(
        `The OAuth2 bearer token is for ${origin}; a request to ${new URL(url).origin} would carry it elsewhere. ` +
          'Send it from a session of that origin.',
      );
    }
  };
  const send = <T>(request: HttpRequest, token: string) =>
    source.http.request<T>({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${token}` },
    });
  return {
    token: () => bearerToken(source, credentials),
    async request<T>(request: HttpRequest) {
      checkOrigin(request.url);
      const token = await bearerToken(source, credentials);
      try {
        return await send<T>(request, token);
      } catch (error) {
        if (!isUnauthorized(error)) throw error;
        source.logger.info('The API refused the OAuth2 token (401); refreshing it once');
        return send<T>(request, await bearerToken(source, credentials, { rejected: token }));
      }
    },
  };
};
