import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { httpjson } from '../../../functions/httpjson/connector.js';
import type { IngestServer } from '../../../functions/ingest/server.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import type { Connector } from '../../../shared/connector.js';
import { runRedrive } from '../../../shared/quarantine/redrive.js';
import { runFetch } from '../../../shared/runner/run-fetch.js';
import { createFerrySink } from '../../../shared/sinks/ferry-sink.js';
import { DynamoQuarantineStore } from '../../../shared/state/quarantine-store.js';
import {
  type HostileAlertSource,
  nestedJson,
  startHostileAlertSource,
} from '../../helpers/hostile-alert-source.js';
import { INGEST_TOKEN, listAllIncidents, startTestIngest, storedIds } from '../../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { createManualClock, silentLogger } from '../../helpers/runtime.js';

const API_KEY = 'hostile-source-key';
const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const MINUTE = 60_000;

let fixture: DynamoFixture;
let ingest: IngestServer;
let quarantine: DynamoQuarantineStore;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  fixture = await startDynamoFixture();
  ingest = await startTestIngest(fixture.incidents);
  quarantine = new DynamoQuarantineStore({ client: fixture.client, tableName: fixture.tables.state });
}, DYNAMO_START_TIMEOUT_MS);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await ingest?.close();
  await fixture?.stop();
});

const sink = () =>
  createFerrySink({ url: ingest.url, token: INGEST_TOKEN, http: { baseDelayMs: 1, maxDelayMs: 5 } });

/** The parameters that point each connector at the hostile source's alert API. */
const paramsFor = {
  helloworld: (url: string) => ({ url }),
  httpjson: (url: string) => ({
    url: `${url}/alerts`,
    auth: { type: 'bearer' },
    query_params: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}' },
    items_path: 'alerts',
    fields: { id: 'id', occurred: 'created', name: 'name', severity: 'severity' },
  }),
} as const;
const secretsFor = { helloworld: { apiKey: API_KEY }, httpjson: { token: API_KEY } } as const;
type ConnectorName = keyof typeof paramsFor;
const connectors: Record<ConnectorName, Connector> = { helloworld, httpjson };

/** One instance of `name` on its own hostile source: four good alerts, in the last hour. */
const anInstance = async (name: ConnectorName) => {
  const source: HostileAlertSource = await startHostileAlertSource(API_KEY);
  cleanups.push(() => source.close());
  const clock = createManualClock(T0);
  const instanceId = anInstanceId(`hostile-${name}`);
  const document = instanceDocumentSchema.parse({
    id: instanceId,
    connector: name,
    params: { ...paramsFor[name](source.url), first_fetch: '1 hour', max_fetch: 50 },
    secrets: Object.fromEntries(Object.keys(secretsFor[name]).map((key) => [key, { env: 'UNUSED' }])),
    sink: { type: 'ferry' },
  });
  const good = [50, 40, 20, 10].map((minutes) => source.add(T0 - minutes * MINUTE));
  const run = (connector: Connector = connectors[name]) =>
    runFetch(
      {
        document,
        connector,
        secrets: async () => secretsFor[name],
        deadline: clock.now() + 60_000,
      },
      { store: fixture.store, sink: sink(), logger: silentLogger, clock: clock.now, quarantine },
    );
  const redrive = (connector: Connector = connectors[name], quarantineIds?: string[]) =>
    runRedrive(
      {
        document,
        connector,
        secrets: async () => secretsFor[name],
        deadline: clock.now() + 60_000,
        quarantineIds,
      },
      { store: fixture.store, quarantine, sink: sink(), logger: silentLogger, clock: clock.now },
    );
  return {
    instanceId,
    source,
    clock,
    good,
    run,
    redrive,
    delivered: () => storedIds(fixture.incidents, instanceId),
    quarantined: () => quarantine.list(instanceId),
  };
};

const at30 = new Date(T0 - 30 * MINUTE).toISOString();
const alertJson = (fields: Record<string, unknown>) =>
  JSON.stringify({ id: 'H-BAD', name: 'Bad alert', severity: 'low', created: at30, ...fields });

/** The four poison events of the report, and what each connector makes of them. */
const poisons = [
  {
    title: 'a name that is ""',
    json: alertJson({ name: '' }),
    // helloworld maps the name as it is; httpjson names a blank one after the id.
    expected: { helloworld: { quarantined: 'name' }, httpjson: { delivered: true } },
  },
  {
    title: 'a created time of 2026-13-45T99:00:00Z',
    json: alertJson({ created: '2026-13-45T99:00:00Z' }),
    expected: { helloworld: { quarantined: 'occurred' }, httpjson: { quarantined: '(mapping)' } },
  },
  {
    title: 'a severity of "constructor" (a prototype key of the severity map)',
    json: alertJson({ severity: 'constructor' }),
    expected: { helloworld: { delivered: true }, httpjson: { delivered: true } },
  },
  {
    title: 'a body nested 6,000 deep',
    json: alertJson({ payload: '§' }).replace('"§"', nestedJson(6_000)),
    expected: { helloworld: { quarantined: '(mapping)' }, httpjson: { quarantined: '(mapping)' } },
  },
] as const;

