import { describe, expect, it } from 'vitest';
import { formatDuration, isIsoDate, parseDuration, parsePointInTime } from '../../shared/duration.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');

describe('parseDuration', () => {
  it.each([
    ['3 days', 3 * 86_400_000],
    ['12 hours', 12 * 3_600_000],
    ['1 minute', 60_000],
    ['30 seconds', 30_000],
    ['1 week', 604_800_000],
    ['2 months', 60 * 86_400_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['10s', 10_000],
    ['1.5 hours', 5_400_000],
    ['  7 Days  ', 7 * 86_400_000],
    ['3 days ago', 3 * 86_400_000],
  ])('reads "%s" as XSOAR does', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads "ms" as milliseconds, not as minutes with a plural s', () => {
    expect(parseDuration('5ms')).toBe(5);
    expect(parseDuration('500 ms')).toBe(500);
  });

  it.each([
    '',
    'soon',
    '3',
    'days',
    '-1 day',
    '3 fortnights',
    '3 constructors',
    '2 toStrings',
    '1 day 2 hours',
  ])('refuses "%s"', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parsePointInTime (first_fetch)', () => {
  it('counts a duration back from now', () => {
    expect(parsePointInTime('3 days', NOW)?.toISOString()).toBe('2026-03-07T12:00:00.000Z');
    expect(parsePointInTime('12 hours', NOW)?.toISOString()).toBe('2026-03-10T00:00:00.000Z');
  });

  it('takes an ISO date or date-time as an absolute point', () => {
    expect(parsePointInTime('2026-01-31', NOW)?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parsePointInTime('2026-01-31T08:30:00Z', NOW)?.toISOString()).toBe('2026-01-31T08:30:00.000Z');
    expect(parsePointInTime('2026-01-31T08:30:00+02:00', NOW)?.toISOString()).toBe(
      '2026-01-31T06:30:00.000Z',
    );
  });

  it.each(['yesterday', '31/01/2026', '2026-13-01', '2026-02-31', 'Jan 31 2026', ''])(
    'refuses "%s"',
    (text) => {
      expect(parsePointInTime(text, NOW)).toBeUndefined();
    },
  );
});

describe('isIsoDate', () => {
  it('accepts a leap day and refuses a day the month does not have', () => {
    expect(isIsoDate('2024-02-29T00:00:00Z')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-04-31T00:00:00Z')).toBe(false);
  });
});

describe('formatDuration', () => {
  it('writes the two largest units a person reads', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(3 * 86_400_000 + 3_600_000 + 5_000)).toBe('3d 1h');
  });
});
