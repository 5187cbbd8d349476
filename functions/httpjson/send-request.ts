import type { ConnectorContext } from '../../shared/connector.js';
import type { HttpRequest, HttpResponse } from '../../shared/http-client.js';
import { isTokenRejected } from '../../shared/oauth2/oauth2-session.js';
import { authHeaders } from './auth.js';
import type { HttpJsonParams } from './params.js';
import {
  type LimitScope,
  noteRateLimit,
  paceRequest,
  type RateLimitConfig,
  rateLimitHeaders,
} from './rate-limit.js';

/** Header names in lower case, so a configured `Accept` replaces the client's default `accept`, not joins it. */
export const lowerCaseNames = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

const bearerOf = (headers: Record<string, string>): string | undefined =>
  /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];

/**
 * Sends one request of the instance (a page, or a batch of details): paces for its rate limit first,
 * authenticates it, and notes what the response says about the limit. An OAuth2 token the API answers
 * 401 to is replaced once (revoked, or expired early); a second 401 is the credentials' fault.
 */
export const sendRequest = async (
  ctx: ConnectorContext<HttpJsonParams>,
  request: HttpRequest,
  limit: { readonly scope: LimitScope; readonly config: RateLimitConfig | undefined },
): Promise<HttpResponse<unknown>> => {
  await paceRequest(ctx, limit.config, limit.scope, request.url);
  const send = async (auth: Record<string, string>) =>
    ctx.http.request<unknown>({
      ...request,
      headers: { ...request.headers, ...lowerCaseNames(auth) },
      rateLimit: rateLimitHeaders(limit.config),
    });
  const auth = await authHeaders(ctx);
  let response: HttpResponse<unknown>;
  try {
    response = await send(auth);
  } catch (error) {
    const rejected = bearerOf(lowerCaseNames(auth));
    if (ctx.params.auth.type !== 'oauth2' || !isTokenRejected(error) || rejected === undefined) throw error;
    ctx.logger.info('The source refused the OAuth2 token (401); refreshing it once', {
      url: new URL(request.url).pathname,
    });
    response = await send(await authHeaders(ctx, { rejected }));
  }
  noteRateLimit(ctx, limit.config, limit.scope, response.headers);
  return response;
};
