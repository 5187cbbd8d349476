import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DemoAlert } from '../../../local/demo-source/alert-generator.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import { ConfigError } from '../../../shared/errors.js';

const API_KEY = 'test-key';
const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER, limit: Number.POSITIVE_INFINITY };

const started: DemoSource[] = [];
async function start(options: Partial<Parameters<typeof startDemoSource>[0]> = {}) {
  const source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0, ...options });
  started.push(source);
  return source;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(started.splice(0).map((source) => source.close()));
});

describe('startDemoSource', () => {
  it('listens on an ephemeral port of 127.0.0.1', async () => {
    const source = await start();

    expect(source.port).toBeGreaterThan(0);
    expect(source.url).toBe(`http://127.0.0.1:${source.port}`);
    expect((await fetch(`${source.url}/health`)).status).toBe(200);
  });

  it('refuses to start without an API key', async () => {
    await expect(startDemoSource({ apiKey: '' })).rejects.toThrow(/apiKey/);
  });

  it('rejects when the port is taken', async () => {
    const first = await start();
    await expect(startDemoSource({ apiKey: API_KEY, port: first.port, ratePerSecond: 0 })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});

describe('continuous generation', () => {
  it('generates ratePerSecond alerts, created at the clock time each was due', async () => {
    // Only the interval is faked: the HTTP server and fetch keep their real timers.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = T0;
    const source = await start({ ratePerSecond: 2, now: () => clock });

    clock += 3000;
    vi.advanceTimersByTime(3000);

    const alerts = source.store.query(ALL);
    expect(alerts.map((alert) => alert.created)).toEqual(
      [500, 1000, 1500, 2000, 2500, 3000].map((ms) => new Date(T0 + ms).toISOString()),
    );
    const response = await fetch(`${source.url}/alerts?since=${new Date(T0).toISOString()}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    // until defaults to now and is exclusive: the alert created this very millisecond waits.
    expect(((await response.json()) as { alerts: DemoAlert[] }).alerts).toHaveLength(5);
  });

  it('generates one alert a second by default', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = T0;
    const source = await startDemoSource({ apiKey: API_KEY, now: () => clock });
    started.push(source);

    clock += 5000;
    vi.advanceTimersByTime(5000);

    expect(source.store.size).toBe(5);
  });

  it('changes rate at runtime and stops at 0', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = T0;
    const source = await start({ ratePerSecond: 0, now: () => clock });

    source.setRate(100);
    clock += 1000;
    vi.advanceTimersByTime(1000);
    expect(source.store.size).toBe(100);

    source.setRate(0);
    clock += 1000;
    vi.advanceTimersByTime(1000);
    expect(source.store.size).toBe(100);
  });

  it('hides generated alerts for the indexing delay', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = T0;
    const source = await start({ ratePerSecond: 1, now: () => clock, indexingDelayMs: 2000 });

    clock += 3000;
    vi.advanceTimersByTime(3000);

    expect(source.store.size).toBe(3);
    expect(source.store.query({ ...ALL, visibleAt: clock })).toHaveLength(1);
  });
});

describe('controls', () => {
  it('bulk-inserts a backlog spread over [from, to)', async () => {
    const source = await start();

    const inserted = source.backlog(10_000, { from: T0, to: T0 + 10_000_000 });

    const alerts = source.store.query(ALL);
    expect(inserted.count).toBe(10_000);
    expect(Date.parse(alerts[0]!.created)).toBeGreaterThanOrEqual(T0);
    expect(Date.parse(alerts.at(-1)!.created)).toBeLessThan(T0 + 10_000_000);
    // Evenly spread: each tenth of the range holds about a tenth of the alerts.
    const firstTenth = alerts.filter((alert) => Date.parse(alert.created) < T0 + 1_000_000);
    expect(firstTenth).toHaveLength(1000);
  });

  it('backfills the last 24 hours by default and refuses an empty range', async () => {
    const clock = T0;
    const source = await start({ now: () => clock });

    source.backlog(100);

    const alerts = source.store.query(ALL);
    expect(Date.parse(alerts[0]!.created)).toBeGreaterThanOrEqual(T0 - 24 * 3600_000);
    expect(Date.parse(alerts.at(-1)!.created)).toBeLessThan(T0);
    expect(() => source.backlog(1, { from: T0, to: T0 })).toThrow(ConfigError);
  });

  it('adds an alert with the given fields and now as created', async () => {
    const source = await start({ now: () => T0 });

    const alert = source.add({ name: 'Suspicious login from new country', severity: 'high', user: 'x@y.z' });

    expect(alert).toMatchObject({
      id: 'A-000001',
      name: 'Suspicious login from new country',
      severity: 'high',
      user: 'x@y.z',
      created: '2024-05-01T00:00:00.000Z',
    });
  });

  it('adds a burst sharing one timestamp', async () => {
    const source = await start({ now: () => T0 });

    const burst = source.addBurst(25);

    expect(burst).toHaveLength(25);
    expect(new Set(burst.map((alert) => alert.created))).toEqual(new Set(['2024-05-01T00:00:00.000Z']));
  });
});

describe('close', () => {
  it('frees the port, also with a keep-alive connection and a slow request open', async () => {
    const source = await start();
    await fetch(`${source.url}/health`); // leaves an idle keep-alive socket
    source.setFailure('slow', { delayMs: 60_000 });
    const pending = fetch(`${source.url}/alerts?since=2024-01-01T00:00:00Z`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    }).catch((error: unknown) => error);

    await vi.waitFor(() => expect(source.requests).toBe(1));
    await source.close();
    await source.close(); // idempotent

    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${source.url}/health`)).rejects.toThrow();
    await expect(portIsFree(source.port)).resolves.toBe(true);
  });
});

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('startDemoSource with streams', () => {
  it('gives each stream its own alerts at its own steady rate, under its own base URL', async () => {
    let now = T0;
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const source = await start({ now: () => now, streams: { count: 3, ratePerSecond: 1 } });

    for (let second = 0; second < 10; second++) {
      now += 1000;
      await vi.advanceTimersByTimeAsync(1000);
    }
    source.stopStreams();
    now += 5000;
    await vi.advanceTimersByTimeAsync(5000);

    const counts = [1, 2, 3].map((n) => source.stream(n).query(ALL).length);
    expect(counts.every((count) => count >= 9 && count <= 10)).toBe(true);
    expect(source.store.query(ALL)).toEqual([]);
    const answer = await fetch(`${source.streamUrl(2)}/alerts?since=1970-01-01T00:00:00Z&limit=1000`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const { alerts } = (await answer.json()) as { alerts: DemoAlert[] };
    expect(alerts.map((alert) => alert.id)).toEqual(
      source
        .stream(2)
        .query(ALL)
        .map((alert) => alert.id),
    );
    // Ids are the stream's own: no alert of stream 2 is in stream 1.
    const first = new Set(
      source
        .stream(1)
        .query(ALL)
        .map((alert) => alert.id),
    );
    expect(alerts.some((alert) => first.has(alert.id))).toBe(false);
  });

  it('answers 404 for a stream that does not exist, 401 without the key', async () => {
    const source = await start({ streams: { count: 2, ratePerSecond: 0 } });
    const get = (path: string, key = API_KEY) =>
      fetch(`${source.url}${path}/alerts?since=1970-01-01T00:00:00Z`, {
        headers: { authorization: `Bearer ${key}` },
      });

    expect((await get('/streams/3')).status).toBe(404);
    expect((await get('/streams/0')).status).toBe(404);
    expect((await get('/streams/x')).status).toBe(404);
    expect((await get('/streams/1', 'wrong')).status).toBe(401);
    expect((await get('/streams/1')).status).toBe(200);
    expect(() => source.stream(3)).toThrow(/No stream 3/);
  });
});
