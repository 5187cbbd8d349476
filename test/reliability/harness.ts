import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { helloworld } from '../../functions/helloworld/connector.js';
import type { IngestServer } from '../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../shared/config/schema.js';
import type { Connector } from '../../shared/connector.js';
import { errorCode } from '../../shared/errors.js';
import { createHttpClient } from '../../shared/http-client.js';
import { type RedriveOutcome, runRedrive } from '../../shared/quarantine/redrive.js';
import { type RunOutcome, runFetch } from '../../shared/runner/run-fetch.js';
import { createFerrySink } from '../../shared/sinks/ferry-sink.js';
import type { Sink } from '../../shared/sinks/sink.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import { DynamoQuarantineStore } from '../../shared/state/quarantine-store.js';
import type { StateStore } from '../../shared/state/state-store.js';
import {
  type CrashPoint,
  crashingSink,
  crashingStore,
  createCrashSwitch,
  instrumentConnector,
} from '../helpers/faults/crash-points.js';
import { type DynamoFaultProxy, startDynamoFaultProxy } from '../helpers/faults/dynamo-proxy.js';
import { type SinkFaultProxy, startSinkFaultProxy } from '../helpers/faults/sink-proxy.js';
import { type SourceFaultProxy, startSourceFaultProxy } from '../helpers/faults/source-proxy.js';
import { INGEST_TOKEN, listAllIncidents, startTestIngest } from '../helpers/ingest.js';
import { anInstanceId, type DynamoFixture, startDynamoFixture } from '../helpers/local-dynamo.js';
import { createManualClock, type ManualClock, silentLogger } from '../helpers/runtime.js';
import type { ScenarioResult } from './report.js';
import { type ScenarioId, scenarioById } from './scenarios.js';

export const T0 = Date.parse('2026-03-10T12:00:00.000Z');
export const MINUTE = 60_000;
const API_KEY = 'reliability-demo-key';
const FIRST_FETCH_MS = 60 * MINUTE;
/** Past the default invocation's deadline (60 s) plus the lease's grace: a dead run's lease is free. */
export const PAST_LEASE_MS = 2 * MINUTE;

/** The shared components of one test file: one DynamoDB Local, the endpoint, the proxies in front of them. */
export interface Rig {
  readonly fixture: DynamoFixture;
  readonly dynamoProxy: DynamoFaultProxy;
  /** The state store, through the DynamoDB fault proxy. */
  readonly store: DynamoStateStore;
  /** The quarantine, in the same table and through the same proxy. */
  readonly quarantine: DynamoQuarantineStore;
  readonly ingest: IngestServer;
  readonly sinkProxy: SinkFaultProxy;
  /** The ferry sink, through the sink fault proxy. */
  readonly sink: Sink;
  close(): Promise<void>;
}

/** A ferry sink to `url` with fast retries; `timeoutMs` per attempt. */
export const aFerrySink = (url: string, timeoutMs = 5_000): Sink =>
  createFerrySink({ url, token: INGEST_TOKEN, http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs } });

