import { describe, expect, it } from 'vitest';
import { BUCKET_MS, SeenIds } from '../../../shared/lookback/seen-ids.js';
import { MAX_SEEN_IDS } from '../../../shared/lookback/window-fetch.js';
import { createSimSource, ferryFetch, type SimEvent, simConnector } from './simulation.js';

describe('SeenIds', () => {
  it('remembers an id in the minute of its event time, and only there', () => {
    const seen = new SeenIds();
    seen.add('alert-1', 90_000);

    expect(seen.has('alert-1', 90_000)).toBe(true);
    expect(seen.has('alert-1', 119_999)).toBe(true);
    expect(seen.has('alert-1', 120_000)).toBe(false);
    expect(seen.has('alert-2', 90_000)).toBe(false);
  });

  it('survives serialization as 8 characters an id', () => {
    const seen = new SeenIds();
    for (let index = 0; index < 100; index++) seen.add(`id-${index}`, index * 1_000);

    const serialized = seen.serialize();
    const restored = SeenIds.parse(JSON.parse(JSON.stringify(serialized)));

    expect(Object.values(serialized).join('').length).toBe(100 * 8);
    for (let index = 0; index < 100; index++) expect(restored.has(`id-${index}`, index * 1_000)).toBe(true);
  });

  it('forgets whole minutes that end before the prune time, keeps the minute it falls in', () => {
    const seen = new SeenIds();
    seen.add('old', 0);
    seen.add('edge', BUCKET_MS + 10);
    seen.add('new', 3 * BUCKET_MS);

    seen.pruneBefore(BUCKET_MS + 30_000);

    expect(seen.has('old', 0)).toBe(false);
    expect(seen.has('edge', BUCKET_MS + 10)).toBe(true);
    expect(seen.countFrom(BUCKET_MS + 30_000)).toBe(2);
  });

  it('caps by dropping the oldest minutes first and says how many it dropped', () => {
    const seen = new SeenIds();
    for (let index = 0; index < 30; index++) seen.add(`id-${index}`, Math.floor(index / 10) * BUCKET_MS);

    const dropped = seen.capTo(15);

    expect(dropped).toBe(20);
    expect(seen.size).toBe(10);
    expect(seen.has('id-29', 2 * BUCKET_MS)).toBe(true);
  });

  it('ignores a malformed serialized value rather than failing the fetch', () => {
    expect(SeenIds.parse({ abc: 'x', 12: 42 }).size).toBe(0);
    expect(SeenIds.parse('nonsense').size).toBe(0);
  });
});

describe('bounded state', () => {
  it('keeps the last run under 100 KB at 10,000 incidents an hour with a 60-minute look-back', async () => {
    const hour = 60 * 60_000;
    const events: SimEvent[] = Array.from({ length: 10_000 }, (_, index) => {
      const created = Math.floor((index * hour) / 10_000);
      return { id: `evt-${index.toString(36)}-${created}`, created, visibleAt: created };
    });
    const connector = simConnector(createSimSource(events), 1000);
    let lastRun = {};
    for (let now = 60_000; now <= hour + 60_000; now += 60_000) {
      const run = await ferryFetch(connector, lastRun, {
        now,
        firstFetch: 0,
        lookBackMs: hour,
        maxFetch: 1000,
      });
      lastRun = run.nextRun;
    }

    expect(Buffer.byteLength(JSON.stringify(lastRun))).toBeLessThan(100_000);
  });

  it('reaching the cap is reported, never silent', async () => {
    const events: SimEvent[] = Array.from({ length: MAX_SEEN_IDS + 500 }, (_, index) => ({
      id: `evt-${index}`,
      created: 1_000 + index,
      visibleAt: 1_000 + index,
    }));
    const connector = simConnector(createSimSource(events), 1000);
    let lastRun = {};
    const notices: string[] = [];
    for (let fetch = 0; fetch < 20; fetch++) {
      const run = await ferryFetch(connector, lastRun, {
        now: 60 * 60_000,
        firstFetch: 0,
        lookBackMs: 60 * 60_000,
        maxFetch: 1000,
      });
      if (run.notice) notices.push(run.notice);
      lastRun = run.nextRun;
    }

    expect(notices.some((notice) => notice.includes(`more than ${MAX_SEEN_IDS} ids`))).toBe(true);
    expect(SeenIds.parse((lastRun as { seen: unknown }).seen).size).toBeLessThanOrEqual(MAX_SEEN_IDS);
  });
});
