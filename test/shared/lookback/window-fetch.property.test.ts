import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SEEN_IDS } from '../../../shared/lookback/window-fetch.js';
import { MINUTE, runFerry } from './drivers.js';
import type { SimEvent } from './simulation.js';

/** How many generated cases: 10,000 in CI (the bar), fewer while iterating locally. */
const numRuns = Number(process.env.FERRY_PROPERTY_RUNS ?? 10_000);
const MAX_PAGE_SIZE = 25;

const scenario = fc
  .record({
    lookBackMin: fc.constantFrom(0, 1, 2, 5),
    lagMs: fc.constantFrom(0, 5_000, 30_000),
    maxFetch: fc.integer({ min: 1, max: 8 }),
    singles: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 5 * 60_000 }),
        delay: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      {
        maxLength: 30,
      },
    ),
    // Bursts larger than max_fetch on one timestamp (with repeated rows, still within one page of the source).
    bursts: fc.array(
      fc.record({ at: fc.integer({ min: 0, max: 5 * 60_000 }), size: fc.integer({ min: 2, max: 12 }) }),
      {
        maxLength: 2,
      },
    ),
    gaps: fc.array(fc.integer({ min: 1_000, max: 5 * MINUTE }), { minLength: 1, maxLength: 40 }),
    crashPattern: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
    crashRate: fc.constantFrom(0, 0.15, 0.4),
    duplicateRowEvery: fc.constantFrom(0, 3, 7),
    // Invocations that drain (later pages continue at the cursor) or read one page each.
    drain: fc.boolean(),
  })
  .map((input) => {
    // Indexing delays up to look_back (or up to lag, which holds queries back as much).
    const maxDelay = Math.max(input.lookBackMin * MINUTE, input.lagMs);
    // Times spread over 20 minutes; a burst never shares its instant with another burst or a single
    // (so one instant never holds more rows than one page), while singles may share theirs.
    const events: SimEvent[] = [
      ...input.singles.map((single, index) => ({
        id: `s${index}`,
        created: single.at * 4 + 3,
        visibleAt: single.at * 4 + 3 + Math.floor(single.delay * maxDelay),
      })),
      ...input.bursts.flatMap((burst, b) =>
        Array.from({ length: burst.size }, (_, index) => ({
          id: `b${b}-${index}`,
          created: burst.at * 4 + b,
          visibleAt: burst.at * 4 + b,
        })),
      ),
    ];
    const fetchTimes: number[] = [];
    let now = 0;
    const fetchAfter = (gap: number) => {
      now += gap;
      fetchTimes.push(now);
    };
    for (const gap of input.gaps) fetchAfter(gap);
    // Then keep fetching every 30 s until everything is visible and the look-back has passed over it.
    const quiet =
      Math.max(0, ...events.map((event) => event.visibleAt)) + maxDelay + input.lookBackMin * MINUTE;
    const drainFetches = Math.ceil(events.length / input.maxFetch) + 4;
    while (now <= quiet) fetchAfter(30_000);
    for (let extra = 0; extra < drainFetches; extra++) fetchAfter(30_000);
    const crashes = new Set(
      fetchTimes.flatMap((_, index) =>
        input.crashRate > 0 &&
        input.crashPattern[index % input.crashPattern.length] &&
        (index * 7919) % 100 < input.crashRate * 100
          ? [index]
          : [],
      ),
    );
    // A crash on the very last fetches would leave them unpushed-and-uncommitted forever in this model.
    for (let index = fetchTimes.length - drainFetches; index < fetchTimes.length; index++)
      crashes.delete(index);
    const duplicateRows = new Set(
      input.duplicateRowEvery > 0
        ? events.filter((_, index) => index % input.duplicateRowEvery === 0).map((event) => event.id)
        : [],
    );
    return { ...input, events, fetchTimes, crashes, duplicateRows };
  });

describe('window fetch, under random event streams', () => {
  it(`pushes every event, duplicates only after crashes, never moves the cursor back, stays bounded (${numRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        const ferry = await runFerry(
          input.events,
          {
            fetchTimes: input.fetchTimes,
            firstFetch: 0,
            lookBackMs: input.lookBackMin * MINUTE,
            lagMs: input.lagMs,
            maxFetch: input.maxFetch,
            maxPageSize: MAX_PAGE_SIZE,
            crashes: input.crashes,
            drain: input.drain,
          },
          { duplicateRows: input.duplicateRows },
        );
        // Nothing lost.
        expect(ferry.lost(input.events)).toEqual([]);
        // Exactly once after the endpoint's dedupe; more than once only for what a crashed fetch pushed.
        for (const id of ferry.duplicated()) expect(ferry.crashedPushes.has(id)).toBe(true);
        // The cursor never goes backwards.
        for (let index = 1; index < ferry.cursors.length; index++) {
          expect(ferry.cursors[index]!).toBeGreaterThanOrEqual(ferry.cursors[index - 1]!);
        }
        // Bounded state.
        for (const size of ferry.stateSizes) expect(size).toBeLessThan(MAX_SEEN_IDS * 8 + 10_000);
        expect(ferry.health).toEqual([]);
      }),
      { numRuns, seed: Number(process.env.FERRY_PROPERTY_SEED ?? 20261128) },
    );
  }, 300_000);
});
