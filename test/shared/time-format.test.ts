import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatEdge,
  timeFormat,
  timeFormatProblem,
  timeZoneProblem,
} from '../../shared/time-format/time-format.js';

const PATTERNS = [
  'yyyy-MM-dd HH:mm',
  "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
  'yyyy/MM/dd HH:mm:ss',
  'dd.MM.yyyy HH:mm',
  'EEE, dd MMM yyyy HH:mm:ss Z',
  'yyyy-MM-dd',
];
const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
];
const NAMED = ['iso', 'iso_seconds', 'epoch_ms', 'epoch_s', 'rfc1123'];

// 1990–2060, to the millisecond: DST switches of every zone above fall inside.
const instant = fc.integer({ min: 631_152_000_000, max: 2_840_140_800_000 });
const formatOf = fc.oneof(
  fc.tuple(fc.constantFrom(...PATTERNS), fc.constantFrom(...ZONES)),
  fc.tuple(fc.constantFrom(...NAMED), fc.constant('UTC')),
);

describe('time formats', () => {
  it('read what they write: the text round-trips, and the instant is the input truncated to the unit', () => {
    fc.assert(
      fc.property(formatOf, instant, ([spec, zone], ms) => {
        const format = timeFormat(spec, zone);
        const written = format.write(ms);
        const back = format.read(written);
        expect(back).toBeDefined();
        expect(back!).toBeLessThanOrEqual(ms);
        expect(format.write(back!)).toEqual(written);
      }),
      { numRuns: 3000 },
    );
  });

  it('widen a window, never narrow it: the start reads back at or before it, the end at or after it', () => {
    fc.assert(
      fc.property(formatOf, instant, ([spec, zone], ms) => {
        const format = timeFormat(spec, zone);
        expect(format.read(formatEdge(format, ms, 'start'))!).toBeLessThanOrEqual(ms);
        expect(format.read(formatEdge(format, ms, 'end'))!).toBeGreaterThanOrEqual(ms);
      }),
      { numRuns: 3000 },
    );
  });

  it("writes Jira's JQL time in the user's zone, to the minute", () => {
    const jira = timeFormat('yyyy-MM-dd HH:mm', 'America/New_York');
    const ms = Date.parse('2026-03-10T16:30:45.500Z'); // EDT (UTC-4) since 8 March 2026

    expect(formatEdge(jira, ms, 'start')).toBe('2026-03-10 12:30');
    expect(formatEdge(jira, ms, 'end')).toBe('2026-03-10 12:31');
    expect(jira.read('2026-03-10 12:30')).toBe(Date.parse('2026-03-10T16:30:00Z'));
    expect(jira.read('2026-01-10 12:30')).toBe(Date.parse('2026-01-10T17:30:00Z')); // EST
  });

  it('moves an end in the repeated hour past it, so the window keeps its last hour when clocks go back', () => {
    const jira = timeFormat('yyyy-MM-dd HH:mm', 'America/New_York');
    // 1 November 2026, 01:30 EST (the second 01:30; the first was EDT, an hour earlier).
    const end = Date.parse('2026-11-01T06:30:00Z');

    const written = formatEdge(jira, end, 'end');

    expect(jira.read(written)!).toBeGreaterThanOrEqual(end);
    expect(written).toBe('2026-11-01 02:30');
  });

  it('writes and reads the named formats', () => {
    const ms = Date.parse('2026-03-10T12:00:00.250Z');
    expect(timeFormat('epoch_ms').write(ms)).toBe(ms);
    expect(formatEdge(timeFormat('epoch_s'), ms, 'start')).toBe(1773144000);
    expect(formatEdge(timeFormat('epoch_s'), ms, 'end')).toBe(1773144001);
    expect(timeFormat('rfc1123').write(ms)).toBe('Tue, 10 Mar 2026 12:00:00 GMT');
    expect(timeFormat('rfc1123').read('Tue, 10 Mar 2026 12:00:00 GMT')).toBe(ms - 250);
    expect(timeFormat('epoch_s').read('1773144000')).toBe(ms - 250);
    expect(timeFormat('auto').read(1773144000)).toBe(ms - 250);
    expect(timeFormat('iso').read('10/03/2026')).toBeUndefined();
    expect(timeFormat('yyyy-MM-dd HH:mm').read('2026-02-30 10:00')).toBeUndefined();
    expect(timeFormat('yyyy-MM-dd HH:mm').read('2026-03-10T10:00')).toBeUndefined();
  });

  it('names the mistake in a wrong pattern or zone', () => {
    expect(timeFormatProblem('YYYY-MM-dd')).toContain('"YYYY", which is not a field');
    expect(timeFormatProblem('yyyy-MM-ddTHH:mm')).toContain(`quote literal text`);
    expect(timeFormatProblem('yyyy-MM-dd ss')).toContain('has ss without mm');
    expect(timeFormatProblem('HH:mm')).toContain('has no year');
    expect(timeFormatProblem("yyyy-MM-dd'T")).toContain('unclosed quote');
    expect(timeFormatProblem('auto')).toContain('must be one of');
    expect(timeFormatProblem('auto', { reading: true })).toBeUndefined();
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('CEST+2')).toContain('must be an IANA time zone');
  });
});