export const startRig = async (): Promise<Rig> => {
  const fixture = await startDynamoFixture();
  const dynamoProxy = await startDynamoFaultProxy(fixture.dynamo.endpoint);
  const client = new DynamoDBClient({
    endpoint: dynamoProxy.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  const ingest = await startTestIngest(fixture.incidents);
  const sinkProxy = await startSinkFaultProxy(ingest.url);
  return {
    fixture,
    dynamoProxy,
    store: new DynamoStateStore({ client, tableName: fixture.tables.state }),
    quarantine: new DynamoQuarantineStore({ client, tableName: fixture.tables.state }),
    ingest,
    sinkProxy,
    sink: aFerrySink(sinkProxy.url),
    close: async () => {
      await sinkProxy.close();
      await ingest.close();
      client.destroy();
      await dynamoProxy.close();
      await fixture.stop();
    },
  };
};

export interface RunOptions {
  readonly store?: StateStore;
  readonly sink?: Sink;
  readonly connector?: Connector;
  /** Invocation time left, ms. @default 60_000 */
  readonly deadlineMs?: number;
  /** Kill the process at this step boundary (see crash-points.ts). */
  readonly crashAt?: CrashPoint;
}

/** One scenario: an instance of the helloworld connector on its own seeded demo source behind a fault proxy. */
export interface ScenarioHarness {
  readonly instanceId: string;
  readonly source: DemoSource;
  readonly sourceProxy: SourceFaultProxy;
  readonly clock: ManualClock;
  readonly document: InstanceDocument;
  /** The connector with a short-timeout, fast-backoff HTTP client (Retry-After still honoured). */
  readonly connector: Connector;
  /** Runs one invocation; records its outcome (or what it threw) and the committed cursor. */
  run(options?: RunOptions): Promise<RunOutcome | undefined>;
  /** Re-drives the instance's held quarantine with `connector` (the one with a fixed mapping). */
  redrive(connector?: Connector): Promise<RedriveOutcome>;
  /** Clears every fault, runs once more, and measures the scenario. */
  finish(note?: string): Promise<ScenarioResult>;
}

export const startScenario = async (
  rig: Rig,
  id: ScenarioId,
  options: { params?: Record<string, unknown>; backlog?: number } = {},
): Promise<ScenarioHarness> => {
  const scenario = scenarioById(id);
  const clock = createManualClock(T0);
  const source = await startDemoSource({
    apiKey: API_KEY,
    ratePerSecond: 0,
    now: clock.now,
    seed: scenario.seed,
  });
  const sourceProxy = await startSourceFaultProxy(source.url);
  source.backlog(options.backlog ?? 24, { from: T0 - 50 * MINUTE, to: T0 - MINUTE });
  const instanceId = anInstanceId(id);
  const document = instanceDocumentSchema.parse({
    id: instanceId,
    connector: 'helloworld',
    params: { url: sourceProxy.url, first_fetch: '1 hour', max_fetch: 10, ...options.params },
    secrets: { apiKey: { env: 'UNUSED' } },
    sink: { type: 'ferry' },
  });
  const connector = instrumentConnector(helloworld, {
    http: (ctx) => createHttpClient({ signal: ctx.signal, timeoutMs: 1_000, baseDelayMs: 5, maxDelayMs: 20 }),
  });
  const runs: string[] = [];
  const cursors: string[] = [];
  const recordCursor = async () => {
    const time = (await rig.fixture.store.read(instanceId))?.lastRun.time;
    if (typeof time === 'string') cursors.push(time);
  };

  const run = async (runOptions: RunOptions = {}): Promise<RunOutcome | undefined> => {
    const crash = createCrashSwitch(runOptions.crashAt);
    const store = crashingStore(runOptions.store ?? rig.store, crash);
    const sink = crashingSink(runOptions.sink ?? rig.sink, crash);
    const runConnector = runOptions.crashAt
      ? instrumentConnector(helloworld, {
          crash,
          http: (ctx) =>
            createHttpClient({ signal: ctx.signal, timeoutMs: 1_000, baseDelayMs: 5, maxDelayMs: 20 }),
        })
      : (runOptions.connector ?? connector);
    let outcome: RunOutcome | undefined;
    try {
      outcome = await runFetch(
        {
          document,
          connector: runConnector,
          secrets: async () => ({ apiKey: API_KEY }),
          deadline: clock.now() + (runOptions.deadlineMs ?? 60_000),
        },
        { store, sink, logger: silentLogger, clock: clock.now, quarantine: rig.quarantine },
      );
      runs.push(
        crash.crashed
          ? `killed(${crash.at})`
          : `${outcome.status}${outcome.error ? `:${outcome.error.code}` : ''}`,
      );
    } catch (error) {
      runs.push(crash.crashed ? `killed(${crash.at})` : `throw:${errorCode(error)}`);
    }
    await recordCursor();
    return outcome;
  };

  const finish = async (note?: string): Promise<ScenarioResult> => {
    rig.dynamoProxy.clear();
    rig.sinkProxy.clear();
    sourceProxy.clear();
    source.setFailure('none');
    clock.advance(PAST_LEASE_MS);
    const last = await run();
    const now = clock.now();
    const expected = source.store.query({
      since: T0 - FIRST_FETCH_MS,
      until: now,
      limit: Number.POSITIVE_INFINITY,
      visibleAt: now,
    });
    const stored = await listAllIncidents(rig.fixture.incidents, instanceId);
    const storedIds = stored.map((s) => s.incident.dbotMirrorId ?? s.key);
    const distinct = new Set(storedIds);
    const state = await rig.fixture.store.read(instanceId);
    await sourceProxy.close();
    await source.close();
    return {
      id,
      category: scenario.category,
      fault: scenario.fault,
      seed: scenario.seed,
      runs,
      expected: expected.length,
      lost: expected.filter((alert) => !distinct.has(alert.id)).length,
      duplicatesBeforeDedupe: rig.sinkProxy.forwarded
        .filter((push) => push.instance === instanceId)
        .reduce((sum, push) => sum + (push.answer?.duplicates ?? 0), 0),
      duplicatesAfterDedupe: storedIds.length - distinct.size,
      cursorMonotonic: cursors.every((time, i) => i === 0 || Date.parse(time) >= Date.parse(cursors[i - 1]!)),
      recovered: last?.status === 'ok',
      leasesLeft: state?.leaseId === undefined ? 0 : 1,
      ...(note ? { note } : {}),
    };
  };

  const redrive = (redriveConnector: Connector = connector) =>
    runRedrive(
      {
        document,
        connector: redriveConnector,
        secrets: async () => ({ apiKey: API_KEY }),
        deadline: clock.now() + 60_000,
      },
      {
        store: rig.store,
        quarantine: rig.quarantine,
        sink: rig.sink,
        logger: silentLogger,
        clock: clock.now,
      },
    );

  return { instanceId, source, sourceProxy, clock, document, connector, run, redrive, finish };
};

/** Another writer moves the instance's version (an operator, a second deployment): the commit's condition fails. */
export const bumpVersion = async (rig: Rig, instanceId: string): Promise<void> => {
  await DynamoDBDocumentClient.from(rig.fixture.client).send(
    new UpdateCommand({
      TableName: rig.fixture.tables.state,
      Key: { pk: instanceId, sk: 'STATE' },
      UpdateExpression: 'SET #version = #version + :one',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':one': 1 },
    }),
  );
};

/** A sink that runs `after` once the real push was acknowledged (the first time only). */
export const afterFirstPush = (sink: Sink, after: () => Promise<void> | void): Sink => {
  let done = false;
  return {
    type: sink.type,
    push: async (batch, options) => {
      const result = await sink.push(batch, options);
      if (!done) {
        done = true;
        await after();
      }
      return result;
    },
  };
};

/** A store that records which leases committed. */
export const recordingCommits = (store: StateStore, committed: string[]): StateStore =>
  Object.assign(Object.create(null) as StateStore, {
    acquire: store.acquire.bind(store),
    release: store.release.bind(store),
    read: store.read.bind(store),
    setLastRun: store.setLastRun.bind(store),
    writeHistory: store.writeHistory.bind(store),
    listHistory: store.listHistory.bind(store),
    getContext: store.getContext.bind(store),
    setContext: store.setContext.bind(store),
    commit: async (id: string, request: Parameters<StateStore['commit']>[1]) => {
      const version = await store.commit(id, request);
      committed.push(request.leaseId);
      return version;
    },
  });
