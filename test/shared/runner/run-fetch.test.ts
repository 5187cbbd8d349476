import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import type { IngestServer } from '../../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../../shared/config/schema.js';
import { registerSecrets } from '../../../shared/redact.js';
import { type RunInput, type RunOutcome, runFetch } from '../../../shared/runner/run-fetch.js';
import { createFerrySink } from '../../../shared/sinks/ferry-sink.js';
import type { Sink } from '../../../shared/sinks/sink.js';
import { INGEST_TOKEN, startTestIngest, storedIds } from '../../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { createManualClock, type ManualClock, silentLogger } from '../../helpers/runtime.js';
import { closedPortUrl, type SinkProxy, startSinkProxy } from '../../helpers/servers.js';

const API_KEY = 'runner-demo-key';
const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let fixture: DynamoFixture;
let ingest: IngestServer;
let sink: Sink;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  fixture = await startDynamoFixture();
  ingest = await startTestIngest(fixture.incidents);
  sink = aFerrySink(ingest.url);
}, DYNAMO_START_TIMEOUT_MS);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await ingest?.close();
  await fixture?.stop();
});

/** The ferry sink, retrying in milliseconds rather than seconds. */
function aFerrySink(url: string): Sink {
  return createFerrySink({ url, token: INGEST_TOKEN, http: { baseDelayMs: 1, maxDelayMs: 5 } });
}

interface Harness {
  readonly instanceId: string;
  readonly source: DemoSource;
  readonly clock: ManualClock;
  readonly document: InstanceDocument;
  run(
    options?: Partial<Pick<RunInput, 'mode' | 'document'>> & { sink?: Sink; deadlineMs?: number },
  ): Promise<RunOutcome>;
  state(): ReturnType<DynamoFixture['store']['read']>;
  history(): ReturnType<DynamoFixture['store']['listHistory']>;
  atEndpoint(): Promise<string[]>;
}

/** One instance of the helloworld connector on its own demo source, with a clock the test moves. */
const anInstance = async (
  params: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
  idPrefix = 'runner',
): Promise<Harness> => {
  const clock = createManualClock(T0);
  const source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0, now: clock.now });
  cleanups.push(() => source.close());
  const instanceId = anInstanceId(idPrefix);
  const document = instanceDocumentSchema.parse({
    id: instanceId,
    connector: 'helloworld',
    params: { url: source.url, first_fetch: '1 hour', ...params },
    secrets: { apiKey: { env: 'UNUSED' } },
    sink: { type: 'ferry' },
    ...overrides,
  });
  return {
    instanceId,
    source,
    clock,
    document,
    run: (options = {}) =>
      runFetch(
        {
          document: options.document ?? document,
          connector: helloworld,
          secrets: async () => ({ apiKey: API_KEY }),
          deadline: clock.now() + (options.deadlineMs ?? 60_000),
          mode: options.mode,
        },
        { store: fixture.store, sink: options.sink ?? sink, logger: silentLogger, clock: clock.now },
      ),
    state: () => fixture.store.read(instanceId),
    history: () => fixture.store.listHistory(instanceId),
    atEndpoint: () => storedIds(fixture.incidents, instanceId),
  };
};

/** Alerts created at the given times (epoch ms); returns their ids, sorted. */
const addAlerts = (source: DemoSource, ...created: number[]): string[] =>
  created.map((at) => source.add({ created: at }).id).sort();

