import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DynamoIncidentStore } from '../../../functions/ingest/incident-store.js';
import { type IngestServer, startIngestServer } from '../../../functions/ingest/server.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import type { CursorConnector } from '../../../shared/connector.js';
import type { Incident } from '../../../shared/incident.js';
import { createLogger } from '../../../shared/logger.js';
import { runFetch } from '../../../shared/runner/run-fetch.js';
import { createEventBridgeSink } from '../../../shared/sinks/eventbridge-sink.js';
import { createFerrySink } from '../../../shared/sinks/ferry-sink.js';
import type { Sink } from '../../../shared/sinks/sink.js';
import { createXsoarSink, type XsoarSinkOptions } from '../../../shared/sinks/xsoar-sink.js';
import { DynamoStateStore } from '../../../shared/state/dynamo-state-store.js';
import type { StateStore } from '../../../shared/state/state-store.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';
import { aBatch } from '../../helpers/incidents.js';
import {
  startXsoarStandIn,
  type XsoarStandIn,
  type XsoarStandInOptions,
} from '../../helpers/xsoar/stand-in.js';
import { anInstanceId, type LedgerFixture, startLedgerFixture } from './ledger-fixture.js';

// A crash between push and commit, simulated by pushing, not committing, and pushing the same incidents
// again under a new run id — what the next fetch does, since the last run did not move.

const apiKey = 'test-api-key-0123456789';
const fast = { retries: 0, baseDelayMs: 1, maxDelayMs: 5 };
const silent = createLogger({ level: 'SILENT' });

let fixture: LedgerFixture;
let xsoar: XsoarStandIn | undefined;

beforeAll(async () => {
  fixture = await startLedgerFixture();
});

afterAll(async () => {
  await fixture?.stop();
});

afterEach(async () => {
  await xsoar?.close();
  xsoar = undefined;
});

const startXsoar = async (options: Partial<XsoarStandInOptions> = {}) => {
  xsoar = await startXsoarStandIn({ flavour: 6, apiKey, ...options });
  return xsoar;
};

const incidents = (count: number): Incident[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `Alert ${i}`,
    occurred: '2024-05-01T10:00:00.000Z',
    rawJSON: JSON.stringify({ id: i }),
    dbotMirrorId: `A-${i}`,
  }));

const batch = (instance: string, items: Incident[], runId: string) => aBatch(items, { instance, runId });

const xsoarSink = (server: XsoarStandIn, options: Partial<XsoarSinkOptions> = {}) =>
  createXsoarSink({
    url: server.url,
    apiKey,
    ledger: fixture.ledger,
    resolveDelayMs: 0,
    http: fast,
    ...options,
  });

