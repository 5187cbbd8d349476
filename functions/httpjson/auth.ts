import type { ConnectorContext } from '../../shared/connector.js';
import { ConfigError } from '../../shared/errors.js';
import type { HttpJsonParams } from './params.js';

/** The secrets each kind of auth reads. */
export const secretsFor = (auth: HttpJsonParams['auth']): readonly string[] => {
  switch (auth.type) {
    case 'basic':
      return ['username', 'password'];
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

/** The headers that authenticate every request, built from the instance's secrets. */
export const authHeaders = (ctx: ConnectorContext<HttpJsonParams>): Record<string, string> => {
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
    case 'none':
      return {};
  }
};