describe('runFetch: fetching', () => {
  it.each([
    ['a time back from now', '1 hour'],
    ['an ISO date', '2026-03-10T11:00:00Z'],
  ])('starts the first fetch at first_fetch given as %s', async (_, firstFetch) => {
    const instance = await anInstance({ first_fetch: firstFetch });
    addAlerts(instance.source, T0 - 2 * 60 * MINUTE, T0 - 61 * MINUTE);
    const expected = addAlerts(instance.source, T0 - 60 * MINUTE, T0 - 30 * MINUTE, T0 - 1);

    const outcome = await instance.run();

    expect(outcome).toMatchObject({ status: 'ok', fetches: 1, pulled: 3, pushed: 3, sourceIdCount: 3 });
    expect(outcome.lastRunBefore).toEqual({});
    expect(await instance.atEndpoint()).toEqual(expected);
    expect((await instance.state())?.lastRun).toMatchObject({ time: iso(T0) });
  });

  it('resumes from the last run with no gap and no duplicate', async () => {
    const instance = await anInstance();
    const first = addAlerts(instance.source, T0 - 10 * MINUTE, T0 - 1);
    await instance.run();

    // One exactly at the cursor (the window is [cursor, now)) and one after it.
    const second = addAlerts(instance.source, T0, T0 + 30_000);
    instance.clock.advance(MINUTE);
    const outcome = await instance.run();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 2, lastRunBefore: { time: iso(T0) } });
    expect(outcome.sourceIds.sort()).toEqual(second);
    expect(await instance.atEndpoint()).toEqual([...first, ...second].sort());
    const history = await instance.history();
    expect(history.map((record) => record.pushed)).toEqual([2, 2]);
  });

  it('drains a backlog larger than max_fetch in one invocation while time remains', async () => {
    const instance = await anInstance({ max_fetch: 50 });
    instance.source.backlog(120, { from: T0 - 50 * MINUTE, to: T0 - MINUTE });

    const outcome = await instance.run();

    expect(outcome).toMatchObject({ status: 'ok', fetches: 3, pushed: 120, sourceIdCount: 120 });
    expect(await instance.atEndpoint()).toHaveLength(120);
    expect(await instance.state()).toMatchObject({ version: 3, leaseId: undefined });
    expect(await instance.history()).toHaveLength(1);
  });

  it('pushes at most max_per_run in one run, its last page cut to fit, and continues on the next fetch without a gap', async () => {
    const instance = await anInstance({ max_fetch: 10, max_per_run: 25 });
    instance.source.backlog(41, { from: T0 - 50 * MINUTE, to: T0 - MINUTE });

    const first = await instance.run();
    instance.clock.advance(MINUTE);
    const second = await instance.run();

    // Pages of 10, 10 and 5: never more than 25 in a run, and never more than 10 a page.
    expect(first).toMatchObject({ status: 'ok', fetches: 3, pushed: 25 });
    expect(first.message).toBe(
      'More incidents are waiting; the next fetch continues (max_per_run 25 reached).',
    );
    expect(second).toMatchObject({ status: 'ok', pushed: 16 });
    expect(await instance.atEndpoint()).toHaveLength(41);
  });

  it('stops draining before the deadline and continues on the next fetch without a gap', async () => {
    const instance = await anInstance({ max_fetch: 50 });
    instance.source.backlog(120, { from: T0 - 50 * MINUTE, to: T0 - MINUTE });
    // Each push takes 4 s of the invocation's time.
    const slowSink: Sink = {
      type: 'ferry',
      push: async (batch, options) => {
        const result = await sink.push(batch, options);
        instance.clock.advance(4_000);
        return result;
      },
    };

    const first = await instance.run({ sink: slowSink, deadlineMs: 15_000 });
    instance.clock.advance(MINUTE);
    const second = await instance.run();

    expect(first).toMatchObject({ status: 'ok', fetches: 2, pushed: 100 });
    expect(first.message).toBe('More incidents are waiting; the next fetch continues (deadline reached).');
    expect(second).toMatchObject({ status: 'ok', fetches: 1, pushed: 20 });
    // 100 + 20 pushed and 120 distinct at the endpoint: nothing pushed twice, nothing skipped.
    expect(await instance.atEndpoint()).toHaveLength(120);
  });

  it('pushes and commits nothing in debug mode, and returns the incidents', async () => {
    const instance = await anInstance();
    const ids = addAlerts(instance.source, T0 - 5 * MINUTE, T0 - MINUTE);

    const outcome = await instance.run({ mode: 'debug' });

    expect(outcome).toMatchObject({ status: 'ok', pushed: 0, pulled: 2 });
    expect(outcome.incidents?.map((incident) => incident.dbotMirrorId).sort()).toEqual(ids);
    expect(outcome.incidents?.[0]).toMatchObject({ type: 'Demo Alert', rawJSON: expect.any(String) });
    expect(await instance.atEndpoint()).toEqual([]);
    expect(await instance.state()).toBeUndefined();
    expect(await instance.history()).toEqual([]);
    // Nothing moved: the next real fetch gets them all.
    expect((await instance.run()).pushed).toBe(2);
  });

  it('writes the history under the instance id even when a secret holds a run of that id', async () => {
    // An id of its own: the registry is process-wide, and a secret holding "runner-4…" would also be a
    // cut of every later "runner-4…" id in this file.
    const instance = await anInstance({}, {}, 'secret-holder');
    registerSecrets([`Tok-${instance.instanceId}-Z9`]);

    const outcome = await instance.run();

    expect(outcome.instanceId).toBe(instance.instanceId);
    expect(await instance.history()).toEqual([
      expect.objectContaining({ runId: outcome.runId, status: 'ok' }),
    ]);
  });

  it('records a disabled instance as disabled and does not call the source', async () => {
    const instance = await anInstance({}, { enabled: false });
    addAlerts(instance.source, T0 - MINUTE);

    const outcome = await instance.run();

    expect(outcome).toMatchObject({ status: 'disabled', pushed: 0 });
    expect(outcome.message).toBe('Instance is disabled; enable it in its configuration to fetch.');
    expect(instance.source.requests).toBe(0);
    expect((await instance.history())[0]?.status).toBe('disabled');
    expect(await instance.state()).toBeUndefined();
  });

  it('fails the fetch on an invalid incident, naming it and the field, and moves nothing', async () => {
    const instance = await anInstance();
    const bad = instance.source.add({ created: T0 - MINUTE, name: '' });

    const outcome = await instance.run();

    expect(outcome).toMatchObject({ status: 'error', pushed: 0, error: { code: 'INCIDENT_INVALID' } });
    expect(outcome.error?.message).toBe(
      `Incident #0 (dbotMirrorId "${bad.id}") is invalid: "name" is required (a non-empty string). ` +
        "Fix the connector's mapping; the fetch was not committed, so nothing is lost.",
    );
    expect(await instance.state()).toMatchObject({ lastRun: {}, version: 0 });
    expect(await instance.atEndpoint()).toEqual([]);
  });
});

