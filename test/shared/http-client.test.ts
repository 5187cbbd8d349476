import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { SourceError } from '../../shared/errors.js';
import { createHttpClient, type HttpClientOptions } from '../../shared/http-client.js';
import { closedPortUrl } from '../helpers/servers.js';

const API_KEY = 'http-client-key';
let source: DemoSource;

beforeAll(async () => {
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  source.addBurst(3, '2026-03-01T00:00:00.000Z');
});

beforeEach(() => {
  source.setFailure('none');
});

afterAll(async () => {
  await source.close();
});

/** A client that retries quickly (backoff in milliseconds), recording every retry. */
const aClient = (options: HttpClientOptions = {}) => {
  const retries: { attempt: number; delayMs: number; reason: string }[] = [];
  const http = createHttpClient({
    baseDelayMs: 1,
    maxDelayMs: 5,
    headers: { authorization: `Bearer ${API_KEY}` },
    onRetry: ({ attempt, delayMs, reason }) => retries.push({ attempt, delayMs, reason }),
    ...options,
  });
  return { http, retries };
};

const alerts = () => ({
  url: `${source.url}/alerts`,
  query: { since: '2026-03-01T00:00:00Z', until: '2026-03-02T00:00:00Z', limit: 10 },
});

const failureOf = async (promise: Promise<unknown>): Promise<SourceError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
};

describe('createHttpClient against a real local server', () => {
  it('returns the parsed JSON body', async () => {
    const { http } = aClient();

    const response = await http.request<{ alerts: unknown[] }>(alerts());

    expect(response.status).toBe(200);
    expect(response.body.alerts).toHaveLength(3);
  });

  it('retries a 500 and succeeds when the source recovers', async () => {
    const { http, retries } = aClient();
    source.setFailure('server-error', { count: 2 });
    const before = source.requests;

    const response = await http.request<{ alerts: unknown[] }>(alerts());

    expect(response.body.alerts).toHaveLength(3);
    expect(source.requests - before).toBe(3);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2]);
  });

  it('gives up after the configured retries with an error that says the source failed', async () => {
    const { http } = aClient({ retries: 2 });
    source.setFailure('server-error', { count: Number.POSITIVE_INFINITY });
    const before = source.requests;

    const error = await failureOf(http.request(alerts()));

    expect(source.requests - before).toBe(3);
    expect(error).toMatchObject({ code: 'SOURCE_HTTP', details: { status: 500 } });
    expect(error.message).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/alerts answered 500 \(a server error at the source; the next fetch retries\)/,
    );
  });

  it('waits as long as Retry-After asks on a 429, then retries', async () => {
    const { http, retries } = aClient();
    source.setFailure('rate-limited', { count: 1, retryAfterSeconds: 1 });

    const response = await http.request<{ alerts: unknown[] }>(alerts());

    expect(response.body.alerts).toHaveLength(3);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, delayMs: 1_000 })]);
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs: the error carries it up', async () => {
    const { http, retries } = aClient({ maxRetryAfterMs: 5_000 });
    source.setFailure('rate-limited', { count: 1, retryAfterSeconds: 120 });

    const error = await failureOf(http.request(alerts()));

    expect(retries).toEqual([]);
    expect(error).toMatchObject({
      code: 'SOURCE_RATE_LIMITED',
      details: { status: 429, retryAfterMs: 120_000 },
    });
    expect(error.message).toContain('is rate limited (429); it asks to retry after 120s');
  });

  it('does not retry a 401, and tells to check the credentials', async () => {
    const { http, retries } = aClient({ headers: { authorization: 'Bearer wrong' } });
    const before = source.requests;

    const error = await failureOf(http.request(alerts()));

    expect(source.requests - before).toBe(1);
    expect(retries).toEqual([]);
    expect(error).toMatchObject({ code: 'SOURCE_AUTH', details: { status: 401 } });
    expect(error.message).toContain("answered 401 Unauthorized: check the instance's credentials (secret)");
  });

  it('does not retry a 400, and shows what the source said', async () => {
    const { http } = aClient();
    const before = source.requests;

    const error = await failureOf(http.request({ ...alerts(), query: { since: 'yesterday' } }));

    expect(source.requests - before).toBe(1);
    expect(error).toMatchObject({ code: 'SOURCE_HTTP', details: { status: 400 } });
    expect(error.message).toContain(': check the instance parameters (URL, query)');
    expect(error.message).toContain("Parameter 'since' must be an ISO-8601 date");
  });

  it('keeps the query string (which may hold credentials) out of the message', async () => {
    const { http } = aClient({ headers: {} });

    const error = await failureOf(
      http.request({ url: `${source.url}/alerts`, query: { api_key: 'in-the-query' } }),
    );

    expect(error.message).not.toContain('in-the-query');
    expect(error.details.url).toBe(`${source.url}/alerts`);
  });

  it('times out a source that does not answer', async () => {
    const { http } = aClient({ retries: 0, timeoutMs: 100 });
    source.setFailure('slow', { count: 1, delayMs: 10_000 });

    const error = await failureOf(http.request(alerts()));

    expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT' });
    expect(error.message).toMatch(/did not answer within 100ms; the source may be overloaded/);
  });

  it('refuses a body that is not JSON, without retrying', async () => {
    const { http, retries } = aClient();
    source.setFailure('malformed-json', { count: 1 });

    const error = await failureOf(http.request(alerts()));

    expect(retries).toEqual([]);
    expect(error).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', details: { status: 200 } });
    expect(error.message).toContain('answered 200 with a body that is not JSON: {"alerts":[{"id":"A-0');
  });

  it('retries a source that is down, then says to check the URL', async () => {
    const { http, retries } = aClient({ retries: 2 });
    const url = await closedPortUrl();

    const error = await failureOf(http.request({ url: `${url}/alerts` }));

    expect(retries).toHaveLength(2);
    expect(error).toMatchObject({ code: 'SOURCE_UNREACHABLE' });
    expect(error.message).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/alerts failed: .*ECONNREFUSED.*\. Check the URL and that the source is reachable\.$/,
    );
  });

  it('stops waiting between retries when the invocation deadline aborts it', async () => {
    const controller = new AbortController();
    const { http } = aClient({
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('deadline')),
    });
    source.setFailure('rate-limited', { count: 1, retryAfterSeconds: 20 });

    await expect(http.request(alerts())).rejects.toThrow('deadline');
  });
});
