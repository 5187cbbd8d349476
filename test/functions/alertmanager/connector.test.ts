import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertmanagerLastRun,
  alertmanager,
  createAlertmanagerConnector,
} from '../../../functions/alertmanager/connector.js';
import { alertmanagerParams } from '../../../functions/alertmanager/params.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import type { CursorConnector, LastRun } from '../../../shared/connector.js';
import { runConnectorTest } from '../../../shared/handler/run-connector-test.js';
import { validateIncident } from '../../../shared/incident.js';
import type { StateStore } from '../../../shared/state/state-store.js';
import {
  type AlertmanagerServer,
  skipWithoutAlertmanager,
  startAlertmanager,
} from '../../helpers/alertmanager.js';
import { type ContextOptions, fetchContext } from '../../helpers/fetch-context.js';
import { silentLogger } from '../../helpers/runtime.js';
import { closedPortUrl } from '../../helpers/servers.js';

const MINUTE = 60_000;
let server: AlertmanagerServer;

beforeAll(async () => {
  if (!skipWithoutAlertmanager) server = await startAlertmanager();
});

afterAll(async () => {
  await server?.stop();
});

/** A label unique to one test, so its alerts and its filter see nothing of the others'. */
const aRun = () => `run-${randomUUID().slice(0, 8)}`;

const fetchWith = async (
  params: Record<string, unknown>,
  options: ContextOptions = {},
  connector: CursorConnector<ReturnType<typeof alertmanagerParams.parse>> = alertmanager,
) => {
  const { ctx, messages } = fetchContext(alertmanagerParams.parse({ url: server.url, ...params }), options);
  const result = await connector.fetchIncidents(ctx);
  return { ...result, health: messages };
};