describe('runFetch: a failing source leaves the last run unchanged', () => {
  it.each([
    {
      what: 'the source is down',
      arm: async (h: Harness) => ({ params: { ...h.document.params, url: await closedPortUrl() } }),
      code: 'SOURCE_UNREACHABLE',
      message: /failed: .*ECONNREFUSED.*\. Check the URL and that the source is reachable\./,
    },
    {
      what: 'the source answers 500',
      arm: async (h: Harness) => h.source.setFailure('server-error', { count: Number.POSITIVE_INFINITY }),
      code: 'SOURCE_HTTP',
      message: /answered 500 \(a server error at the source; the next fetch retries\)/,
    },
    {
      what: 'the source answers 401',
      arm: async (h: Harness) => h.source.setFailure('unauthorized', { count: Number.POSITIVE_INFINITY }),
      code: 'SOURCE_AUTH',
      message: /answered 401 Unauthorized: check the instance's credentials \(secret\) and their permissions/,
    },
    {
      what: 'the source answers 429',
      arm: async (h: Harness) =>
        h.source.setFailure('rate-limited', { count: Number.POSITIVE_INFINITY, retryAfterSeconds: 120 }),
      code: 'SOURCE_RATE_LIMITED',
      message:
        /is rate limited \(429\); it asks to retry after 120s\. The next fetch retries; lower the fetch interval or max_fetch/,
    },
  ])('when $what, and records an error the user can act on', async ({ arm, code, message }) => {
    const instance = await anInstance();
    addAlerts(instance.source, T0 - 10 * MINUTE);
    await instance.run();
    const before = await instance.state();
    const late = addAlerts(instance.source, T0 + 10_000);
    instance.clock.advance(MINUTE);

    const change = await arm(instance);
    const outcome = await instance.run(change ? { document: { ...instance.document, ...change } } : {});

    expect(outcome).toMatchObject({ status: 'error', pushed: 0, error: { code } });
    expect(outcome.error?.message).toMatch(message);
    const after = await instance.state();
    expect(after).toMatchObject({ lastRun: before?.lastRun, version: before?.version, leaseId: undefined });
    expect(after?.health).toMatchObject({ consecutiveFailures: 1, lastErrorCode: code });
    const [record] = await instance.history();
    expect(record).toMatchObject({
      status: 'error',
      error: { code, message: expect.stringMatching(message) },
    });

    // Nothing was lost: once the source recovers, the next fetch gets what the failed one missed.
    instance.source.setFailure('none');
    instance.clock.advance(MINUTE);
    const recovered = await instance.run();
    expect(recovered).toMatchObject({ status: 'ok', pushed: 1 });
    expect(recovered.sourceIds).toEqual(late);
  });
});

