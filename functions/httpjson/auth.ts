import type { ConnectorContext } from '../../shared/connector.js';
import { ConfigError } from '../../shared/errors.js';
import { bearerToken } from '../../shared/oauth2/token-cache.js';
import type { ClientCredentials } from '../../shared/oauth2/token-request.js';
import type { HttpJsonParams } from './params.js';

/** The secrets each kind of auth reads. */
export const secretsFor = (auth: HttpJsonParams['auth']): readonly string[] => {
  switch (auth.type) {
    case 'basic':
      return ['username', 'password'];
    case 'oauth2':
      return ['client_id', 'client_secret'];
    case 'none':
      return [];
    default:
      return ['token'];
  }
};

const secret = (ctx: ConnectorContext<HttpJsonParams>, name: string): string => {
  const value = ctx.secrets[name];
  if (value === undefined || value === '') {
    throw new ConfigError(
      `Instance "${ctx.instanceId}" (httpjson): auth "${ctx.params.auth.type}" needs the secret "${name}". ` +
        `Add "secrets": {"${name}": {"env": "<VARIABLE>"}} locally or {"ssm": "<SecureString name>"} in AWS.`,
      ctx.instanceId,
      `secrets.${name}`,
    );
  }
  return value;
};

/** The client credentials of an `oauth2` instance. */
export const clientCredentialsOf = (ctx: ConnectorContext<HttpJsonParams>): ClientCredentials | undefined => {
  const { auth } = ctx.params;
  if (auth.type !== 'oauth2') return undefined;
  return {
    tokenUrl: auth.token_url,
    clientId: secret(ctx, 'client_id'),
    clientSecret: secret(ctx, 'client_secret'),
    scope: auth.scope,
    audience: auth.audience,
    clientAuth: auth.client_auth,
    extraParams: auth.token_params,
  };
};

/**
 * The headers that authenticate a request to the API, built from the instance's secrets (an OAuth2
 * token from the integration context or the token URL). `rejected` is a token the API just refused.
 */
export const authHeaders = async (
  ctx: ConnectorContext<HttpJsonParams>,
  options: { rejected?: string } = {},
): Promise<Record<string, string>> => {
  const { auth } = ctx.params;
  switch (auth.type) {
    case 'bearer':
      return { authorization: `Bearer ${secret(ctx, 'token')}` };
    case 'basic': {
      const pair = `${secret(ctx, 'username')}:${secret(ctx, 'password')}`;
      return { authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` };
    }
    case 'header':
      return { [auth.header]: `${auth.prefix}${secret(ctx, 'token')}` };
    case 'oauth2':
      return { authorization: `Bearer ${await bearerToken(ctx, clientCredentialsOf(ctx)!, options)}` };
    case 'none':
      return {};
  }
};
