import { ErrorCodes, SourceError } from '../errors.js';
import type { HttpClient } from '../http-client.js';
import { saysReason, describeUrl as where } from '../http-status-error.js';
import { registerSecrets } from '../redact.js';

/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4): one POST of
 * `application/x-www-form-urlencoded` to the token endpoint, the client authenticated by HTTP Basic
 * (`client_secret_basic`, §2.3.1) or by `client_id`/`client_secret` in the body (`client_secret_post`).
 */

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export interface ClientCredentials {
  /** The token endpoint, e.g. `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes (`https://graph.microsoft.com/.default`). */
  readonly scope?: string;
  /** The API the token is for, where the provider asks for it (Auth0, Okta custom servers). */
  readonly audience?: string;
  /** @default 'client_secret_basic' (RFC 6749 §2.3.1: servers must support it) */
  readonly clientAuth?: ClientAuthMethod;
  /** Further form fields the provider needs (CrowdStrike's `member_cid`). */
  readonly extraParams?: Readonly<Record<string, string>>;
}

/** An access token and when it stops being valid (epoch ms). */
export interface AccessToken {
  readonly accessToken: string;
  /** When the token was asked for: its lifetime counts from here, never from the answer. */
  readonly obtainedAt: number;
  readonly expiresAt: number;
}

/** Used when the answer has no `expires_in` (RFC 6749 §5.1 only recommends it); a 401 refreshes earlier. */
const DEFAULT_LIFETIME_S = 3600;

// RFC 6749 Appendix B: the Basic credentials are the form-urlencoded id and secret.
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

const badAnswer = (tokenUrl: string, problem: string) =>
  new SourceError(
    ErrorCodes.SOURCE_AUTH,
    `The OAuth2 token endpoint ${where(tokenUrl)} answered without a usable token: ${problem}. Check the token URL.`,
    { url: where(tokenUrl) },
  );

/** The form body and headers of a token request. Exported for the stand-ins' tests. */
export const tokenRequestOf = (credentials: ClientCredentials) => {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if ((credentials.clientAuth ?? 'client_secret_basic') === 'client_secret_basic') {
    const pair = `${formEncode(credentials.clientId)}:${formEncode(credentials.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  } else {
    form.set('client_id', credentials.clientId);
    form.set('client_secret', credentials.clientSecret);
  }
  if (credentials.scope) form.set('scope', credentials.scope);
  if (credentials.audience) form.set('audience', credentials.audience);
  for (const [name, value] of Object.entries(credentials.extraParams ?? {})) form.set(name, value);
  return { headers, body: form.toString() };
};

/**
 * Asks the token endpoint for a token. The client secret goes to the token URL only; the token is
 * registered for redaction before anyone can log it. A refusal (400 `invalid_client`, 401) is an
 * auth error naming the secrets to check.
 */
export const requestToken = async (
  http: HttpClient,
  credentials: ClientCredentials,
): Promise<AccessToken> => {
  const obtainedAt = Date.now();
  const { headers, body } = tokenRequestOf(credentials);
  let answer: unknown;
  try {
    answer = (await http.request<unknown>({ url: credentials.tokenUrl, method: 'POST', headers, body })).body;
  } catch (error) {
    const status = error instanceof SourceError ? error.details.status : undefined;
    if (status === 400 || status === 401 || status === 403) {
      // RFC 6749 §5.2: the refusal's `error` / `error_description`, read as any source's reason is;
      // the rest of the body stays out of the message.
      const reason = (error as SourceError).details.reason;
      throw new SourceError(
        ErrorCodes.SOURCE_AUTH,
        `The OAuth2 token endpoint ${where(credentials.tokenUrl)} refused the client credentials (${status}): ` +
          `check the secrets client_id and client_secret, the scope/audience and the client authentication ` +
          `("${credentials.clientAuth ?? 'client_secret_basic'}"). ${saysReason(reason)}`.trim(),
        { status, url: where(credentials.tokenUrl), ...(reason ? { reason } : {}) },
        { cause: error },
      );
    }
    throw error;
  }
  const fields = (answer ?? {}) as Record<string, unknown>;
  const accessToken = fields.access_token;
  if (typeof accessToken !== 'string' || accessToken === '')
    throw badAnswer(credentials.tokenUrl, 'no access_token');
  registerSecrets([accessToken]);
  const type = fields.token_type;
  if (typeof type === 'string' && type.toLowerCase() !== 'bearer') {
    throw badAnswer(credentials.tokenUrl, `token_type "${type}", not "Bearer"`);
  }
  // Microsoft writes a number, some providers a numeric string.
  const expiresIn = fields.expires_in === undefined ? DEFAULT_LIFETIME_S : Number(fields.expires_in);
  if (!Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw badAnswer(credentials.tokenUrl, `expires_in ${JSON.stringify(fields.expires_in)}`);
  }
  return { accessToken, obtainedAt, expiresAt: obtainedAt + expiresIn * 1000 };
};