describe('runFetch: a failing sink', () => {
  let proxy: SinkProxy;
  beforeAll(async () => {
    proxy = await startSinkProxy(ingest.url);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('keeps the last run when the endpoint is down, saying the next fetch pushes again', async () => {
    const instance = await anInstance();
    addAlerts(instance.source, T0 - MINUTE);

    const outcome = await instance.run({ sink: aFerrySink(await closedPortUrl()) });

    expect(outcome).toMatchObject({ status: 'error', error: { code: 'SINK_FAILED' } });
    expect(outcome.error?.message).toContain(
      'the ingestion endpoint is unavailable; the next fetch pushes the same incidents again',
    );
    expect(await instance.state()).toMatchObject({ lastRun: {}, version: 0, leaseId: undefined });
  });

  it('re-pushes the same incidents with the same keys after a lost acknowledgement; the endpoint keeps one copy', async () => {
    const instance = await anInstance();
    const ids = addAlerts(instance.source, T0 - 3 * MINUTE, T0 - 2 * MINUTE, T0 - MINUTE);
    proxy.pushes.length = 0;
    proxy.mode = 'lose-ack';

    const failed = await instance.run({ sink: aFerrySink(proxy.url) });
    const stateAfterFailure = await instance.state();
    proxy.mode = 'forward';
    instance.clock.advance(MINUTE);
    const retried = await instance.run({ sink: aFerrySink(proxy.url) });

    expect(failed).toMatchObject({ status: 'error', error: { code: 'SINK_FAILED' } });
    expect(stateAfterFailure).toMatchObject({ lastRun: {}, version: 0 });
    expect(retried).toMatchObject({ status: 'ok', pushed: 3 });
    const keys = new Set(proxy.pushes.map((push) => push.idempotencyKey));
    expect(keys.size).toBe(1);
    for (const push of proxy.pushes) {
      expect(push.incidents.map((incident) => incident.dbotMirrorId).sort()).toEqual(ids);
    }
    expect(proxy.pushes.at(-1)?.endpointAnswer).toEqual({ accepted: 3, new: 0, duplicates: 3 });
    expect(await instance.atEndpoint()).toEqual(ids);
  });
});

describe('runFetch: the lease', () => {
  it('lets exactly one of two simultaneous fetches commit; the other is recorded as skipped', async () => {
    const instance = await anInstance();
    addAlerts(instance.source, T0 - 2 * MINUTE, T0 - MINUTE);
    // The holder's push waits until the other run is over, so the two runs truly overlap. Should both
    // reach the push (the lease broken), neither waits: the assertions then fail instead of hanging.
    let releasePushes!: () => void;
    const overlap = new Promise<void>((resolve) => {
      releasePushes = resolve;
    });
    let waiting = 0;
    const heldSink: Sink = {
      type: 'ferry',
      push: async (batch, options) => {
        if (++waiting === 2) releasePushes();
        await overlap;
        return sink.push(batch, options);
      },
    };

    const runs = [instance.run({ sink: heldSink }), instance.run({ sink: heldSink })];
    void Promise.race(runs).then(releasePushes);
    const outcomes = await Promise.all(runs);

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['ok', 'skipped']);
    const skipped = outcomes.find((outcome) => outcome.status === 'skipped')!;
    expect(skipped.message).toMatch(
      /is being fetched by another run \(its lease expires at .*\); this run was skipped/,
    );
    expect(await instance.state()).toMatchObject({ version: 1, leaseId: undefined });
    expect((await instance.history()).map((record) => record.status).sort()).toEqual(['ok', 'skipped']);
    expect(await instance.atEndpoint()).toHaveLength(2);
  });

  it('proceeds once the lease of a killed run has expired by itself', async () => {
    const instance = await anInstance();
    const ids = addAlerts(instance.source, T0 - MINUTE);
    // A run that took the lease and died before its commit.
    await fixture.store.acquire(instance.instanceId, { leaseId: 'killed', now: T0, expiresAt: T0 + 65_000 });

    instance.clock.advance(10_000);
    const whileHeld = await instance.run();
    instance.clock.advance(60_000);
    const afterExpiry = await instance.run();

    expect(whileHeld).toMatchObject({ status: 'skipped', pushed: 0 });
    expect(afterExpiry).toMatchObject({ status: 'ok', pushed: 1 });
    expect(await instance.atEndpoint()).toEqual(ids);
    expect(await instance.state()).toMatchObject({ version: 1, leaseId: undefined });
  });

  it('does not commit when the run outlived its lease; the next fetch re-pushes harmlessly', async () => {
    const instance = await anInstance();
    const ids = addAlerts(instance.source, T0 - MINUTE);
    const stallingSink: Sink = {
      type: 'ferry',
      push: async (batch, options) => {
        const result = await sink.push(batch, options);
        instance.clock.advance(5 * MINUTE); // a push that outlasted the deadline and the lease's grace
        return result;
      },
    };

    const stalled = await instance.run({ sink: stallingSink, deadlineMs: 30_000 });
    const next = await instance.run();

    expect(stalled).toMatchObject({ status: 'error', error: { code: 'LEASE_LOST' } });
    expect(stalled.error?.message).toContain('the last run was left unchanged');
    expect(next).toMatchObject({ status: 'ok', pushed: 1 });
    expect(await instance.atEndpoint()).toEqual(ids);
  });

  it('records a corrupted state item with how to repair it, and gives the lease back', async () => {
    const instance = await anInstance();
    await fixture.store.setLastRun(instance.instanceId, { lastRun: {}, now: T0 });
    const { DynamoDBDocumentClient, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await DynamoDBDocumentClient.from(fixture.client).send(
      new UpdateCommand({
        TableName: fixture.tables.state,
        Key: { pk: instance.instanceId, sk: 'STATE' },
        UpdateExpression: 'SET lastRun = :broken',
        ExpressionAttributeValues: { ':broken': 'garbage' },
      }),
    );

    const outcome = await instance.run();

    expect(outcome).toMatchObject({ status: 'error', error: { code: 'STATE_CORRUPT' } });
    expect(outcome.error?.message).toContain(
      `Repair it with "ferry last-run ${instance.instanceId} --set '<json>'"`,
    );
    expect((await instance.history())[0]).toMatchObject({
      status: 'error',
      error: { code: 'STATE_CORRUPT' },
    });
    await fixture.store.setLastRun(instance.instanceId, { lastRun: {}, now: T0 + 1 });
    expect((await instance.run()).status).toBe('ok');
  });
});
