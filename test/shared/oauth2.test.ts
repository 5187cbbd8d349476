import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../shared/errors.js';
import { createHttpClient } from '../../shared/http-client.js';
import { createIntegrationContext } from '../../shared/integration-context.js';
import { MemoryStateStore } from '../../shared/kit/index.js';
import { listen } from '../../shared/listen.js';
import { oauth2Session } from '../../shared/oauth2/oauth2-session.js';
import { bearerToken } from '../../shared/oauth2/token-cache.js';
import { type ClientCredentials, requestToken, tokenRequestOf } from '../../shared/oauth2/token-request.js';
import { redactString } from '../../shared/redact.js';
import { silentLogger } from '../helpers/runtime.js';
import { type CrowdStrikeServer, startCrowdStrike } from '../helpers/vendors/crowdstrike.js';

const servers: CrowdStrikeServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const aServer = async (lifetime = 1799) => {
  const server = await startCrowdStrike({ tokenLifetimeSeconds: lifetime });
  servers.push(server);
  return server;
};

const credentialsOf = (server: CrowdStrikeServer): ClientCredentials => ({
  tokenUrl: `${server.url}/oauth2/token`,
  clientId: server.clientId,
  clientSecret: server.clientSecret,
  clientAuth: 'client_secret_post',
});

/** One "Lambda": its own HTTP client and its own context handle on the shared store. */
const aFetch = (store: MemoryStateStore) => ({
  http: createHttpClient({ retries: 1, baseDelayMs: 5 }),
  context: createIntegrationContext(store, 'falcon'),
  logger: silentLogger,
});

describe('OAuth2 client credentials', () => {
  it('writes the client credentials as RFC 6749 says: Basic of the form-encoded pair, or in the form', () => {
    const credentials = {
      tokenUrl: 'https://login.example.com/token',
      clientId: 'app id',
      clientSecret: 's:cr+t',
      scope: 'a b',
    };

    const basic = tokenRequestOf(credentials);
    const post = tokenRequestOf({
      ...credentials,
      clientAuth: 'client_secret_post',
      audience: 'https://api',
    });

    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('app+id:s%3Acr%2Bt').toString('base64')}`);
    expect(basic.body).toBe('grant_type=client_credentials&scope=a+b');
    expect(post.headers.authorization).toBeUndefined();
    expect(new URLSearchParams(post.body).get('client_secret')).toBe('s:cr+t');
    expect(new URLSearchParams(post.body).get('audience')).toBe('https://api');
    expect(post.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('does not stampede: eight fetches of one instance needing a token at once cause one token request', async () => {
    const server = await aServer();
    const store = new MemoryStateStore();

    const tokens = await Promise.all(
      Array.from({ length: 8 }, () => bearerToken(aFetch(store), credentialsOf(server))),
    );

    expect(server.requests.filter((request) => request.path === '/oauth2/token')).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set([server.tokens.issued[0]!.token]));
  });

  it('reuses the cached token across fetches until its refresh margin, then asks once', async () => {
    const server = await aServer(2);
    const store = new MemoryStateStore();

    const first = await bearerToken(aFetch(store), credentialsOf(server));
    const again = await bearerToken(aFetch(store), credentialsOf(server));
    await new Promise((resolve) => setTimeout(resolve, 1_900));
    const renewed = await Promise.all([1, 2, 3].map(() => bearerToken(aFetch(store), credentialsOf(server))));

    expect(again).toBe(first);
    expect(new Set(renewed).size).toBe(1);
    expect(renewed[0]).not.toBe(first);
    expect(server.tokens.issued).toHaveLength(2);
  });

  it('keeps a token per set of credentials: another client is another token', async () => {
    const server = await aServer();
    const store = new MemoryStateStore();
    const fetch = aFetch(store);

    await bearerToken(fetch, credentialsOf(server));
    await expect(bearerToken(fetch, { ...credentialsOf(server), clientId: 'other' })).rejects.toThrow(
      /refused the client credentials \(403\)/,
    );

    expect(Object.keys((await store.getContext('falcon')).value)).toHaveLength(2);
  });

  it('a session refreshes a rejected token once, registers it for redaction, and keeps it on its origin', async () => {
    const server = await aServer();
    server.add(Date.now() - 1000);
    const store = new MemoryStateStore();
    const session = oauth2Session(aFetch(store), credentialsOf(server), server.url);
    const first = await session.token();
    server.tokens.revokeAll();

    const { body } = await session.request<{ resources: string[] }>({
      url: `${server.url}/alerts/queries/alerts/v2`,
      query: { sort: 'created_timestamp|asc' },
    });

    expect(body.resources).toHaveLength(1);
    expect(server.tokens.issued).toHaveLength(2);
    expect(redactString(`token ${first}`)).toBe('token ***');
    await expect(session.request({ url: 'http://127.0.0.2:9/elsewhere' })).rejects.toThrow(
      /would carry it elsewhere/,
    );
  });

  it("reads a refusal's RFC 6749 §5.2 reason like any source's, and keeps the rest of the body out", async () => {
    // RFC 6749 §5.2: 400 with `error` and `error_description`; this endpoint also echoes the request.
    const endpoint = await listen(
      createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        request.on('end', () => {
          response.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          response.end(
            JSON.stringify({
              error: 'invalid_client',
              error_description: 'Client authentication failed',
              debug: { received: body },
            }),
          );
        });
      }),
    );
    try {
      const failure = await requestToken(createHttpClient({ retries: 0 }), {
        tokenUrl: `${endpoint.url}/oauth2/token?tenant=x`,
        clientId: 'app',
        clientSecret: 'never-shown-secret-4821',
        clientAuth: 'client_secret_post',
      }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(SourceError);
      const error = failure as SourceError;
      expect(error.code).toBe('SOURCE_AUTH');
      expect(error.details).toMatchObject({ status: 400, reason: 'Client authentication failed' });
      expect(error.message).toBe(
        `The OAuth2 token endpoint ${endpoint.url}/oauth2/token refused the client credentials (400): check the ` +
          'secrets client_id and client_secret, the scope/audience and the client authentication ' +
          '("client_secret_post"). The source says: "Client authentication failed".',
      );
    } finally {
      await endpoint.close();
    }
  });
});