describe.each(['helloworld', 'httpjson'] as const)('one poison event on a page (%s)', (name) => {
  it.each(poisons)('delivers the rest of the page and moves on past $title', async (poison) => {
    const instance = await anInstance(name);
    instance.source.addRaw(T0 - 30 * MINUTE, poison.json);
    const expected = poison.expected[name];

    const first = await instance.run();
    instance.clock.advance(MINUTE);
    const later = instance.source.add(T0 + 30_000);
    const next = await instance.run();

    expect(first).toMatchObject({ status: 'ok', pulled: 5, pushed: 'delivered' in expected ? 5 : 4 });
    expect(first.error).toBeUndefined();
    expect(next).toMatchObject({ status: 'ok', pushed: 1 });
    const delivered = await instance.delivered();
    expect(delivered).toEqual(expect.arrayContaining([...instance.good, later]));
    const records = await instance.quarantined();
    if ('delivered' in expected) {
      expect(delivered).toContain('H-BAD');
      expect(records).toEqual([]);
      return;
    }
    expect(delivered).not.toContain('H-BAD');
    expect(first.quarantined).toBe(1);
    expect(first.message).toContain(`ferry quarantine ${instance.instanceId}`);
    expect(records).toEqual([
      expect.objectContaining({
        instanceId: instance.instanceId,
        connector: name,
        status: 'held',
        sourceId: 'H-BAD',
        reason: expect.objectContaining({ field: expected.quarantined }),
        runId: first.runId,
      }),
    ]);
    expect(records[0]!.reason.message).not.toMatch(/^Maximum call stack/);
    expect(records[0]!.raw.length).toBeLessThanOrEqual(64 * 1024);
    const [history] = await fixture.store
      .listHistory(instance.instanceId, { limit: 2 })
      .then((r) => r.reverse());
    expect(history).toMatchObject({ runId: first.runId, quarantined: 1, pushed: 4 });
  });
});

describe('the threshold: a broken mapping still fails the fetch', () => {
  it('fails the fetch, keeps the cursor and quarantines nothing when most of a page is invalid', async () => {
    const instance = await anInstance('helloworld');
    for (let i = 0; i < 6; i++)
      instance.source.addRaw(T0 - (30 - i) * MINUTE, alertJson({ id: `H-B${i}`, name: '' }));
    const before = await fixture.store.read(instance.instanceId);

    const outcome = await instance.run();

    expect(outcome.status).toBe('error');
    expect(outcome.error).toMatchObject({ code: 'INCIDENT_INVALID' });
    expect(outcome.error?.message).toMatch(
      /6 of the 10 incidents of this page are invalid.*mapping is broken/,
    );
    expect((await fixture.store.read(instance.instanceId))?.lastRun).toEqual(before?.lastRun ?? {});
    expect(await instance.quarantined()).toEqual([]);
    expect(await instance.delivered()).toEqual([]);
  });
});

describe('re-drive', () => {
  /** helloworld with its mapping fixed: a blank name falls back to the alert's id. */
  const fixedHelloworld: Connector = {
    ...helloworld,
    toIncident: (alert: { id: string; name: string }, ctx: never) =>
      helloworld.toIncident({ ...alert, name: alert.name || `Alert ${alert.id}` } as never, ctx),
  };

  it('keeps an event held while it is still invalid, then delivers it exactly once when the mapping is fixed', async () => {
    const instance = await anInstance('helloworld');
    instance.source.addRaw(T0 - 30 * MINUTE, alertJson({ name: '' }));
    await instance.run();
    const [record] = await instance.quarantined();

    const unfixed = await instance.redrive();
    const fixed = await instance.redrive(fixedHelloworld);
    const again = await instance.redrive(fixedHelloworld, [record!.quarantineId]);

    expect(unfixed).toMatchObject({ delivered: [], stillInvalid: [{ quarantineId: record!.quarantineId }] });
    expect(fixed).toMatchObject({
      delivered: [{ quarantineId: record!.quarantineId, key: 'H-BAD', sourceId: 'H-BAD' }],
      stillInvalid: [],
    });
    expect(again.delivered).toEqual([]);
    expect(again.skipped).toEqual([
      { quarantineId: record!.quarantineId, why: expect.stringContaining('already re-driven') },
    ]);
    const stored = (await listAllIncidents(fixture.incidents, instance.instanceId)).filter(
      (s) => s.incident.dbotMirrorId === 'H-BAD',
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.incident.name).toBe('Alert H-BAD');
    expect(await quarantine.get(instance.instanceId, record!.quarantineId)).toMatchObject({
      status: 'redriven',
      redriveKey: 'H-BAD',
      redriveAttempts: 2,
    });
    const actions = (await fixture.store.listHistory(instance.instanceId)).filter(
      (r) => r.action === 'redrive',
    );
    expect(actions.map((r) => [r.pushed, r.quarantined])).toEqual(
      expect.arrayContaining([
        [0, 1],
        [1, 0],
      ]),
    );
  });

  it('cannot re-drive a record stored cut, and says why', async () => {
    const instance = await anInstance('helloworld');
    instance.source.addRaw(T0 - 30 * MINUTE, alertJson({ payload: '§' }).replace('"§"', nestedJson(6_000)));
    await instance.run();

    const outcome = await instance.redrive();

    expect(outcome.delivered).toEqual([]);
    expect(outcome.stillInvalid).toEqual([
      expect.objectContaining({
        reason: expect.objectContaining({ message: expect.stringContaining('stored cut') }),
      }),
    ]);
  });
});
