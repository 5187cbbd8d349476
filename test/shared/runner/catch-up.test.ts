import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import { runFetch } from '../../../shared/runner/run-fetch.js';
import type { Sink } from '../../../shared/sinks/sink.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../../helpers/local-dynamo.js';
import { silentLogger } from '../../helpers/runtime.js';

const API_KEY = 'catch-up-key';
const HOUR = 3_600_000;
/** The Lambda's default timeout: the invocation's deadline. */
const DEFAULT_TIMEOUT_MS = 60_000;

let fixture: DynamoFixture;
let source: DemoSource | undefined;

beforeAll(async () => {
  fixture = await startDynamoFixture();
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await fixture?.stop();
});

afterEach(async () => {
  await source?.close();
  source = undefined;
});

/** A sink that acknowledges everything and counts each key it received. */
const aCountingSink = () => {
  const received = new Map<string, number>();
  const sink: Sink = {
    type: 'ferry',
    async push(batch) {
      for (const { key } of batch.incidents) received.set(key, (received.get(key) ?? 0) + 1);
      return { accepted: batch.incidents.length, duplicates: 0 };
    },
  };
  return { sink, received };
};

const aHelloworldInstance = (id: string, url: string, params: Record<string, unknown>) =>
  instanceDocumentSchema.parse({
    id,
    connector: 'helloworld',
    sink: { type: 'ferry' },
    params: { url, ...params },
    secrets: { apiKey: { env: 'UNUSED' } },
  });

const invoke = (document: ReturnType<typeof aHelloworldInstance>, sink: Sink) =>
  runFetch(
    {
      document,
      connector: helloworld,
      secrets: async () => ({ apiKey: API_KEY }),
      deadline: Date.now() + DEFAULT_TIMEOUT_MS,
    },
    { store: fixture.store, sink, logger: silentLogger },
  );

describe('catching up a backlog with a look-back', () => {
  it('reads each event about once: two hours at 10,000/h with look_back 60 arrive in one invocation, each once', async () => {
    source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
    const now = Date.now();
    // Inside first_fetch ("2 hours", resolved a little later than `now`).
    source.backlog(20_000, { from: now - 2 * HOUR + 60_000, to: now - 1_000 });
    const { sink, received } = aCountingSink();
    const document = aHelloworldInstance(anInstanceId('catch-up'), source.url, {
      first_fetch: '2 hours',
      look_back: 60,
      max_fetch: 1000,
    });

    const outcome = await invoke(document, sink);

    expect(outcome.status).toBe('ok');
    expect(outcome.message ?? '').not.toMatch(/More incidents are waiting/);
    expect(received.size).toBe(20_000);
    expect([...received.values()].every((count) => count === 1)).toBe(true);
    // Events read from the source per incident pushed: each page of the drain continues at the cursor
    // instead of re-reading the hour behind it (which read 8.6 times what it pushed).
    const amplification = source.alertsServed / outcome.pushed;
    expect(amplification).toBeLessThanOrEqual(1.3);
  }, 120_000);

  it('still re-reads the look-back on the next invocation, catching an event indexed late', async () => {
    source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
    const now = Date.now();
    source.backlog(3_000, { from: now - 2 * HOUR + 60_000, to: now - 10_000 });
    const { sink, received } = aCountingSink();
    const document = aHelloworldInstance(anInstanceId('late'), source.url, {
      first_fetch: '2 hours',
      look_back: 60,
      max_fetch: 1000,
    });
    await invoke(document, sink);
    expect(received.size).toBe(3_000);

    // Created 20 minutes ago, indexed only now: behind the cursor, inside the look-back.
    const late = source.add({ created: now - 20 * 60_000 }, { visibleAt: Date.now() });
    const next = await invoke(document, sink);

    expect(next.status).toBe('ok');
    expect(next.pushed).toBe(1);
    expect(next.sourceIds).toEqual([late.id]);
    expect([...received.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);
});

describe('draining a rate-limited source', () => {
  it('runs at its limit from its headers, meets no storm of 429s, and says it was paced', async () => {
    // 2 requests a second, pages of 1,000: the drain needs about 12 requests, six windows; a fetch and
    // its push take less than the half second the limit leaves each request, so the window runs out.
    source = await startDemoSource({
      apiKey: API_KEY,
      ratePerSecond: 0,
      rateLimit: { requests: 2, perMs: 1_000 },
    });
    const now = Date.now();
    source.backlog(12_000, { from: now - 2 * HOUR + 60_000, to: now - 1_000 });
    const { sink, received } = aCountingSink();
    const document = aHelloworldInstance(anInstanceId('paced'), source.url, {
      first_fetch: '2 hours',
      max_fetch: 1000,
    });

    const outcome = await invoke(document, sink);

    expect(outcome.status).toBe('ok');
    expect(received.size).toBe(12_000);
    expect([...received.values()].every((count) => count === 1)).toBe(true);
    // At most one 429 per minute of draining: this drain takes well under a minute.
    expect(source.rateLimited).toBeLessThanOrEqual(1);
    expect(outcome.pacedMs).toBeGreaterThan(0);
    expect(outcome.message).toMatch(/Paced by the source's rate limit: \d+ requests? waited/);
    const [recorded] = await fixture.store.listHistory(document.id, { limit: 1 });
    expect(recorded?.pacedMs).toBe(outcome.pacedMs);
  }, 120_000);
});
