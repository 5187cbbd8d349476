import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretResolver } from '../../shared/config/secrets.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import { createHttpClient } from '../../shared/http-client.js';
import { type ListeningServer, listen } from '../../shared/listen.js';
import { hostileRecorder } from '../reliability/hostile-inputs.js';

const hostile = hostileRecorder('Secrets in derived forms');

// A key with the characters that change under JSON escaping, and 22 characters long (the issue's case).
const API_KEY = 'ab"cd\\ef-ghij-klmn-opq';
const USERNAME = 'svc-ferry';
const PASSWORD = 'pass"word\\22';

/** A source whose 401/403 answers echo what it was sent, the way a careless API does. */
let source: ListeningServer;
let echo: (authorization: string, apiKey: string) => { status: number; body: string };

beforeAll(async () => {
  await createSecretResolver({
    env: { API_KEY, USERNAME, PASSWORD },
  })('derived-forms', {
    token: { env: 'API_KEY' },
    username: { env: 'USERNAME' },
    password: { env: 'PASSWORD' },
  });
  source = await listen(
    createServer((request, response) => {
      const { status, body } = echo(
        String(request.headers.authorization ?? ''),
        String(request.headers['x-api-key'] ?? ''),
      );
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    }),
  );
});

afterAll(async () => {
  hostile.write();
  await source.close();
});

const failureOf = async (promise: Promise<unknown>): Promise<SourceError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
};

const basic = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
const leaks = (text: string) =>
  [
    API_KEY,
    JSON.stringify(API_KEY).slice(1, -1),
    API_KEY.slice(0, 21),
    encodeURIComponent(API_KEY),
    Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64'),
    JSON.stringify(PASSWORD).slice(1, -1),
  ].filter((form) => text.includes(form));

describe('a source error that echoes the credential in a derived form', () => {
  it.each([
    [
      'JSON-escaped in a 401',
      401,
      (_auth: string, key: string) => JSON.stringify({ message: `bad key ${key}` }),
    ],
    ['the Basic header in a 403', 403, (auth: string) => JSON.stringify({ error: `denied for ${auth}` })],
    ['verbatim in a non-JSON 401 body', 401, (_auth: string, key: string) => `<html>key ${key}</html>`],
    ['cut at 300 characters in a 400', 400, (_auth: string, key: string) => `${'x'.repeat(285)}${key}`],
    [
      'URL-encoded in a 500',
      500,
      (_auth: string, key: string) => `retry at /x?key=${encodeURIComponent(key)}`,
    ],
  ])('shows none of it: %s', async (how, status, body) => {
    echo = (authorization, apiKey) => ({ status, body: body(authorization, apiKey) });
    const http = createHttpClient({
      retries: 0,
      headers: { authorization: basic, 'x-api-key': API_KEY },
    });

    const error = await failureOf(http.request({ url: `${source.url}/alerts` }));

    hostile.record({
      input: `a source error echoing the credentials ${how}`,
      expected: 'no form of a credential in the error',
      measured: `${error.code}; ${leaks(error.message).length} credential form(s) in the message`,
      passed: leaks(error.message).length === 0,
    });
    expect(leaks(error.message)).toEqual([]);
    expect(error.message).toContain(String(status));
  });

  it("keeps the source's own short reason of a 401, drops the rest of its body", async () => {
    echo = () => ({
      status: 401,
      body: JSON.stringify({ message: 'API key expired', debug: { received: 'something long and private' } }),
    });
    const http = createHttpClient({ retries: 0 });

    const error = await failureOf(http.request({ url: `${source.url}/alerts` }));

    expect(error.code).toBe(ErrorCodes.SOURCE_AUTH);
    expect(error.message).toContain('The source says: "API key expired"');
    expect(error.message).not.toContain('private');
  });
});
