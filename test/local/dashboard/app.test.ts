import { afterAll, describe, expect, it } from 'vitest';
import { createDashboardApp, type DashboardDeps } from '../../../local/dashboard/app.js';
import type { InstanceDocument } from '../../../shared/config/schema.js';
import { LeaseHeldError } from '../../../shared/errors.js';
import { MemoryStateStore } from '../../../shared/kit/memory-state-store.js';
import { registerSecrets } from '../../../shared/redact.js';
import type { ReplayStore } from '../../../shared/state/replay-store.js';
import { hostileRecorder } from '../../reliability/hostile-inputs.js';

const hostile = hostileRecorder('Dashboard');
afterAll(() => hostile.write());

const SECRET = 'dashboard-unit-secret-value';
const NOW = Date.parse('2026-03-10T12:00:00.000Z');

const document = (id: string): InstanceDocument => ({
  id,
  connector: 'helloworld',
  enabled: true,
  fetchInterval: '1 minute',
  params: {},
  secrets: {},
  sink: { type: 'ferry' },
  historyRetentionDays: 30,
});

const setup = () => {
  const store = new MemoryStateStore();
  const invoked: string[] = [];
  const deps: DashboardDeps = {
    mode: 'running',
    store,
    replays: { list: async () => [] } as unknown as ReplayStore,
    invoke: async (instanceId, operation) => {
      invoked.push(`${instanceId}:${operation}`);
      if (operation === 'test')
        return {
          kind: 'test',
          instanceId,
          ok: false,
          error: { code: 'SOURCE_AUTH', message: `bad key ${SECRET}` },
        };
      throw new Error('not in this test');
    },
    listInstances: async () => ({ documents: [document('alerts')], errors: [] }),
    connectorOf: async () => 'helloworld',
    clock: () => NOW,
  };
  return { app: createDashboardApp(deps), store, invoked };
};

const request = (
  app: ReturnType<typeof setup>['app'],
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) =>
  app.request(`http://127.0.0.1:8790${path}`, {
    method: init.method ?? 'GET',
    body: init.body,
    headers: {
      host: '127.0.0.1:8790',
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });

describe('the dashboard API', () => {
  it('serves the page with a strict content security policy', async () => {
    const { app } = setup();
    const response = await request(app, '/');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>Ferry</title>');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers only to a loopback host name (no DNS rebinding)', async () => {
    const { app } = setup();
    const response = await request(app, '/api/overview', { headers: { host: 'attacker.example:8790' } });
    expect(response.status).toBe(403);
  });

  it('refuses actions from another origin and actions that are not JSON (no cross-site form post)', async () => {
    const { app, store } = setup();
    await store.setLastRun('alerts', { lastRun: { time: '2026-03-10T11:00:00.000Z' }, now: NOW });
    const crossSite = await request(app, '/api/instances/alerts/reset', {
      method: 'POST',
      body: '{"confirm":"alerts"}',
      headers: { origin: 'https://attacker.example' },
    });
    expect(crossSite.status).toBe(403);
    const form = await request(app, '/api/instances/alerts/reset', {
      method: 'POST',
      body: 'confirm=alerts',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect((await store.read('alerts'))?.lastRun).toEqual({ time: '2026-03-10T11:00:00.000Z' });
  });

  it.each(['null', 'not a url', 'file://'])(
    'refuses an action with Origin: %s (403, never 500)',
    async (origin) => {
      const { app, store } = setup();
      await store.setLastRun('alerts', { lastRun: { time: '2026-03-10T11:00:00.000Z' }, now: NOW });

      const response = await request(app, '/api/instances/alerts/reset', {
        method: 'POST',
        body: '{"confirm":"alerts"}',
        headers: { origin },
      });

      expect(response.status).toBe(403);
      hostile.record({
        input: `a dashboard action with Origin: ${origin}`,
        expected: '403, nothing changed, never 500',
        measured: String(response.status),
        passed: response.status === 403,
      });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      expect((await store.read('alerts'))?.lastRun).toEqual({ time: '2026-03-10T11:00:00.000Z' });
    },
  );

  it('resets only with the instance named in the confirmation, and records it in the history', async () => {
    const { app, store } = setup();
    await store.setLastRun('alerts', { lastRun: { time: '2026-03-10T11:00:00.000Z' }, now: NOW });
    const unconfirmed = await request(app, '/api/instances/alerts/reset', { method: 'POST', body: '{}' });
    expect(unconfirmed.status).toBe(400);

    const confirmed = await request(app, '/api/instances/alerts/reset', {
      method: 'POST',
      body: '{"confirm":"alerts"}',
      headers: { origin: 'http://127.0.0.1:8790' },
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({
      action: 'last run reset by an operator (dashboard)',
      after: {},
    });
    expect((await store.read('alerts'))?.lastRun).toEqual({});
    const [record] = await store.listHistory('alerts');
    expect(record).toMatchObject({
      status: 'operator',
      connector: 'helloworld',
      lastRunBefore: { time: '2026-03-10T11:00:00.000Z' },
      lastRunAfter: {},
    });
  });

  it('refuses a reset while a fetch holds the lease, with 409 and the reason', async () => {
    const { app, store } = setup();
    await store.acquire('alerts', { leaseId: 'run', now: NOW, expiresAt: NOW + 60_000 });
    const response = await request(app, '/api/instances/alerts/reset', {
      method: 'POST',
      body: '{"confirm":"alerts"}',
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      new LeaseHeldError('alerts', NOW + 60_000).message,
    );
  });

  it('answers 404 for an instance that does not exist, without invoking anything', async () => {
    const { app, invoked } = setup();
    expect((await request(app, '/api/instances/nope/history')).status).toBe(404);
    expect((await request(app, '/api/instances/nope/debug', { method: 'POST', body: '{}' })).status).toBe(
      404,
    );
    expect(invoked).toEqual([]);
  });

  it('never returns a secret: answers pass through redact', async () => {
    registerSecrets([SECRET]);
    const { app } = setup();
    const response = await request(app, '/api/instances/alerts/test', { method: 'POST', body: '{}' });
    const text = await response.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({ outcome: { ok: false, error: { message: 'bad key ***' } } });
  });

  it("reports every instance's health in the overview", async () => {
    const { app } = setup();
    const body = await (await request(app, '/api/overview')).json();
    expect(body).toMatchObject({
      now: new Date(NOW).toISOString(),
      mode: 'running',
      instances: [{ instanceId: 'alerts', status: 'pending' }],
    });
  });
});
