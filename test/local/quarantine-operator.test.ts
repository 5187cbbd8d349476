import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IngestServer } from '../../functions/ingest/server.js';
import { commandQuarantine } from '../../local/cli/command-quarantine.js';
import { createDashboardApp } from '../../local/dashboard/app.js';
import { createLocalInvoker } from '../../local/local-invoker.js';
import { instanceDocumentSchema } from '../../shared/config/schema.js';
import { DynamoQuarantineStore } from '../../shared/state/quarantine-store.js';
import { type HostileAlertSource, startHostileAlertSource } from '../helpers/hostile-alert-source.js';
import { INGEST_TOKEN, startTestIngest, storedIds } from '../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../helpers/local-dynamo.js';
import { silentLogger } from '../helpers/runtime.js';

const API_KEY = 'quarantine-operator-key';
process.env.QUARANTINE_TEST_API_KEY = API_KEY;
process.env.QUARANTINE_TEST_INGEST_TOKEN = INGEST_TOKEN;

let fixture: DynamoFixture;
let ingest: IngestServer;
let source: HostileAlertSource;
let quarantine: DynamoQuarantineStore;
const instanceId = anInstanceId('operator');

beforeAll(async () => {
  fixture = await startDynamoFixture();
  ingest = await startTestIngest(fixture.incidents);
  source = await startHostileAlertSource(API_KEY);
  quarantine = new DynamoQuarantineStore({ client: fixture.client, tableName: fixture.tables.state });
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await source?.close();
  await ingest?.close();
  await fixture?.stop();
});

/** The operator's view: the same handler the scheduler invokes, over DynamoDB Local and the endpoint. */
const operator = () => {
  const document = instanceDocumentSchema.parse({
    id: instanceId,
    connector: 'helloworld',
    params: { url: source.url, first_fetch: '1 hour' },
    secrets: { apiKey: { env: 'QUARANTINE_TEST_API_KEY' } },
    sink: { type: 'ferry', token: { env: 'QUARANTINE_TEST_INGEST_TOKEN' } },
  });
  const invoke = createLocalInvoker({
    instances: { getInstance: async () => document },
    store: fixture.store,
    ingestUrl: ingest.url,
    logger: silentLogger,
    quarantine,
  });
  return { invoke, quarantine };
};

/** Runs a CLI command function, capturing what it prints. */
const captured = async (run: () => Promise<number>) => {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line) => void out.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation((line) => void out.push(String(line)));
  try {
    return { code: await run(), text: out.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
};

describe('operating the quarantine', () => {
  it('lists, exports, re-drives and discards from the CLI and the dashboard, recording each re-drive', async () => {
    const env = operator();
    const now = Date.now();
    const good = [40, 20].map((minutes) => source.add(now - minutes * 60_000));
    source.addRaw(
      now - 30 * 60_000,
      JSON.stringify({
        id: 'H-POISON',
        name: '',
        severity: 'low',
        created: new Date(now - 30 * 60_000).toISOString(),
      }),
    );

    const fetched = await env.invoke(instanceId, 'fetch');
    const listing = await captured(() => commandQuarantine(env, instanceId, {}));
    const exported = await captured(() => commandQuarantine(env, instanceId, { export: true }));
    const redriven = await captured(() => commandQuarantine(env, instanceId, { redrive: true }));

    expect(fetched).toMatchObject({ status: 'ok', pushed: 2, quarantined: 1 });
    expect(await storedIds(fixture.incidents, instanceId)).toEqual(good.sort());
    expect(listing.code).toBe(0);
    expect(listing.text).toMatch(
      /held\s+H-POISON\s+name: Incident #\d \(dbotMirrorId "H-POISON"\) is invalid/,
    );
    const file = JSON.parse(exported.text);
    expect(file).toMatchObject({ instanceId, count: 1, records: [{ sourceId: 'H-POISON', status: 'held' }] });
    expect(file.records[0].raw).toMatchObject({ dbotMirrorId: 'H-POISON', name: '' });
    // helloworld still maps the nameless alert the same way: it stays held, with the reason.
    expect(redriven.code).toBe(1);
    expect(redriven.text).toContain('0 delivered, 1 still invalid (kept), 0 skipped');
    await expect(commandQuarantine(env, instanceId, { redrive: true, ids: ['../STATE'] })).rejects.toThrow(
      'is not a quarantine id',
    );

    const app = createDashboardApp({
      mode: 'running',
      store: fixture.store,
      replays: { list: async () => [] } as never,
      quarantine,
      invoke: env.invoke,
      listInstances: async () => ({ documents: [{ id: instanceId } as never], errors: [] }),
      connectorOf: async () => 'helloworld',
    });
    const get = (path: string) =>
      app.request(`http://127.0.0.1:8790${path}`, { headers: { host: '127.0.0.1:8790' } });
    const listed = (await (await get(`/api/instances/${instanceId}/quarantine`)).json()) as {
      records: { quarantineId: string }[];
    };
    const download = await get(`/api/instances/${instanceId}/quarantine/export`);
    const post = await app.request(`http://127.0.0.1:8790/api/instances/${instanceId}/quarantine/redrive`, {
      method: 'POST',
      body: JSON.stringify({ ids: [listed.records[0]!.quarantineId] }),
      headers: { host: '127.0.0.1:8790', 'content-type': 'application/json' },
    });
    const refused = await app.request(
      `http://127.0.0.1:8790/api/instances/${instanceId}/quarantine/redrive`,
      {
        method: 'POST',
        body: JSON.stringify({ ids: ['STATE'] }),
        headers: { host: '127.0.0.1:8790', 'content-type': 'application/json' },
      },
    );

    expect(listed.records).toEqual([expect.objectContaining({ sourceId: 'H-POISON', redriveAttempts: 1 })]);
    expect(download.headers.get('content-disposition')).toContain(`ferry-quarantine-${instanceId}.json`);
    expect(((await download.json()) as { count: number }).count).toBe(1);
    expect(((await post.json()) as { outcome: unknown }).outcome).toMatchObject({
      kind: 'redrive',
      stillInvalid: [{ quarantineId: listed.records[0]!.quarantineId }],
    });
    expect(refused.status).toBe(400);
    const redrives = (await fixture.store.listHistory(instanceId)).filter(
      (record) => record.action === 'redrive',
    );
    expect(redrives).toHaveLength(2);
    expect(redrives[0]).toMatchObject({ status: 'operator', pushed: 0, quarantined: 1 });

    const discarded = await captured(() =>
      commandQuarantine(env, instanceId, { discard: listed.records[0]!.quarantineId }),
    );

    expect(discarded.code).toBe(0);
    expect(await quarantine.list(instanceId)).toEqual([]);
    expect(await quarantine.list(instanceId, { status: 'discarded' })).toHaveLength(1);
    expect((await env.invoke(instanceId, 'redrive')) as unknown).toMatchObject({
      delivered: [],
      stillInvalid: [],
    });
  });
});