/** Remembered episodes: 8 characters each in the serialized cursor. */
const rememberedIn = (lastRun: LastRun) =>
  Object.values((lastRun as AlertmanagerLastRun).episodes ?? {}).join('').length / 8;

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe.skipIf(skipWithoutAlertmanager)('the Alertmanager connector, against a real Alertmanager', () => {
  it('fetches the firing alerts once, mapped to incidents; the next fetch finds nothing new', async () => {
    const run = aRun();
    await server.post([
      {
        labels: { alertname: 'HighCPU', severity: 'critical', instance: 'web-1', run },
        annotations: {
          summary: 'CPU above 90%',
          description: 'web-1 is saturated',
          runbook: 'https://rb/cpu',
        },
        startsAt: ago(2 * MINUTE),
      },
      { labels: { alertname: 'DiskFilling', severity: 'warning', run }, startsAt: ago(MINUTE) },
    ]);
    await server.waitForActive([`run="${run}"`], 2);

    const first = await fetchWith({ filter: `run="${run}"` });
    const second = await fetchWith({ filter: `run="${run}"` }, { lastRun: first.nextRun });

    expect(first.incidents.map((incident) => incident.name)).toEqual([
      'HighCPU: CPU above 90%',
      'DiskFilling',
    ]);
    const [cpu] = first.incidents;
    const raw = JSON.parse(cpu!.rawJSON!) as { fingerprint: string; startsAt: string };
    expect(cpu).toMatchObject({
      occurred: new Date(raw.startsAt).toISOString(),
      dbotMirrorId: `${raw.fingerprint}:${new Date(raw.startsAt).toISOString()}`,
      details: 'web-1 is saturated\n\nrunbook: https://rb/cpu',
      severity: 4,
      type: 'Prometheus Alert',
    });
    expect(cpu!.labels).toEqual(
      expect.arrayContaining([
        { type: 'alertname', value: 'HighCPU' },
        { type: 'instance', value: 'web-1' },
        { type: 'severity', value: 'critical' },
      ]),
    );
    expect(first.incidents[1]!.severity).toBe(2);
    for (const [index, incident] of first.incidents.entries()) validateIncident(incident, index);
    expect(first.hasMore).toBe(false);
    expect(second).toMatchObject({ incidents: [], hasMore: false, dropped: 2 });
  });

  it('fetches a re-fire after resolution as a new incident with its own id', async () => {
    const run = aRun();
    const labels = { alertname: 'Flapping', severity: 'high', run };
    await server.post([{ labels }]);
    await server.waitForActive([`run="${run}"`], 1);
    const first = await fetchWith({ filter: `run="${run}"` });

    await server.resolve([labels]);
    await server.waitForActive([`run="${run}"`], 0);
    const whileResolved = await fetchWith({ filter: `run="${run}"` }, { lastRun: first.nextRun });
    await server.post([{ labels }]);
    await server.waitForActive([`run="${run}"`], 1);
    const refired = await fetchWith({ filter: `run="${run}"` }, { lastRun: whileResolved.nextRun });

    expect(first.incidents).toHaveLength(1);
    expect(whileResolved.incidents).toEqual([]);
    expect(refired.incidents).toHaveLength(1);
    const [before, after] = [first.incidents[0]!.dbotMirrorId!, refired.incidents[0]!.dbotMirrorId!];
    expect(after).not.toBe(before);
    expect(after.split(':')[0]).toBe(before.split(':')[0]); // same fingerprint, new startsAt
  });

  it('respects max_fetch: the oldest first, hasMore until every episode is fetched', async () => {
    const run = aRun();
    await server.post(
      [5, 4, 3, 2, 1].map((minutes) => ({
        labels: { alertname: `Backlog${minutes}`, run },
        startsAt: ago(minutes * MINUTE),
      })),
    );
    await server.waitForActive([`run="${run}"`], 5);

    const pages: string[][] = [];
    let lastRun: LastRun = {};
    for (let page = 0; page < 3; page++) {
      const result = await fetchWith({ filter: `run="${run}"` }, { lastRun, maxFetch: 2 });
      pages.push(result.incidents.map((incident) => incident.name));
      expect(result.hasMore).toBe(page < 2);
      lastRun = result.nextRun;
    }

    expect(pages).toEqual([['Backlog5', 'Backlog4'], ['Backlog3', 'Backlog2'], ['Backlog1']]);
  });

  it('passes the filter matchers to Alertmanager: only matching alerts are fetched', async () => {
    const run = aRun();
    await server.post([
      { labels: { alertname: 'Critical', severity: 'critical', run } },
      { labels: { alertname: 'Warning', severity: 'warning', run } },
      { labels: { alertname: 'Other', severity: 'critical', run, team: 'infra' } },
    ]);
    await server.waitForActive([`run="${run}"`], 3);

    const result = await fetchWith({ filter: [`run="${run}"`, 'severity=~"crit.*"', 'team!="infra"'] });

    expect(result.incidents.map((incident) => incident.name)).toEqual(['Critical']);
  });

  it('skips silenced alerts, yet remembers a fetched one while it is silenced', async () => {
    const run = aRun();
    await server.post([{ labels: { alertname: 'Silenced', run } }]);
    await server.waitForActive([`run="${run}"`], 1);
    const first = await fetchWith({ filter: `run="${run}"` });
    const silence = await fetch(`${server.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'run', value: run, isRegex: false }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 60 * MINUTE).toISOString(),
        createdBy: 'ferry tests',
        comment: 'maintenance',
      }),
    });
    const { silenceID } = (await silence.json()) as { silenceID: string };
    await server.waitForActive([`run="${run}"`], 0);
    await server.post([{ labels: { alertname: 'NewWhileSilenced', run } }]);

    const silenced = await fetchWith({ filter: `run="${run}"` }, { lastRun: first.nextRun });
    await fetch(`${server.url}/api/v2/silence/${silenceID}`, { method: 'DELETE' });
    await server.waitForActive([`run="${run}"`], 2);
    const afterSilence = await fetchWith({ filter: `run="${run}"` }, { lastRun: silenced.nextRun });

    expect(first.incidents.map((incident) => incident.name)).toEqual(['Silenced']);
    expect(silenced.incidents).toEqual([]);
    expect(rememberedIn(silenced.nextRun)).toBe(1);
    expect(afterSilence.incidents.map((incident) => incident.name)).toEqual(['NewWhileSilenced']);
  });

  it('forgets resolved episodes once forgetAfterMinutes passed: the cursor stays bounded', async () => {
    const run = aRun();
    const alerts = Array.from({ length: 40 }, (_, index) => ({ alertname: `Burst${index}`, run }));
    await server.post(alerts.map((labels) => ({ labels })));
    await server.waitForActive([`run="${run}"`], 40);
    const fetched = await fetchWith({ filter: `run="${run}"` });

    await server.resolve(alerts);
    await server.waitForActive([`run="${run}"`], 0);
    const soon = await fetchWith({ filter: `run="${run}"` }, { lastRun: fetched.nextRun });
    const later = await fetchWith(
      { filter: `run="${run}"` },
      { lastRun: soon.nextRun, now: new Date(Date.now() + 11 * MINUTE) },
    );

    expect(fetched.incidents).toHaveLength(40);
    expect(rememberedIn(fetched.nextRun)).toBe(40);
    expect(rememberedIn(soon.nextRun)).toBe(40); // a restarted Alertmanager lists nothing for a moment
    expect(later.nextRun).toEqual({ episodes: {} });
  });

  it('caps the remembered episodes and says so in the health; the rest follows as others resolve', async () => {
    const run = aRun();
    const capped = createAlertmanagerConnector({ maxEpisodes: 3 });
    const alerts = [5, 4, 3, 2, 1].map((minutes) => ({ alertname: `Capped${minutes}`, run, minutes }));
    await server.post(alerts.map(({ minutes, ...labels }) => ({ labels, startsAt: ago(minutes * MINUTE) })));
    await server.waitForActive([`run="${run}"`], 5);

    const first = await fetchWith({ filter: `run="${run}"` }, {}, capped);
    await server.resolve(alerts.slice(0, 2).map(({ minutes: _minutes, ...labels }) => labels));
    await server.waitForActive([`run="${run}"`], 3);
    const next = await fetchWith(
      { filter: `run="${run}"` },
      { lastRun: first.nextRun, now: new Date(Date.now() + 11 * MINUTE) },
      capped,
    );

    expect(first.incidents.map((incident) => incident.name)).toEqual(['Capped5', 'Capped4', 'Capped3']);
    expect(first.hasMore).toBe(false);
    expect(first.health).toEqual([
      { text: expect.stringContaining('2 firing alert(s) were not fetched'), isError: true },
    ]);
    expect(rememberedIn(first.nextRun)).toBe(3);
    expect(next.incidents.map((incident) => incident.name)).toEqual(['Capped2', 'Capped1']);
    expect(rememberedIn(next.nextRun)).toBe(3);
  });
});

describe.skipIf(skipWithoutAlertmanager)("the Alertmanager connector's Test button", () => {
  const emptyStore = {
    read: async () => undefined,
    getContext: async () => ({ value: {}, version: 0 }),
  } as unknown as StateStore;

  const testInstance = (params: Record<string, unknown>) =>
    runConnectorTest({
      document: instanceDocumentSchema.parse({
        id: 'am',
        connector: 'alertmanager',
        params,
        sink: { type: 'ferry' },
      }),
      connector: alertmanager,
      resolveSecrets: async () => ({}),
      store: emptyStore,
      logger: silentLogger,
      timeoutMs: 10_000,
    });

  it('passes against a running Alertmanager', async () => {
    expect(await testInstance({ url: server.url, filter: ['severity="critical"'] })).toEqual({
      kind: 'test',
      instanceId: 'am',
      ok: true,
    });
  });

  it('fails for a URL where nothing listens, saying to check the URL', async () => {
    const outcome = await testInstance({ url: await closedPortUrl() });

    expect(outcome).toMatchObject({ ok: false, error: { code: 'SOURCE_UNREACHABLE' } });
    expect(outcome.error?.message).toContain('Check the URL');
  });

  it('fails for a malformed matcher before asking the server, naming params.filter', async () => {
    const outcome = await testInstance({ url: server.url, filter: ['severity'] });

    expect(outcome).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
    expect(outcome.error?.message).toContain('params.filter');
  });

  it('fails when Alertmanager rejects the filter, saying which parameter to fix', async () => {
    const outcome = await testInstance({ url: server.url, filter: ['alertname=~"("'] });

    expect(outcome).toMatchObject({ ok: false, error: { code: 'SOURCE_HTTP' } });
    expect(outcome.error?.message).toContain('check params.filter');
  });
});
