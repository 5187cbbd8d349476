import { createServer, type IncomingHttpHeaders } from 'node:http';
import { text as readBody } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import { createHttpClient } from '../../shared/http-client.js';
import { MAX_REDIRECTS } from '../../shared/http-redirects.js';
import { type ListeningServer, listen } from '../../shared/listen.js';
import { hostileRecorder } from '../reliability/hostile-inputs.js';

const hostile = hostileRecorder('Redirects');

const API_KEY = 'redirect-test-api-key';
const CREDENTIALS = {
  authorization: `Bearer ${API_KEY}`,
  'x-api-key': API_KEY,
  cookie: `session=${API_KEY}`,
};

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A server that records every request; `/to/<status>?location=…` answers that redirect. */
const recordingServer = async () => {
  const seen: Seen[] = [];
  const server = await listen(
    createServer(async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      seen.push({
        method: request.method ?? '',
        path: url.pathname,
        headers: request.headers,
        body: await readBody(request),
      });
      if (url.pathname === '/loop') {
        response.writeHead(302, { location: '/loop' });
        response.end();
        return;
      }
      const redirect = /^\/to\/(\d+)$/.exec(url.pathname);
      if (redirect) {
        response.writeHead(Number(redirect[1]), { location: url.searchParams.get('location') ?? '' });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ path: url.pathname }));
    }),
  );
  return { server, seen };
};

// Different ports on 127.0.0.1 are different origins (scheme, host and port).
let source: { server: ListeningServer; seen: Seen[] };
let elsewhere: { server: ListeningServer; seen: Seen[] };

beforeAll(async () => {
  source = await recordingServer();
  elsewhere = await recordingServer();
});

beforeEach(() => {
  source.seen.length = 0;
  elsewhere.seen.length = 0;
});

afterAll(async () => {
  hostile.write();
  await source.server.close();
  await elsewhere.server.close();
});

const redirectUrl = (status: number, location: string, from = source.server.url) =>
  `${from}/to/${status}?location=${encodeURIComponent(location)}`;

const failureOf = async (promise: Promise<unknown>): Promise<SourceError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
};

const credentialHeaders = (headers: IncomingHttpHeaders) =>
  Object.keys(headers).filter((name) => ['authorization', 'x-api-key', 'cookie'].includes(name));

