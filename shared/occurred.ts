/**
 * XSOAR's `occurred`: the server reads it as Go's `time.Time`, which takes only RFC 3339 (a `T`,
 * seconds, and a zone `Z` or `±hh:mm`). Anything else is refused with a 400 (demisto-py's
 * server_api_swagger.json: `CreateIncidentRequest.occurred`, `"format": "date-time"`). Ferry therefore
 * sends every `occurred` as RFC 3339 in UTC with seconds, converting the forms whose instant is
 * unambiguous and refusing the rest at validation.
 */

/** What validation sends on: `2026-01-31T09:00:00Z`, fractions kept as given (`…:00.123Z`). */
export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * Date, time (minutes, optional seconds and fraction) and zone. The separator may be `T`, `t` or a
 * space; the zone `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh` (ISO 8601's basic and short forms).
 */
const pattern =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

export type OccurredResult = { readonly value: string } | { readonly problem: string };

const pad = (value: number, length: number) => String(value).padStart(length, '0');

const isLeap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number) => (month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] ?? 0));

const HOW_TO_FIX =
  'use RFC 3339 with a zone, e.g. "2026-01-31T10:00:00Z" (new Date(...).toISOString() gives it)';

/**
 * Converts an `occurred` to RFC 3339 UTC with seconds, or says why it cannot: a time without a zone
 * is refused rather than guessed (the source's zone is not Ferry's to assume), as are impossible dates
 * and anything that is not a string.
 * @example normalizeOccurred('2026-01-31 10:00+0100') // { value: '2026-01-31T09:00:00Z' }
 */
export const normalizeOccurred = (occurred: unknown): OccurredResult => {
  if (typeof occurred !== 'string') {
    return {
      problem: `must be an RFC 3339 string, got ${occurred === null ? 'null' : typeof occurred}; ${HOW_TO_FIX}`,
    };
  }
  const shown = JSON.stringify(occurred.length > 60 ? `${occurred.slice(0, 60)}…` : occurred);
  const match = pattern.exec(occurred.trim());
  if (!match) return { problem: `is not a date and time XSOAR can read (${shown}); ${HOW_TO_FIX}` };
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second = '00',
    fraction,
    zulu,
    sign,
    offsetHours,
    offsetMinutes = '00',
  ] = match as unknown as string[];
  if (!zulu && !sign) {
    return { problem: `has no time zone (${shown}), so its instant is unknown; ${HOW_TO_FIX}` };
  }
  const numbers = [year, month, day, hour, minute, second, offsetHours ?? '0', offsetMinutes].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s, oh, om] = numbers;
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) {
    return { problem: `is not a real date and time (${shown}); ${HOW_TO_FIX}` };
  }
  const offsetMs = (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  const utc = new Date(date.getTime() - offsetMs);
  const utcYear = utc.getUTCFullYear();
  if (utcYear < 0 || utcYear > 9999) {
    return { problem: `is out of RFC 3339's range of years 0000–9999 once in UTC (${shown})` };
  }
  const value =
    `${pad(utcYear, 4)}-${pad(utc.getUTCMonth() + 1, 2)}-${pad(utc.getUTCDate(), 2)}` +
    `T${pad(utc.getUTCHours(), 2)}:${pad(utc.getUTCMinutes(), 2)}:${pad(utc.getUTCSeconds(), 2)}` +
    `${fraction ? `.${fraction}` : ''}Z`;
  return { value };
};
