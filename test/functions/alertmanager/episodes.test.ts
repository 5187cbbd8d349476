import { describe, expect, it } from 'vitest';
import { EpisodeSet, episodeKey } from '../../../functions/alertmanager/episodes.js';

const MINUTE = 60_000;
const now = Date.parse('2026-11-28T12:00:30.000Z');

describe('the firing episodes an Alertmanager instance remembers', () => {
  it('keys an episode by fingerprint and startsAt, so a re-fire is another episode', () => {
    const set = new EpisodeSet();
    set.see(episodeKey('23563e67c9b496b2', now - 10 * MINUTE), now);

    const again = EpisodeSet.parse(set.serialize());

    expect(episodeKey('23563e67c9b496b2', now)).toBe('23563e67c9b496b2:2026-11-28T12:00:30.000Z');
    expect(again.has(episodeKey('23563e67c9b496b2', now - 10 * MINUTE))).toBe(true);
    expect(again.has(episodeKey('23563e67c9b496b2', now))).toBe(false);
  });

  it('carries over unlisted episodes until the cutoff, the most recently seen first, up to the limit', () => {
    const previous = new EpisodeSet();
    previous.see('old', now - 20 * MINUTE);
    previous.see('recent', now - 2 * MINUTE);
    previous.see('listed', now - MINUTE);
    const next = new EpisodeSet();
    next.see('listed', now);

    const forgotten = next.carryOver(previous, now - 10 * MINUTE, 10);

    expect(forgotten).toBe(1);
    expect([next.has('listed'), next.has('recent'), next.has('old')]).toEqual([true, true, false]);
    const capped = new EpisodeSet();
    expect(capped.carryOver(previous, now - 60 * MINUTE, 1)).toBe(2);
    expect(capped.has('listed')).toBe(true);
  });

  it('reads an unreadable last run as empty: it re-fetches, it never loses', () => {
    expect(EpisodeSet.parse('garbage').size).toBe(0);
    expect(EpisodeSet.parse({ soon: 'AAAAAAAA', 5: 42 }).size).toBe(0);
  });
});