describe('redirects keep credentials on their origin', () => {
  it.each([301, 302, 303, 307, 308])(
    'a GET redirected by %i to another origin arrives there without any credential',
    async (status) => {
      const http = createHttpClient({ retries: 0, headers: CREDENTIALS });

      const response = await http.request<{ path: string }>({
        url: redirectUrl(status, `${elsewhere.server.url}/pages/1`),
      });

      const leaked = elsewhere.seen.filter((seen) => credentialHeaders(seen.headers).length > 0).length;
      hostile.record({
        input: `GET with Authorization, X-Api-Key and Cookie answered ${status} to another origin`,
        expected: 'followed without any credential',
        measured: `${elsewhere.seen.length} request(s) reached the other origin, ${leaked} with a credential`,
        passed: leaked === 0 && elsewhere.seen.length === 1,
      });
      expect(response.body.path).toBe('/pages/1');
      expect(response.url).toBe(`${elsewhere.server.url}/pages/1`);
      expect(elsewhere.seen).toHaveLength(1);
      expect(credentialHeaders(elsewhere.seen[0]!.headers)).toEqual([]);
      expect(JSON.stringify(elsewhere.seen)).not.toContain(API_KEY);
      expect(source.seen[0]!.headers['x-api-key']).toBe(API_KEY);
    },
  );

  it.each([301, 302, 303, 307, 308])('a same-origin %i keeps the credentials', async (status) => {
    const http = createHttpClient({ retries: 0, headers: CREDENTIALS });

    await http.request({ url: redirectUrl(status, '/pages/2') });

    expect(source.seen.map((request) => request.path)).toEqual([`/to/${status}`, '/pages/2']);
    expect(source.seen[1]!.headers['x-api-key']).toBe(API_KEY);
    expect(source.seen[1]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('a credential stripped at a cross-origin hop is not restored by a hop back', async () => {
    const http = createHttpClient({ retries: 0, headers: CREDENTIALS });
    const back = `${source.server.url}/pages/back`;

    await http.request({ url: redirectUrl(302, redirectUrl(302, back, elsewhere.server.url)) });

    expect(source.seen.at(-1)!.path).toBe('/pages/back');
    expect(credentialHeaders(source.seen.at(-1)!.headers)).toEqual([]);
  });

  it.each([307, 308])(
    'a POST that a %i would resend with its body to another origin is refused',
    async (status) => {
      const http = createHttpClient({ retries: 0, headers: CREDENTIALS });

      const error = await failureOf(
        http.request({
          url: redirectUrl(status, `${elsewhere.server.url}/collect`),
          method: 'POST',
          body: { key: API_KEY },
        }),
      );

      expect(error.code).toBe(ErrorCodes.SOURCE_REDIRECT);
      hostile.record({
        input: `POST with a body answered ${status} to another origin`,
        expected: 'refused (the body would go there)',
        measured: `${error.code}; ${elsewhere.seen.length} request(s) reached the other origin`,
        passed: error.code === ErrorCodes.SOURCE_REDIRECT && elsewhere.seen.length === 0,
      });
      expect(error.message).toContain('another origin');
      expect(elsewhere.seen).toHaveLength(0);
    },
  );

  it('a 303 after a POST goes on as a GET without the body, as fetch does', async () => {
    const http = createHttpClient({ retries: 0 });

    await http.request({ url: redirectUrl(303, '/result'), method: 'POST', body: { a: 1 } });

    expect(source.seen[1]).toMatchObject({ method: 'GET', path: '/result', body: '' });
    expect(source.seen[1]!.headers['content-type']).toBeUndefined();
  });

  it('the "refuse" policy (sinks) fails a cross-origin redirect before anything reaches the other origin', async () => {
    const http = createHttpClient({ retries: 0, headers: CREDENTIALS, crossOriginRedirects: 'refuse' });

    const error = await failureOf(
      http.request({ url: redirectUrl(302, `${elsewhere.server.url}/incidents`) }),
    );
    hostile.record({
      input: 'a sink endpoint answering 302 to another origin',
      expected: 'refused: incidents and token go to the configured endpoint only',
      measured: `${error.code}; ${elsewhere.seen.length} request(s) reached the other origin`,
      passed: error.code === ErrorCodes.SOURCE_REDIRECT && elsewhere.seen.length === 0,
    });

    expect(error.code).toBe(ErrorCodes.SOURCE_REDIRECT);
    expect(elsewhere.seen).toHaveLength(0);
    expect(error.message).not.toContain(API_KEY);
  });

  it(`gives up after ${MAX_REDIRECTS} hops (a loop) with an error that says so`, async () => {
    const http = createHttpClient({ retries: 0 });

    const error = await failureOf(http.request({ url: `${source.server.url}/loop` }));

    expect(error.code).toBe(ErrorCodes.SOURCE_REDIRECT);
    hostile.record({
      input: 'a redirect loop',
      expected: `stopped after ${MAX_REDIRECTS} hops`,
      measured: `${error.code} after ${source.seen.length} requests`,
      passed: error.code === ErrorCodes.SOURCE_REDIRECT && source.seen.length <= MAX_REDIRECTS + 1,
    });
    expect(error.message).toContain(`more than ${MAX_REDIRECTS} redirects`);
    expect(source.seen.length).toBeLessThanOrEqual(MAX_REDIRECTS + 1);
  });

  it.each([
    ['file:///etc/passwd', 'file:'],
    ['http://user:pass@127.0.0.1:1/x', 'user name or password'],
  ])('refuses a Location of %s', async (location, reason) => {
    const http = createHttpClient({ retries: 0 });

    const error = await failureOf(http.request({ url: redirectUrl(302, location) }));

    expect(error.code).toBe(ErrorCodes.SOURCE_REDIRECT);
    hostile.record({
      input: `a 302 to ${location.replace('pass', '…')}`,
      expected: 'refused, the location not echoed',
      measured: error.code,
      passed: error.code === ErrorCodes.SOURCE_REDIRECT && !error.message.includes('pass@'),
    });
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain('pass@');
  });
});
