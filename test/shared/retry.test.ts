import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs, sleep } from '../../shared/retry.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const headers = (init: Record<string, string>) => new Headers(init);

describe('retryAfterMs', () => {
  it('reads delay-seconds', () => {
    expect(retryAfterMs(headers({ 'retry-after': '120' }), NOW)).toBe(120_000);
    expect(retryAfterMs(headers({ 'retry-after': '0' }), NOW)).toBe(0);
  });

  it('reads an HTTP date as the time left until then, never negative', () => {
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 10 Mar 2026 12:00:30 GMT' }), NOW)).toBe(30_000);
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 10 Mar 2026 11:00:00 GMT' }), NOW)).toBe(0);
  });

  it('falls back to rate-limit reset headers, as epoch seconds or seconds from now', () => {
    expect(retryAfterMs(headers({ 'x-ratelimit-reset': String(NOW / 1000 + 45) }), NOW)).toBe(45_000);
    expect(retryAfterMs(headers({ 'ratelimit-reset': '7' }), NOW)).toBe(7_000);
  });

  it('prefers Retry-After over a reset header', () => {
    expect(retryAfterMs(headers({ 'retry-after': '2', 'x-ratelimit-reset': '60' }), NOW)).toBe(2_000);
  });

  it('is undefined without a usable header', () => {
    expect(retryAfterMs(headers({}), NOW)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt, with jitter in the upper half, up to the maximum', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000 };

    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(0, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 0)).toBe(400);
    expect(backoffDelay(10, options, () => 1)).toBe(1_000);
  });
});

describe('sleep', () => {
  it('rejects with the reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);

    controller.abort(new Error('deadline'));

    await expect(waiting).rejects.toThrow('deadline');
  });
});
