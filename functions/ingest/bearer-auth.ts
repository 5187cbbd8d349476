// Who may call the ingestion endpoint: the main bearer token (every instance) or an instance's own
// token (that instance only), compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ConfigError } from '../../shared/errors.js';
import { fail, IngestErrorCodes } from './answers.js';

/** The bearer token, or a function resolving it (an SSM SecureString, cached). */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * Per-instance tokens: a token (source) by instance id, or a function answering the current map (for
 * `ferry start`, whose config file may gain an instance while it runs).
 */
export type InstanceTokens =
  | Readonly<Record<string, TokenSource>>
  | (() => Promise<Readonly<Record<string, string>>>);

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant time whatever the lengths: both sides are compared as SHA-256 digests. */
const sameSecret = (presented: string, expected: string): boolean =>
  timingSafeEqual(digest(presented), digest(expected));

const bearerToken = (header: string | undefined): string | undefined =>
  /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')?.[1];

const resolverOf = (token: TokenSource, what: string) => {
  if (typeof token === 'string' && token === '')
    throw new ConfigError(`createIngestApp: ${what} must not be empty.`);
  return typeof token === 'string' ? () => token : token;
};

/** Which instances a request may touch: every one (the main token) or one (its instance token). */
type Scope = { readonly all: true } | { readonly all: false; readonly instance: string };

/**
 * Refuses every request without a known bearer token, and records the token's scope for the routes.
 * Every token is compared, whichever matches, so the time taken says nothing about which one did.
 */
export const requireToken = (token: TokenSource, instanceTokens: InstanceTokens): MiddlewareHandler => {
  const main = resolverOf(token, '"token"');
  const scoped =
    typeof instanceTokens === 'function'
      ? async () => Object.entries(await instanceTokens())
      : (() => {
          const resolvers = Object.entries(instanceTokens).map(
            ([instance, source]) =>
              [instance, resolverOf(source, `the token of instance "${instance}"`)] as const,
          );
          return () =>
            Promise.all(resolvers.map(async ([instance, resolve]) => [instance, await resolve()] as const));
        })();
  return async function requireToken(c, next) {
    const presented = bearerToken(c.req.header('authorization'));
    const secret = await main();
    if (secret === '') throw new ConfigError('The ingestion token resolved to an empty string.');
    let scope: Scope | undefined;
    if (presented !== undefined) {
      if (sameSecret(presented, secret)) scope = { all: true };
      // '' is an instance without a usable token: it matches nothing.
      for (const [instance, instanceSecret] of await scoped()) {
        if (instanceSecret !== '' && sameSecret(presented, instanceSecret) && !scope)
          scope = { all: false, instance };
      }
    }
    if (!scope) {
      return fail(
        c,
        401,
        IngestErrorCodes.UNAUTHORIZED,
        'Missing or wrong bearer token: send "Authorization: Bearer <token>" with the ingestion token.',
        {},
        { 'www-authenticate': 'Bearer' },
      );
    }
    c.set('scope' as never, scope as never);
    await next();
  };
};

const scopeOf = (c: Context): Scope => c.get('scope' as never) as Scope;

/** A 403 when the request's token is scoped to another instance than the one it names. */
export const outOfScope = (c: Context, instance: string) => {
  const scope = scopeOf(c);
  if (scope.all || scope.instance === instance) return undefined;
  return fail(
    c,
    403,
    IngestErrorCodes.FORBIDDEN,
    `This token belongs to instance "${scope.instance}" and may not read or write instance "${instance}".`,
  );
};
