import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import type { CursorConnector } from '../../../shared/connector.js';
import type { Incident } from '../../../shared/incident.js';
import { createLogger } from '../../../shared/logger.js';
import { RFC3339_UTC } from '../../../shared/occurred.js';
import { runFetch } from '../../../shared/runner/run-fetch.js';
import type { Sink } from '../../../shared/sinks/sink.js';
import { createXsoarSink, type XsoarSinkOptions } from '../../../shared/sinks/xsoar-sink.js';
import type { DeliveryLedger } from '../../../shared/state/delivery-ledger.js';
import { DynamoStateStore } from '../../../shared/state/dynamo-state-store.js';
import { type CrashSwitch, crashingStore, SimulatedCrash } from '../../helpers/faults/crash-points.js';
import { isGoTime } from '../../helpers/xsoar/contract.js';
import {
  startXsoarStandIn,
  type XsoarStandIn,
  type XsoarStandInOptions,
} from '../../helpers/xsoar/stand-in.js';
import { anInstanceId, type LedgerFixture, startLedgerFixture } from './ledger-fixture.js';

// Issue 13's acceptance: a fetch of 120 incidents into each delivery mode, through a gateway that stores
// then answers 502 to every 5th request, and a process killed once between a create and its ledger
// write. Afterwards XSOAR holds every incident exactly once, with its dbotMirrorId, its sourceInstance
// and an RFC 3339 occurred.

const COUNT = 120;
const apiKey = 'K7f3e9a1c5b2d8e4f6a0b9c3d7e1f5a2';
const apiKeyId = '42';
const silent = createLogger({ level: 'SILENT' });
const fast = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };

let fixture: LedgerFixture;
beforeAll(async () => {
  fixture = await startLedgerFixture();
  // A cold DynamoDB Local answers its first batch calls in seconds: warm it before timing matters.
  const warm = anInstanceId('warm-up');
  const keys = Array.from({ length: COUNT }, (_, i) => `w-${i}`);
  await fixture.ledger.record(
    warm,
    'warm',
    keys.map((key) => ({ key, inDoubt: true })),
    { runId: 'w', expiresAt: 0 },
  );
  await fixture.ledger.lookup(warm, 'warm', keys);
}, 120_000);
afterAll(async () => {
  await fixture?.stop();
});

/** Times as connectors write them: zone offsets without a colon, a space for the T, no seconds. */
const occurredForms = [
  (minute: string) => `2026-01-31 10:${minute}+0100`,
  (minute: string) => `2026-01-31T10:${minute}:00.250Z`,
  (minute: string) => `2026-01-31T05:${minute}-05:00`,
];

const alerts = (): Incident[] =>
  Array.from({ length: COUNT }, (_, i) => ({
    name: `Alert ${i}`,
    occurred: (occurredForms[i % 3] as (minute: string) => string)(String(i % 60).padStart(2, '0')),
    severity: [0, 0.5, 1, 2, 3, 4][i % 6],
    rawJSON: JSON.stringify({ id: `A-${i}`, headers: { note: 'the event has its own headers' } }),
    dbotMirrorId: `A-${i}`,
    labels: [{ type: 'source', value: 'demo' }],
  }));

const connector: CursorConnector<Record<string, never>> = {
  name: 'fixed',
  style: 'cursor',
  params: z.object({}),
  test: async () => {},
  fetchIncidents: async () => ({ incidents: alerts(), nextRun: { done: true } }),
};

interface Mode {
  readonly title: string;
  readonly standIn: XsoarStandInOptions;
  readonly sink: Partial<XsoarSinkOptions>;
  /** The sourceInstance XSOAR shows for the instance's incidents. */
  readonly sourceInstance: (instanceId: string) => string;
}

const modes: Mode[] = [
  {
    title: 'XSOAR 6 REST API (POST /incident)',
    standIn: { flavour: 6, apiKey },
    sink: { apiKey },
    sourceInstance: (id) => id,
  },
  {
    title: 'XSOAR 8 public API, advanced key',
    standIn: { flavour: 8, apiKey, apiKeyId, apiKeyType: 'advanced' },
    sink: { version: 8, apiKey, apiKeyId, apiKeyType: 'advanced' },
    sourceInstance: (id) => id,
  },
  {
    title: 'Generic Webhook (lists of 10), its mapper setting dbotMirrorId',
    standIn: {
      flavour: 'webhook',
      apiKey,
      username: 'ferry',
      password: 'hook-secret',
      webhook: {
        name: 'ferry-hook',
        duplicationKey: 'ferry.key',
        mapper: { dbotMirrorId: 'ferry.dbotMirrorId', severity: 'ferry.severity' },
      },
    },
    sink: {
      webhookInstance: 'ferry-hook',
      username: 'ferry',
      password: 'hook-secret',
      apiKey,
      batchSize: 10,
    },
    sourceInstance: () => 'ferry-hook',
  },
];

