import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DemoAlert } from '../../../local/demo-source/alert-generator.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';

const API_KEY = 'test-key';
const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

let clock: number;
let source: DemoSource;

/** GET /alerts with `query`; `key: null` sends no Authorization header. */
async function getAlerts(query: Record<string, string>, key: string | null = API_KEY) {
  const response = await fetch(`${source.url}/alerts?${new URLSearchParams(query)}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  const body = (await response.json()) as { alerts: DemoAlert[]; error?: string; parameter?: string };
  return { status: response.status, headers: response.headers, body };
}

beforeEach(async () => {
  clock = T0 + 60_000;
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0, now: () => clock });
});

afterEach(async () => {
  await source.close();
});

describe('GET /alerts authentication', () => {
  it('answers 401 with a JSON error when the key is missing or wrong', async () => {
    for (const key of [null, 'wrong-key']) {
      const { status, headers, body } = await getAlerts({ since: iso(T0) }, key);
      expect(status).toBe(401);
      expect(headers.get('content-type')).toContain('application/json');
      expect(body.error).toMatch(/API key/);
    }
  });

  it('serves /health without a key', async () => {
    const response = await fetch(`${source.url}/health`);
    expect(response.status).toBe(200);
  });
});

describe('GET /alerts parameters', () => {
  it.each([
    [{}, 'since'],
    [{ since: 'yesterday' }, 'since'],
    [{ since: '2024-13-01T00:00:00Z' }, 'since'],
    [{ since: iso(T0), until: 'soon' }, 'until'],
    [{ since: iso(T0), limit: '0' }, 'limit'],
    [{ since: iso(T0), limit: '1001' }, 'limit'],
    [{ since: iso(T0), limit: '2.5' }, 'limit'],
    [{ since: iso(T0), limit: 'ten' }, 'limit'],
  ])('answers 400 naming the parameter for %o', async (query, parameter) => {
    const { status, body } = await getAlerts(query);
    expect(status).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(body.error).toContain(`'${parameter}'`);
  });

  it('accepts ISO-8601 with an offset, also with an unencoded +', async () => {
    source.add({ created: T0 });
    const encoded = await getAlerts({ since: '2024-05-01T01:00:00+01:00' });
    const raw = await fetch(`${source.url}/alerts?since=2024-05-01T01:00:00+01:00`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(encoded.body.alerts).toHaveLength(1);
    expect(((await raw.json()) as { alerts: unknown[] }).alerts).toHaveLength(1);
  });

  it('answers an empty list when until is not after since', async () => {
    source.add({ created: T0 });
    const { status, body } = await getAlerts({ since: iso(T0), until: iso(T0) });
    expect(status).toBe(200);
    expect(body.alerts).toEqual([]);
  });
});

describe('GET /alerts range and order', () => {
  it('includes since, excludes until, sorts by created then id', async () => {
    source.add({ created: T0 + 20, id: 'B-2' });
    source.add({ created: T0 + 10 });
    source.add({ created: T0 + 20, id: 'B-1' });
    source.add({ created: T0 + 30 });
    source.add({ created: T0 + 9 });

    const { body } = await getAlerts({ since: iso(T0 + 10), until: iso(T0 + 30) });

    expect(body.alerts.map((alert) => [alert.created, alert.id])).toEqual([
      [iso(T0 + 10), 'A-000002'],
      [iso(T0 + 20), 'B-1'],
      [iso(T0 + 20), 'B-2'],
    ]);
  });

  it('returns the full alert shape', async () => {
    source.add({ created: T0, name: 'Malware detected on host', severity: 'critical' });
    const { body } = await getAlerts({ since: iso(T0) });
    expect(body.alerts[0]).toEqual({
      id: 'A-000001',
      name: 'Malware detected on host',
      severity: 'critical',
      created: '2024-05-01T00:00:00.000Z',
      description: expect.any(String),
      category: expect.any(String),
      host: expect.any(String),
      user: expect.any(String),
      source_ip: expect.any(String),
    });
  });

  it('defaults until to now, so future-stamped alerts wait for their time', async () => {
    source.add({ created: clock - 1 });
    source.add({ created: clock + 1000 });

    expect((await getAlerts({ since: iso(T0) })).body.alerts).toHaveLength(1);
    clock += 1001;
    expect((await getAlerts({ since: iso(T0) })).body.alerts).toHaveLength(2);
  });

  it('returns a future-stamped alert at once when it is made visible now', async () => {
    source.add({ created: clock + 60_000 }, { visibleAt: clock });
    const { body } = await getAlerts({ since: iso(T0), until: iso(clock + 120_000) });
    expect(body.alerts).toHaveLength(1);
  });

  it('returns at most limit alerts, 100 by default, 1000 at most', async () => {
    source.addBurst(1200, T0);

    expect((await getAlerts({ since: iso(T0) })).body.alerts).toHaveLength(100);
    expect((await getAlerts({ since: iso(T0), limit: '7' })).body.alerts).toHaveLength(7);
    expect((await getAlerts({ since: iso(T0), limit: '1000' })).body.alerts).toHaveLength(1000);
  });

  it('returns a burst on one timestamp in id order', async () => {
    const burst = source.addBurst(50, T0 + 5);

    const { body } = await getAlerts({ since: iso(T0), limit: '1000' });

    expect(burst).toHaveLength(50);
    expect(new Set(body.alerts.map((alert) => alert.created))).toEqual(new Set([iso(T0 + 5)]));
    const ids = body.alerts.map((alert) => alert.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(burst.map((alert) => alert.id));
  });

  it('pages through a backlog of 100,000 alerts without loss or disorder', async () => {
    const from = T0 - 24 * 3600_000;
    const inserted = source.backlog(100_000, { from, to: T0 });
    expect(inserted).toMatchObject({ count: 100_000, firstId: 'A-000001', lastId: 'A-100000' });

    const seen = new Set<string>();
    let previous = '';
    let since = iso(from);
    for (;;) {
      const { body } = await getAlerts({ since, until: iso(T0), limit: '1000' });
      const fresh = body.alerts.filter((alert) => !seen.has(alert.id));
      if (fresh.length === 0) break;
      for (const alert of fresh) {
        const key = `${alert.created} ${alert.id}`;
        expect(key > previous).toBe(true);
        previous = key;
        seen.add(alert.id);
      }
      since = body.alerts.at(-1)!.created; // inclusive: ties at this instant come back and are skipped
    }

    expect(seen.size).toBe(100_000);
    expect(Date.parse(previous.split(' ')[0]!)).toBeLessThan(T0);
  });
});

describe('GET /alerts indexing delay', () => {
  it('hides an alert until its created time plus the delay', async () => {
    source.setIndexingDelay(5000);
    source.add({ created: clock });
    const query = { since: iso(T0), until: iso(clock + 1) };

    expect((await getAlerts(query)).body.alerts).toEqual([]);
    clock += 4999;
    expect((await getAlerts(query)).body.alerts).toEqual([]);
    clock += 1;
    expect((await getAlerts(query)).body.alerts).toHaveLength(1);
  });

  it('applies to alerts added after the change, not to those already visible', async () => {
    source.add({ created: clock - 10 });
    source.setIndexingDelay(60_000);
    source.addBurst(3, clock - 10);

    const { body } = await getAlerts({ since: iso(T0) });

    expect(body.alerts.map((alert) => alert.id)).toEqual(['A-000001']);
    expect(source.indexingDelayMs).toBe(60_000);
  });
});

describe('GET /alerts rate limit', () => {
  const limited = async (limit: { requests: number; perMs: number }) => {
    await source.close();
    source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0, now: () => clock, rateLimit: limit });
  };

  it('says on every answer how many requests the window has left and when it resets', async () => {
    // T0 + 60 s lies on a 10-second boundary: the window is [T0 + 60 s, T0 + 70 s).
    await limited({ requests: 2, perMs: 10_000 });

    const first = await getAlerts({ since: iso(T0) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset')).toBe(String((T0 + 70_000) / 1000));
    clock += 4000;
    expect((await getAlerts({ since: iso(T0) })).headers.get('x-ratelimit-remaining')).toBe('0');
  });

  it('answers 429 with Retry-After until the fixed window resets, then admits the next window', async () => {
    await limited({ requests: 2, perMs: 10_000 });
    await getAlerts({ since: iso(T0) });
    clock += 4000;
    await getAlerts({ since: iso(T0) });

    const refused = await getAlerts({ since: iso(T0) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('6');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(source.rateLimited).toBe(1);
    clock += 6000;
    const next = await getAlerts({ since: iso(T0) });
    expect(next.status).toBe(200);
    expect(next.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it('counts the alerts it served, and can have its limit changed or lifted while running', async () => {
    source.backlog(5, { from: T0, to: T0 + 1000 });
    await getAlerts({ since: iso(T0), limit: '3' });
    expect(source.alertsServed).toBe(3);

    source.setRateLimit({ requests: 1, perMs: 60_000 });
    expect((await getAlerts({ since: iso(T0) })).status).toBe(200);
    expect((await getAlerts({ since: iso(T0) })).status).toBe(429);
    source.setRateLimit(undefined);
    const free = await getAlerts({ since: iso(T0) });
    expect(free.status).toBe(200);
    expect(free.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('fault injection', () => {
  it('fails the next N requests with the chosen status, then recovers', async () => {
    source.setFailure('server-error', { count: 2 });
    expect((await getAlerts({ since: iso(T0) })).status).toBe(500);
    expect((await getAlerts({ since: iso(T0) })).status).toBe(500);
    expect((await getAlerts({ since: iso(T0) })).status).toBe(200);

    source.setFailure('unauthorized');
    expect((await getAlerts({ since: iso(T0) })).status).toBe(401);

    source.setFailure('rate-limited', { retryAfterSeconds: 3 });
    const limited = await getAlerts({ since: iso(T0) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
  });

  it('answers malformed JSON', async () => {
    source.setFailure('malformed-json');
    const response = await fetch(`${source.url}/alerts?since=${iso(T0)}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('answers slowly enough for a client timeout to fire', async () => {
    source.setFailure('slow', { delayMs: 30_000 });
    const slow = fetch(`${source.url}/alerts?since=${iso(T0)}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
      signal: AbortSignal.timeout(100),
    });
    await expect(slow).rejects.toThrow(/timeout|aborted/i);
    expect((await getAlerts({ since: iso(T0) })).status).toBe(200);
  });

  it('stays armed until cleared when count is Infinity', async () => {
    source.setFailure('server-error', { count: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++) expect((await getAlerts({ since: iso(T0) })).status).toBe(500);
    source.setFailure('none');
    expect((await getAlerts({ since: iso(T0) })).status).toBe(200);
  });

  it('counts every /alerts request, failed ones too, and not /health', async () => {
    source.setFailure('server-error');
    await getAlerts({ since: iso(T0) });
    await getAlerts({ since: 'bad' });
    await getAlerts({ since: iso(T0) }, 'wrong');
    await fetch(`${source.url}/health`);
    expect(source.requests).toBe(3);
  });
});
