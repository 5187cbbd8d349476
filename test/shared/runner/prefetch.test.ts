import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { alertmanager } from '../../../functions/alertmanager/connector.js';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { imap } from '../../../functions/imap/connector.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import { type CursorConnector, defineConnector } from '../../../shared/connector.js';
import { SinkError } from '../../../shared/errors.js';
import { buildIncident } from '../../../shared/incident.js';
import { mayPrefetch, runFetch } from '../../../shared/runner/run-fetch.js';
import type { Sink } from '../../../shared/sinks/sink.js';
import type { StateStore } from '../../../shared/state/state-store.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { silentLogger } from '../../helpers/runtime.js';

let fixture: DynamoFixture;

beforeAll(async () => {
  fixture = await startDynamoFixture();
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await fixture?.stop();
});

const PAGES = 3;

/**
 * An own-cursor connector over three pages of two events, writing what happens to `events`: the
 * cursor is the next page's number. `hangOnPage` makes that page's fetch wait until it is aborted.
 */
const aPagedConnector = (events: string[], options: { prefetch?: boolean; hangOnPage?: number } = {}) =>
  defineConnector<Record<string, never>, never, CursorConnector<Record<string, never>>>({
    name: 'paged',
    style: 'cursor',
    params: z.strictObject({}),
    ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
    async fetchIncidents(ctx) {
      const page = Number(ctx.lastRun.page ?? 1);
      events.push(`fetch ${page}`);
      if (page === options.hangOnPage) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        events.push(`fetch ${page} aborted`);
        throw ctx.signal.reason;
      }
      const incidents = [1, 2].map((n) =>
        buildIncident(
          { id: `page${page}-${n}` },
          { name: () => `event ${n} of page ${page}`, occurred: () => new Date(0), id: (e) => e.id },
        ),
      );
      return { incidents, nextRun: { page: page + 1 }, hasMore: page < PAGES };
    },
    async test() {},
  });

/** A sink that writes each push (by the pages it holds) to `events`; `failPush` refuses that push. */
const aRecordingSink = (events: string[], options: { failPush?: number } = {}): Sink => {
  let pushes = 0;
  return {
    type: 'ferry',
    async push(batch) {
      const pages = new Set(batch.incidents.map(({ key }) => key.split('-')[0]!.replace('page', '')));
      events.push(`push ${[...pages].join(',')}`);
      if (++pushes === options.failPush)
        throw new SinkError('The ingestion endpoint is unavailable.', { retryable: true });
      return { accepted: batch.incidents.length, duplicates: 0 };
    },
  };
};

/** The real DynamoDB store, writing each commit's start and end to `events`; `failCommit` throws instead. */
const aRecordingStore = (events: string[], options: { failCommit?: number } = {}): StateStore => {
  let commits = 0;
  return new Proxy(fixture.store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'commit') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<StateStore['commit']>) => {
        const commit = ++commits;
        events.push(`commit ${commit}`);
        if (commit === options.failCommit) throw new Error('connect ECONNREFUSED (DynamoDB is unreachable)');
        const version = await target.commit(...args);
        events.push(`committed ${commit}`);
        return version;
      };
    },
  });
};

const run = (
  instanceId: string,
  connector: CursorConnector<Record<string, never>>,
  events: string[],
  store: StateStore,
  sink = aRecordingSink(events),
) =>
  runFetch(
    {
      document: instanceDocumentSchema.parse({
        id: instanceId,
        connector: 'paged',
        sink: { type: 'ferry' },
        params: {},
      }),
      connector,
      secrets: async () => ({}),
      deadline: Date.now() + 60_000,
    },
    { store, sink, logger: silentLogger },
  );

describe('runFetch: the next page is fetched while the last one is pushed and committed', () => {
  it('starts the next fetch before the push and pushes its page only once the last commit succeeded', async () => {
    const events: string[] = [];

    const outcome = await run(
      anInstanceId('prefetch'),
      aPagedConnector(events, { prefetch: true }),
      events,
      aRecordingStore(events),
    );

    expect(outcome).toMatchObject({ status: 'ok', fetches: 3, pushed: 6 });
    expect(events).toEqual([
      'fetch 1',
      'fetch 2',
      'push 1',
      'commit 1',
      'committed 1',
      'fetch 3',
      'push 2',
      'commit 2',
      'committed 2',
      'push 3',
      'commit 3',
      'committed 3',
    ]);
  });

  it('fetches strictly after each commit for an own-cursor connector that does not opt in', async () => {
    const events: string[] = [];

    await run(anInstanceId('no-prefetch'), aPagedConnector(events), events, aRecordingStore(events));

    expect(events.slice(0, 6)).toEqual(['fetch 1', 'push 1', 'commit 1', 'committed 1', 'fetch 2', 'push 2']);
  });

  it('aborts and drops the prefetched page when the commit fails: nothing of it is pushed, the last run stays', async () => {
    const events: string[] = [];
    const instanceId = anInstanceId('prefetch-fails');

    const outcome = await run(
      instanceId,
      aPagedConnector(events, { prefetch: true, hangOnPage: 2 }),
      events,
      aRecordingStore(events, { failCommit: 1 }),
    );

    expect(outcome).toMatchObject({ status: 'error', pushed: 2, error: { code: 'STATE_UNAVAILABLE' } });
    expect(events).toEqual(['fetch 1', 'fetch 2', 'push 1', 'commit 1', 'fetch 2 aborted']);
    const state = await fixture.store.read(instanceId);
    expect(state?.lastRun).toEqual({});
    expect(state?.leaseId).toBeUndefined();
  });

  it('aborts and drops the prefetched page when the push fails: nothing is committed', async () => {
    const events: string[] = [];
    const instanceId = anInstanceId('prefetch-push-fails');

    const outcome = await run(
      instanceId,
      aPagedConnector(events, { prefetch: true, hangOnPage: 2 }),
      events,
      aRecordingStore(events),
      aRecordingSink(events, { failPush: 1 }),
    );

    expect(outcome).toMatchObject({ status: 'error', pushed: 0, error: { code: 'SINK_FAILED' } });
    expect(events).toEqual(['fetch 1', 'fetch 2', 'push 1', 'fetch 2 aborted']);
    expect((await fixture.store.read(instanceId))?.lastRun).toEqual({});
  });

  it('prefetches time-window connectors and Alertmanager, not IMAP, whose fetch flags the last page \\Seen', () => {
    expect(mayPrefetch(imap)).toBe(false);
    expect(mayPrefetch(alertmanager)).toBe(true);
    expect(mayPrefetch(helloworld)).toBe(true);
  });
});