/** The names XSOAR holds, with how many times each. */
const copies = (server: XsoarStandIn) => {
  const counts = new Map<string, number>();
  for (const item of server.incidents) {
    const name = String(item.body.name);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
};

describe('a crash between push and commit, xsoar sink (delivery ledger)', () => {
  it('XSOAR 6: the retried push creates nothing again and reports the same ids', async () => {
    const server = await startXsoar();
    const instance = anInstanceId();
    const items = incidents(8);

    const first = await xsoarSink(server).push(batch(instance, items, 'run-1'));
    // crash: no commit
    const again = await xsoarSink(server).push(batch(instance, items, 'run-2'));

    expect(server.incidents).toHaveLength(8);
    expect(first).toMatchObject({ accepted: 8, duplicates: 0 });
    expect(again).toEqual({ accepted: 8, duplicates: 8, ids: first.ids });
  });

  it('XSOAR 8 and the Generic Webhook: each incident once', async () => {
    for (const flavour of [8, 'webhook'] as const) {
      const server = await startXsoarStandIn({ flavour, apiKey, apiKeyId: '3', webhook: { name: 'ferry' } });
      const options: Partial<XsoarSinkOptions> =
        flavour === 8 ? { version: 8, apiKeyId: '3' } : { mode: 'webhook', webhookInstance: 'ferry' };
      const instance = anInstanceId();
      await xsoarSink(server, options).push(batch(instance, incidents(5), 'run-1'));
      await xsoarSink(server, options).push(batch(instance, incidents(5), 'run-2'));
      expect(server.incidents).toHaveLength(5);
      await server.close();
    }
  });

  it('a push that failed half-way: the retry sends only the rest', async () => {
    const server = await startXsoar();
    const instance = anInstanceId();
    server.failAfter(3, { status: 500 });

    await expect(
      xsoarSink(server, { concurrency: 1 }).push(batch(instance, incidents(6), 'run-1')),
    ).rejects.toThrow(/3 of 6 incidents were created/);
    server.failAfter(0, undefined);
    const again = await xsoarSink(server).push(batch(instance, incidents(6), 'run-2'));

    expect(again).toMatchObject({ accepted: 6, duplicates: 3 });
    expect([...copies(server).values()]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('a push stopped by the deadline: what was created before it is recorded, the retry sends the rest', async () => {
    const server = await startXsoar();
    server.delayMs = 50;
    const instance = anInstanceId();
    const controller = new AbortController();
    // The deadline strikes as XSOAR creates the 4th incident: its answer, and the other one in flight, are lost.
    server.onCreated = () => {
      if (server.incidents.length === 4) {
        controller.abort(new Error('The invocation deadline is near; the fetch was stopped.'));
      }
    };

    await expect(
      xsoarSink(server, { concurrency: 2 }).push(batch(instance, incidents(20), 'run-1'), {
        signal: controller.signal,
      }),
    ).rejects.toThrow(/deadline/);
    const createdBefore = server.incidents.length;
    server.delayMs = 0;
    server.onCreated = undefined;
    const again = await xsoarSink(server).push(batch(instance, incidents(20), 'run-2'));

    expect(createdBefore).toBeGreaterThanOrEqual(4);
    // An aborted request that XSOAR finished anyway is the one duplicate the ledger cannot see.
    expect(server.incidents.length).toBeLessThanOrEqual(20 + 2);
    expect(again.duplicates).toBeGreaterThanOrEqual(createdBefore - 2);
    expect(new Set(server.incidents.map((item) => item.body.name)).size).toBe(20);
  });

  it('the whole runner: a fetch whose commit never happened is retried without duplicates in XSOAR', async () => {
    const server = await startXsoar();
    const instanceId = anInstanceId();
    const document = instanceDocumentSchema.parse({
      id: instanceId,
      connector: 'fixed',
      sink: { type: 'xsoar', url: server.url, apiKey: { env: 'UNUSED' } },
    });
    const connector: CursorConnector<Record<string, never>> = {
      name: 'fixed',
      style: 'cursor',
      params: z.object({}),
      test: async () => {},
      fetchIncidents: async (ctx) => ({
        incidents: incidents(6),
        nextRun: { after: 6, before: ctx.lastRun },
      }),
    };
    const real = new DynamoStateStore({ client: fixture.client, tableName: fixture.tables.state });
    // The Lambda dies right after the push: no commit, and no release either (the lease must expire).
    const crashing: StateStore = {
      acquire: (id, request) => real.acquire(id, request),
      read: (id) => real.read(id),
      setLastRun: (id, write) => real.setLastRun(id, write),
      writeHistory: (record) => real.writeHistory(record),
      listHistory: (id, options) => real.listHistory(id, options),
      getContext: (id) => real.getContext(id),
      setContext: (id, value, version) => real.setContext(id, value, version),
      commit: async () => {
        throw new Error('Runtime exited with error: signal: killed');
      },
      release: async () => {},
    };
    const sink = xsoarSink(server);
    const input = { document, connector, secrets: async () => ({}), deadline: Date.now() + 20_000 };

    const crashed = await runFetch(input, { store: crashing, sink, logger: silent });
    // The next scheduled fetch, after the dead run's lease expired.
    const later = () => Date.now() + 60_000;
    const retried = await runFetch(
      { ...input, deadline: later() + 20_000 },
      { store: real, sink, logger: silent, clock: later },
    );

    expect(crashed.status).toBe('error');
    expect(retried.status).toBe('ok');
    expect(server.incidents).toHaveLength(6);
    expect(retried.sinkIds).toEqual(crashed.sinkIds);
    expect((await real.read(instanceId))?.lastRun).toEqual({ after: 6, before: {} });
  });
});

describe('a crash between push and commit, ferry sink (reference endpoint)', () => {
  let ingest: IngestServer;
  beforeAll(async () => {
    const store = new DynamoIncidentStore({ client: fixture.client, tableName: fixture.tables.incidents });
    ingest = await startIngestServer({ store, token: 'ingest-token', port: 0, logger: silent });
  });
  afterAll(async () => {
    await ingest?.close();
  });

  it('the endpoint holds each incident once: the retried batch is all duplicates', async () => {
    const sink: Sink = createFerrySink({ url: ingest.url, token: 'ingest-token', http: fast });
    const instance = anInstanceId();
    await sink.push(batch(instance, incidents(7), 'run-1'));
    const again = await sink.push(batch(instance, incidents(7), 'run-2'));
    expect(again).toEqual({ accepted: 7, duplicates: 7 });
    const response = await fetch(`${ingest.url}/incidents?instance=${instance}`, {
      headers: { authorization: 'Bearer ingest-token' },
    });
    expect(((await response.json()) as { incidents: unknown[] }).incidents).toHaveLength(7);
  });
});

describe('a crash between push and commit, eventbridge sink', () => {
  let aws: AwsEndpoints;
  let client: EventBridgeClient;
  beforeAll(async () => {
    aws = await startAwsEndpoints();
    client = new EventBridgeClient({
      endpoint: aws.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await aws?.close();
  });

  const keysOn = (instance: string) =>
    aws.eventBridge.events
      .filter((event) => event.detail.instance === instance)
      .map((event) => event.detail.key);

  it('without the ledger, the re-push puts every event again — same key, new runId (the documented window)', async () => {
    const sink = createEventBridgeSink({ client });
    const instance = anInstanceId();
    await sink.push(batch(instance, incidents(4), 'run-1'));
    await sink.push(batch(instance, incidents(4), 'run-2'));
    expect(keysOn(instance)).toEqual(['A-0', 'A-1', 'A-2', 'A-3', 'A-0', 'A-1', 'A-2', 'A-3']);
  });

  it('with "ledger": true, each event once', async () => {
    const sink = createEventBridgeSink({ client, ledger: fixture.ledger });
    const instance = anInstanceId();
    await sink.push(batch(instance, incidents(4), 'run-1'));
    const again = await sink.push(batch(instance, incidents(4), 'run-2'));
    expect(again).toMatchObject({ accepted: 4, duplicates: 4 });
    expect(keysOn(instance)).toEqual(['A-0', 'A-1', 'A-2', 'A-3']);
  });
});
