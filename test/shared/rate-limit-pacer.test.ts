import { afterEach, describe, expect, it } from 'vitest';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import { createHttpClient } from '../../shared/http-client.js';
import { createRateLimitPacer } from '../../shared/rate-limit-pacer.js';

const API_KEY = 'pacer-key';
const ORIGIN = 'https://api.example.com';

let source: DemoSource | undefined;

afterEach(async () => {
  await source?.close();
  source = undefined;
});

const headers = (values: Record<string, string>) => new Headers(values);
const epochSeconds = (ms: number) => String(Math.ceil(ms / 1000));

describe('createRateLimitPacer', () => {
  it('lets requests through while the window has room, counting those in flight', async () => {
    const pacer = createRateLimitPacer();
    const first = await pacer.acquire(ORIGIN);
    first({
      status: 200,
      headers: headers({
        'X-RateLimit-Remaining': '1',
        'X-RateLimit-Reset': epochSeconds(Date.now() + 10_000),
      }),
    });

    // One left: the first of two concurrent requests goes, the second would overdraw the window.
    await pacer.acquire(ORIGIN);
    const second = pacer.acquire(ORIGIN, AbortSignal.timeout(200));

    await expect(second).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(pacer.stats().pacedRequests).toBe(1);
  });

  it('waits for the reset when the window is spent, then goes', async () => {
    const pacer = createRateLimitPacer();
    const resetAt = Date.now() + 300;
    (await pacer.acquire(ORIGIN))({
      status: 200,
      headers: headers({ 'RateLimit-Remaining': '0', 'RateLimit-Reset': '0.3' }),
    });

    await pacer.acquire(ORIGIN);

    expect(Date.now()).toBeGreaterThanOrEqual(resetAt);
    expect(pacer.stats()).toMatchObject({ pacedRequests: 1 });
    expect(pacer.stats().pacedMs).toBeGreaterThan(0);
  });

  it("learns from a 429's Retry-After", async () => {
    const pacer = createRateLimitPacer({ maxWaitMs: 5_000 });
    (await pacer.acquire(ORIGIN))({ status: 429, headers: headers({ 'Retry-After': '20' }) });

    await expect(pacer.acquire(ORIGIN)).rejects.toMatchObject({ code: ErrorCodes.SOURCE_RATE_LIMITED });
  });

  it('fails at once, with the time to wait, rather than wait past its longest wait', async () => {
    const pacer = createRateLimitPacer({ maxWaitMs: 30_000 });
    (await pacer.acquire(ORIGIN))({
      status: 200,
      headers: headers({
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': epochSeconds(Date.now() + 3_600_000),
      }),
    });

    const error = await pacer.acquire(ORIGIN).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).details.retryAfterMs).toBeGreaterThan(3_500_000);
    expect((error as SourceError).message).toMatch(/next fetch continues/);
  });

  it("reads the source's own header names", async () => {
    const pacer = createRateLimitPacer();
    (await pacer.acquire(ORIGIN))({
      status: 200,
      headers: headers({
        'X-Rate-Limit-Remaining': '0',
        'X-Rate-Limit-Reset': epochSeconds(Date.now() + 3_600_000),
      }),
      rateLimit: { remaining: 'X-Rate-Limit-Remaining', reset: 'X-Rate-Limit-Reset' },
    });

    await expect(pacer.acquire(ORIGIN)).rejects.toMatchObject({ code: ErrorCodes.SOURCE_RATE_LIMITED });
  });

  it('does not let an answer from an older window overwrite the newer count', async () => {
    const pacer = createRateLimitPacer();
    const older = await pacer.acquire(ORIGIN);
    const newer = await pacer.acquire(ORIGIN);
    newer({
      status: 200,
      headers: headers({
        'X-RateLimit-Remaining': '9',
        'X-RateLimit-Reset': epochSeconds(Date.now() + 120_000),
      }),
    });
    older({
      status: 200,
      headers: headers({
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': epochSeconds(Date.now() + 60_000),
      }),
    });

    await pacer.acquire(ORIGIN);
    expect(pacer.stats().pacedRequests).toBe(0);
  });

  it('keeps each origin to its own window', async () => {
    const pacer = createRateLimitPacer();
    (await pacer.acquire(ORIGIN))({
      status: 200,
      headers: headers({
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': epochSeconds(Date.now() + 3_600_000),
      }),
    });

    await pacer.acquire('https://other.example.com');
    expect(pacer.stats().pacedRequests).toBe(0);
  });
});

describe('the HTTP client with a pacer, against a rate-limited source', () => {
  it('runs at the limit without meeting a 429', async () => {
    source = await startDemoSource({
      apiKey: API_KEY,
      ratePerSecond: 0,
      rateLimit: { requests: 5, perMs: 1_000 },
    });
    const pacer = createRateLimitPacer();
    const http = createHttpClient({ pacer, retries: 0 });
    const get = () =>
      http.request({
        url: `${source!.url}/alerts`,
        headers: { authorization: `Bearer ${API_KEY}` },
        query: { since: '2024-01-01T00:00:00Z', limit: 1 },
      });

    // Two at a time, as the drain's prefetch does, over three windows' worth of requests.
    for (let request = 0; request < 15; request += 2) await Promise.all([get(), get()]);

    expect(source.rateLimited).toBe(0);
    expect(source.requests).toBe(16);
    expect(pacer.stats().pacedRequests).toBeGreaterThan(0);
  }, 30_000);
});