/** A process that dies when `die` is called: every later ledger, store and sink call fails, in-flight requests are cut. */
const dyingProcess = () => {
  const controller = new AbortController();
  let dead = false;
  const crash: CrashSwitch = {
    at: 'after-push',
    get crashed() {
      return dead;
    },
    alive() {
      if (dead) throw new SimulatedCrash('after-push');
    },
    reach() {
      if (dead) throw new SimulatedCrash('after-push');
    },
  };
  return {
    crash,
    die() {
      dead = true;
      controller.abort(new SimulatedCrash('after-push'));
    },
    ledger: (ledger: DeliveryLedger): DeliveryLedger => ({
      lookup: async (...args) => {
        crash.alive();
        return ledger.lookup(...args);
      },
      record: async (...args) => {
        crash.alive();
        return ledger.record(...args);
      },
    }),
    sink: (sink: Sink): Sink => ({
      type: sink.type,
      push: (batch, options = {}) =>
        sink.push(batch, {
          ...options,
          signal: options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal,
        }),
    }),
  };
};

const copiesByMirrorId = (xsoar: XsoarStandIn) => {
  const counts = new Map<string, number>();
  for (const { incident } of xsoar.incidents) {
    const id = String(incident.dbotMirrorId);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

describe('exactly once into XSOAR, through a gateway that stores then fails every 5th request', () => {
  for (const mode of modes) {
    it(`${mode.title}: a process killed between a create and its ledger write; every incident once`, async () => {
      const xsoar = await startXsoarStandIn(mode.standIn);
      try {
        xsoar.storeThenFail(5);
        const instanceId = anInstanceId('exactly-once');
        const document = instanceDocumentSchema.parse({
          id: instanceId,
          connector: 'fixed',
          sink: { type: 'xsoar', url: xsoar.url, apiKey: { env: 'UNUSED' } },
        });
        const store = new DynamoStateStore({ client: fixture.client, tableName: fixture.tables.state });
        const sinkFor = (ledger: DeliveryLedger) =>
          createXsoarSink({ url: xsoar.url, ledger, resolveDelayMs: 0, http: fast, ...mode.sink });
        const input = { document, connector, secrets: async () => ({}), deadline: Date.now() + 30_000 };

        // Process 1 dies as XSOAR stores the 37th incident: its answer never arrives, its "done" is never written.
        const process1 = dyingProcess();
        xsoar.onCreated = () => {
          if (xsoar.incidents.length === 37) process1.die();
        };
        await runFetch(input, {
          store: crashingStore(store, process1.crash),
          sink: process1.sink(sinkFor(process1.ledger(fixture.ledger))),
          logger: silent,
        }).catch(() => undefined);
        xsoar.onCreated = undefined;
        const beforeRestart = xsoar.incidents.length;

        // Process 2: the next scheduled fetch, once the dead run's lease expired.
        const later = () => Date.now() + 120_000;
        const retried = await runFetch(
          { ...input, deadline: later() + 30_000 },
          { store, sink: sinkFor(fixture.ledger), logger: silent, clock: later },
        );

        expect(beforeRestart).toBeGreaterThanOrEqual(37);
        expect(beforeRestart).toBeLessThan(COUNT);
        expect(retried.error?.message ?? '').toBe('');
        expect(retried.status).toBe('ok');
        const copies = copiesByMirrorId(xsoar);
        expect(copies.size).toBe(COUNT);
        expect([...copies.values()].every((count) => count === 1)).toBe(true);
        expect(xsoar.incidents).toHaveLength(COUNT);
        for (const { incident } of xsoar.incidents) {
          expect(incident.dbotMirrorId).toMatch(/^A-\d+$/);
          expect(incident.sourceInstance).toBe(mode.sourceInstance(instanceId));
          expect(incident.occurred).toMatch(RFC3339_UTC);
          expect(isGoTime(String(incident.occurred))).toBe(true);
        }
        // The gateway did fail: some creates were answered 502 after XSOAR stored them.
        expect(xsoar.requests.some((request) => request.kind === 'create' && request.status === 502)).toBe(
          true,
        );
      } finally {
        await xsoar.close();
      }
    }, 120_000);
  }
});
