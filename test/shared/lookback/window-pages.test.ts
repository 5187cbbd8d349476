import { describe, expect, it } from 'vitest';
import type { LastRun } from '../../../shared/connector.js';
import { MINUTE } from './drivers.js';
import { createSimSource, ferryFetch, type SimEvent, simConnector } from './simulation.js';

/** `count` events a second apart from `from`, each visible at once. */
const eventsEverySecond = (prefix: string, count: number, from: number): SimEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${String(index).padStart(4, '0')}`,
    created: from + index * 1_000,
    visibleAt: 0,
  }));

/** A connector over `events` whose source answers at most `maxPageSize` rows, counting its requests. */
const aCountingConnector = (events: SimEvent[], maxPageSize: number) => {
  const connector = simConnector(createSimSource(events), maxPageSize);
  const limits: number[] = [];
  return {
    limits,
    connector: {
      ...connector,
      fetchWindow: (
        ctx: Parameters<typeof connector.fetchWindow>[0],
        window: Parameters<typeof connector.fetchWindow>[1],
      ) => {
        limits.push(window.limit);
        return connector.fetchWindow(ctx, window);
      },
    },
  };
};

/** Fetches until nothing is left; returns every fetch's result. */
const drain = async (
  connector: ReturnType<typeof simConnector>,
  settings: { maxFetch: number; lookBackMs: number },
) => {
  const results = [];
  let lastRun: LastRun = {};
  for (let fetch = 0; fetch < 100; fetch++) {
    const result = await ferryFetch(connector, lastRun, { now: 60 * MINUTE, firstFetch: 0, ...settings });
    results.push(result);
    lastRun = result.nextRun;
    if (!result.hasMore) break;
  }
  return results;
};

describe('windowFetch: requests per fetch when max_fetch reaches the source page size', () => {
  it('does not spend a request on the one or two ids a page cut by the source left wanted', async () => {
    const events = eventsEverySecond('a', 35, MINUTE);
    const { connector, limits } = aCountingConnector(events, 10);

    const results = await drain(connector, { maxFetch: 10, lookBackMs: 0 });

    // Each fetch after the first re-reads the one event at its cursor (inclusive): asked for 11, the
    // source gives 10, 9 of them new. The fetch returns those 9 instead of asking again for 2.
    expect(limits.every((limit) => limit === 10)).toBe(true);
    expect(results.map((result) => result.pages)).toEqual(results.map(() => 1));
    const fetched = results.flatMap((result) => result.incidents.map((incident) => incident.dbotMirrorId));
    expect(fetched).toEqual(events.map((event) => event.id));
  });

  it('keeps reading past a page that is mostly ids seen in the look-back window', async () => {
    const events = eventsEverySecond('b', 40, MINUTE);
    const { connector } = aCountingConnector(events, 10);
    // The first fetch takes 8 events; the next re-reads them all through a 10-minute look-back (they are
    // a minute old, so they may still be joined by late-indexed ones).
    const first = await ferryFetch(
      connector,
      {},
      { now: 2 * MINUTE, firstFetch: 0, lookBackMs: 10 * MINUTE, maxFetch: 8 },
    );
    const second = await ferryFetch(connector, first.nextRun, {
      now: 2 * MINUTE,
      firstFetch: 0,
      lookBackMs: 10 * MINUTE,
      maxFetch: 10,
    });

    // Its first page holds the 8 seen ids and 2 new ones: under half a fetch, so it reads on.
    expect(second.pages).toBeGreaterThan(1);
    expect(second.incidents).toHaveLength(10);
    expect(second.incidents.map((incident) => incident.dbotMirrorId)).toEqual(
      events.slice(8, 18).map((event) => event.id),
    );
  });
});
