import { describe, expect, it } from 'vitest';
import { eventsAt, every, MINUTE, runFerry, runXsoar } from './drivers.js';
import type { SimEvent } from './simulation.js';

/**
 * One scenario per way XSOAR's generic look-back loses or duplicates incidents: each runs XSOAR's
 * algorithm (a faithful port, `xsoar-port.ts`) and Ferry's on the same events and the same fetch times.
 */
describe('where XSOAR loses incidents, Ferry does not', () => {
  it('starvation: new incidents wait for XSOAR until the seen ones leave the look-back window; Ferry takes them at once', async () => {
    // 5 incidents in the first minute fill XSOAR's page (fetch_limit 5, reset after an empty run);
    // 20 new ones arrive at 2:30.
    const events = [...eventsAt('old', 5, 1_000), ...eventsAt('new', 20, 2.5 * MINUTE)];
    const fetchTimes = every(MINUTE, MINUTE, 30 * MINUTE);
    const schedule = { fetchTimes, firstFetch: 0, lookBackMs: 10 * MINUTE, maxFetch: 5 };
    const firstArrival = async (run: typeof runXsoar | typeof runFerry) => {
      for (let count = 1; count <= fetchTimes.length; count++) {
        const partial = await run(events, { ...schedule, fetchTimes: fetchTimes.slice(0, count) });
        if (partial.pushes.has('new-0000')) return fetchTimes[count - 1]!;
      }
      return Number.POSITIVE_INFINITY;
    };

    const xsoar = runXsoar(events, schedule);
    const ferry = await runFerry(events, schedule);

    // XSOAR: the page holds only the 5 seen ones until they leave the window at 10:01, and then its
    // cursor jumps back from 10:00 to 2:30.
    expect((await firstArrival(runXsoar)) - 2.5 * MINUTE).toBeGreaterThanOrEqual(8 * MINUTE);
    const xsoarTimes = xsoar.lastRuns.map((lastRun) => lastRun.time!);
    expect(xsoarTimes.some((time, index) => index > 0 && time < xsoarTimes[index - 1]!)).toBe(true);
    // Ferry: its page grows by the seen ids the window returns again, so the new ones come next fetch.
    expect((await firstArrival(runFerry)) - 2.5 * MINUTE).toBeLessThanOrEqual(MINUTE);
    expect(ferry.lost(events)).toEqual([]);
    expect(ferry.duplicated()).toEqual([]);
    expect(ferry.cursors).toEqual([...ferry.cursors].sort((a, b) => a - b));
  });

  it('same timestamp: more than max_fetch incidents on one instant are all fetched', async () => {
    const events = eventsAt('burst', 10, 30_000);
    const schedule = {
      fetchTimes: every(MINUTE, MINUTE, 10 * MINUTE),
      firstFetch: 0,
      lookBackMs: 0,
      maxFetch: 3,
    };

    const xsoar = runXsoar(events, schedule);
    const ferry = await runFerry(events, schedule);

    // XSOAR: the second run sees only the 3 it already has, jumps to now, and the other 7 are gone.
    expect(xsoar.lost(events)).toHaveLength(7);
    expect(ferry.lost(events)).toEqual([]);
    expect(ferry.duplicated()).toEqual([]);
  });

  it('future timestamps: one event stamped an hour ahead does not make the cursor skip what follows', async () => {
    // The source ignores "until", as many APIs do; its clock runs an hour ahead for one event.
    // Between the fetches at 3:00 and 4:00, three incidents arrive.
    const future: SimEvent = { id: 'future', created: 70 * MINUTE, visibleAt: 2 * MINUTE };
    const events = [future, ...eventsAt('later', 3, 3.5 * MINUTE)];
    const schedule = {
      fetchTimes: every(MINUTE, 3 * MINUTE, 40 * MINUTE),
      firstFetch: 0,
      lookBackMs: 0,
      maxFetch: 50,
    };

    const xsoar = runXsoar(events, schedule, { ignoreUntil: true });
    const ferry = await runFerry(events, schedule, { ignoreUntil: true });

    // XSOAR: the cursor jumps to 1:10:00, the next run sees only the future one, moves to now: 3:30 is skipped.
    expect(xsoar.lost(events)).toEqual(['later-0000', 'later-0001', 'later-0002']);
    // ...and, its look_back 0 pruning every id at once, creates the future one again and again.
    expect(xsoar.duplicated()).toContain('future');
    expect(ferry.lost(events)).toEqual([]);
    expect(ferry.duplicated()).toEqual([]);
    // Ferry's cursor never passed the wall clock.
    for (const [index, cursor] of ferry.cursors.entries())
      expect(cursor).toBeLessThanOrEqual(schedule.fetchTimes[index]!);
  });

  it('empty windows: the cursor moves to now − lag, so a late-indexed incident inside the lag is still caught', async () => {
    // Indexed 20 s late; nothing else happens. XSOAR (no lag) moves to now on the empty run and skips it.
    const late: SimEvent = { id: 'late', created: 5 * MINUTE - 10_000, visibleAt: 5 * MINUTE + 10_000 };
    const schedule = {
      fetchTimes: every(MINUTE, MINUTE, 10 * MINUTE),
      firstFetch: 0,
      lookBackMs: 0,
      maxFetch: 10,
    };

    const xsoar = runXsoar([late], schedule);
    const ferry = await runFerry([late], { ...schedule, lagMs: 30_000 });

    expect(xsoar.lost([late])).toEqual(['late']);
    expect(ferry.lost([late])).toEqual([]);
    // Every empty run still advanced the cursor, to exactly now − lag: no slice is queried forever.
    for (const [index, cursor] of ferry.cursors.entries())
      expect(cursor).toBe(schedule.fetchTimes[index]! - 30_000);
  });

  it('late indexing during an outage: the look-back reaches back from the cursor, not from now', async () => {
    // Created at 3:00, indexed 4 minutes late (within look_back, 5 minutes); the fetch at 4:00 does not
    // see it yet; then the source is down from 5:00 to 12:00.
    const late: SimEvent = { id: 'late', created: 3 * MINUTE, visibleAt: 7 * MINUTE };
    const fetchTimes = every(MINUTE, MINUTE, 15 * MINUTE);
    const outages = new Set(
      fetchTimes.flatMap((time, index) => (time >= 5 * MINUTE && time <= 12 * MINUTE ? [index] : [])),
    );
    const schedule = { fetchTimes, outages, firstFetch: 0, lookBackMs: 5 * MINUTE, maxFetch: 10 };

    expect(runXsoar([late], schedule).lost([late])).toEqual(['late']);
    expect((await runFerry([late], schedule)).lost([late])).toEqual([]);
  });

  it('seen ids expire by event time: catching up a backlog, XSOAR keeps every id for 2 × look_back of wall clock', async () => {
    // A day of backlog (one incident a minute) caught up at 200 a fetch with a 60-minute look-back.
    const events: SimEvent[] = Array.from({ length: 24 * 60 }, (_, index) => ({
      id: `b-${index}`,
      created: index * MINUTE,
      visibleAt: index * MINUTE,
    }));
    const now = 24 * 60 * MINUTE;
    const schedule = {
      fetchTimes: every(MINUTE, now, now + 10 * MINUTE),
      firstFetch: 0,
      lookBackMs: 60 * MINUTE,
      maxFetch: 200,
    };

    const xsoar = runXsoar(events, schedule);
    const ferry = await runFerry(events, schedule);

    const xsoarIds = Object.keys(xsoar.lastRun.found_incident_ids ?? {}).length;
    // XSOAR remembers everything it fetched in the last two hours of wall clock, and asks for pages
    // that big: more than most APIs serve in one request.
    expect(xsoarIds).toBe(events.length);
    expect(Math.max(...xsoar.lastRuns.map((lastRun) => lastRun.limit ?? 0))).toBeGreaterThan(1000);
    // Ferry remembers only what the look-back window can return again: one hour of event time.
    const ferrySeen = Object.values((ferry.lastRun.seen ?? {}) as Record<string, string>).join('').length / 8;
    expect(ferrySeen).toBeLessThanOrEqual(61);
    expect(ferry.lost(events)).toEqual([]);
    expect(ferry.duplicated()).toEqual([]);
  });
});
