import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../../shared/incident.js';
import { createXsoarSink, type XsoarSinkOptions } from '../../../shared/sinks/xsoar-sink.js';
import { aBatch } from '../../helpers/incidents.js';
import { startXsoarStandIn, type XsoarStandInOptions } from '../../helpers/xsoar/stand-in.js';
import { anInstanceId, type LedgerFixture, startLedgerFixture } from './ledger-fixture.js';

// What exactly-once costs in XSOAR requests, per delivery mode, for a push of 100 new incidents: on a
// quiet network, and through a gateway that stores then answers 502 to every 5th request. docs/sinks.md
// quotes these counts.

const COUNT = 100;
const apiKey = 'cost-key-0123456789abcdef';
const fast = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };

let fixture: LedgerFixture;
beforeAll(async () => {
  fixture = await startLedgerFixture();
});
afterAll(async () => {
  await fixture?.stop();
});

const incidents = (): Incident[] =>
  Array.from({ length: COUNT }, (_, i) => ({
    name: `Alert ${i}`,
    occurred: '2026-01-31T10:00:00Z',
    rawJSON: JSON.stringify({ id: i }),
    dbotMirrorId: `C-${i}`,
  }));

const modes: [string, XsoarStandInOptions, Partial<XsoarSinkOptions>][] = [
  ['REST API (XSOAR 6 and 8)', { flavour: 6, apiKey }, { apiKey }],
  [
    'Generic Webhook, 50 a request, with an API key for searches',
    {
      flavour: 'webhook',
      apiKey,
      webhook: { name: 'hook', duplicationKey: 'ferry.key', mapper: { dbotMirrorId: 'ferry.dbotMirrorId' } },
    },
    { webhookInstance: 'hook', apiKey },
  ],
];

const push = async (standIn: XsoarStandInOptions, sink: Partial<XsoarSinkOptions>, every?: number) => {
  const xsoar = await startXsoarStandIn(standIn);
  try {
    xsoar.storeThenFail(every);
    const result = await createXsoarSink({
      url: xsoar.url,
      ledger: fixture.ledger,
      resolveDelayMs: 0,
      concurrency: 1,
      http: fast,
      ...sink,
    }).push(aBatch(incidents(), { instance: anInstanceId('cost') }));
    const count = (kind: string) => xsoar.requests.filter((request) => request.kind === kind).length;
    return { result, stored: xsoar.incidents.length, creates: count('create'), searches: count('search') };
  } finally {
    await xsoar.close();
  }
};

describe('XSOAR requests per incident, 100 new incidents, concurrency 1', () => {
  it(`${modes[0]?.[0]}: 1 create each; every 5th answered 502 adds one search per 100 in doubt, no re-send`, async () => {
    const [, standIn, sink] = modes[0] as (typeof modes)[number];

    const quiet = await push(standIn, sink);
    const gateway = await push(standIn, sink, 5);

    expect(quiet).toMatchObject({ stored: COUNT, creates: COUNT, searches: 0 });
    // 100 creates, 20 of them 502 after the store: resolved by one search (retried once if it is itself a 5th request).
    expect(gateway).toMatchObject({ stored: COUNT, creates: COUNT });
    expect(gateway.searches).toBeGreaterThanOrEqual(1);
    expect(gateway.searches).toBeLessThanOrEqual(2);
    expect(gateway.result).toMatchObject({ accepted: COUNT, duplicates: 0 });
  });

  it(`${modes[1]?.[0]}: 2 requests for 100; the 502s of a round cost one search`, async () => {
    const [, standIn, sink] = modes[1] as (typeof modes)[number];

    const quiet = await push(standIn, sink);
    const gateway = await push(standIn, { ...sink, batchSize: 10 }, 5);

    expect(quiet).toMatchObject({ stored: COUNT, creates: 2, searches: 0 });
    expect(gateway).toMatchObject({ stored: COUNT, creates: 10 });
    // 10 lists of 10, 2 answered 502 after the store: their 20 incidents resolved by one search.
    expect(gateway.searches).toBeGreaterThanOrEqual(1);
    expect(gateway.searches).toBeLessThanOrEqual(2);
  });

  it("Generic Webhook without an API key: an in-doubt list is sent again and the webhook's duplication_key drops what it has", async () => {
    const xsoar = await startXsoarStandIn({
      flavour: 'webhook',
      webhook: { name: 'hook', duplicationKey: 'ferry.key' },
    });
    try {
      xsoar.storeThenFail(3);
      const result = await createXsoarSink({
        url: xsoar.url,
        webhookInstance: 'hook',
        batchSize: 10,
        ledger: fixture.ledger,
        resolveDelayMs: 0,
        http: fast,
      }).push(aBatch(incidents(), { instance: anInstanceId('dedupe') }));

      expect(result.accepted).toBe(COUNT);
      expect(xsoar.incidents).toHaveLength(COUNT);
      expect(
        new Set(xsoar.incidents.map((item) => JSON.parse(String(item.incident.rawJSON)).ferry.key)).size,
      ).toBe(COUNT);
    } finally {
      await xsoar.close();
    }
  });
});
