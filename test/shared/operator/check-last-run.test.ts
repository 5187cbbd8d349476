import { describe, expect, it } from 'vitest';
import { alertmanager } from '../../../functions/alertmanager/connector.js';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { imap } from '../../../functions/imap/connector.js';
import { assertUsableLastRun, lastRunProblems } from '../../../shared/operator/check-last-run.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('the last run an operator sets, checked against the connector before it is written', () => {
  it.each([
    [{}],
    [{ time: '2026-01-01T00:00:00Z' }],
    [{ time: '2026-01-01T00:00:00.000Z', seen: { '29433600': 'abcdefgh' } }],
    [{ time: '2026-05-31T23:00:00+02:00' }],
    [{ time: '2026-01-01T00:00:00.000Z', settled: '2025-12-31T23:00:00.000Z', seen: {} }],
  ])('a time-window connector takes %j', (lastRun) => {
    expect(lastRunProblems(helloworld, lastRun, NOW)).toEqual([]);
  });

  it.each([
    [
      { time: 'not a date' },
      /"time" must be an ISO-8601 date such as "2026-01-01T00:00:00Z" \(got "not a date"\)/,
    ],
    [{ time: 1773140400000 }, /"time" must be an ISO-8601 date .*\(got 1773140400000\)/],
    [{ time: '2026-01-01' }, /"time" must be an ISO-8601 date/],
    [
      { time: '2027-01-01T00:00:00Z' },
      /"time" is in the future \(2027-01-01T00:00:00Z\): nothing would be fetched/,
    ],
    [{ seen: ['a'] }, /"seen" must be an object of packed ids by minute/],
    [{ tiem: '2026-01-01T00:00:00Z' }, /"tiem" is not part of a time-window cursor/],
    [{ time: '2026-01-01T00:00:00Z', settled: 'yesterday' }, /"settled" must be an ISO-8601 date/],
    [
      { time: '2026-01-01T00:00:00Z', settled: '2026-02-01T00:00:00Z' },
      /"settled" \(2026-02-01T00:00:00Z\) is after "time"/,
    ],
  ])('a time-window connector refuses %j', (lastRun, problem) => {
    expect(lastRunProblems(helloworld, lastRun, NOW).join(' ')).toMatch(problem);
  });

  it('asks an own-cursor connector: IMAP refuses a field it would silently drop', () => {
    expect(lastRunProblems(imap, { folder: 'INBOX', uidValidity: '7', lastUid: 42 }, NOW)).toEqual([]);
    expect(lastRunProblems(imap, { lastUid: -1, uid: 3 }, NOW)).toEqual([
      '"lastUid" must be a whole number of 0 or more (got -1).',
      '"uid" is not part of the IMAP cursor (folder, uidValidity, lastUid, since, markSeen).',
    ]);
    expect(lastRunProblems(alertmanager, { episodes: 'x' }, NOW)).toEqual([
      '"episodes" must be an object of packed episode hashes by minute, as a fetch writes it.',
    ]);
  });

  it('throws a ConfigError that names the instance, says nothing changed and why', () => {
    expect(() => assertUsableLastRun('demo', helloworld, { time: 'not a date' }, NOW)).toThrow(
      'Instance "demo": this last run was not set, nothing changed. "time" must be an ISO-8601 date such as "2026-01-01T00:00:00Z" (got "not a date").',
    );
    expect(() => assertUsableLastRun('broken', undefined, { time: '2026-01-01T00:00:00Z' }, NOW)).toThrow(
      /its connector is unknown, so only --reset is safe/,
    );
    expect(() => assertUsableLastRun('broken', undefined, {}, NOW)).not.toThrow();
  });
});
