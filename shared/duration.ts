/**
 * Durations and points in time as XSOAR integrations take them: "3 days", "12 hours", "1 minute",
 * "30 seconds" (XSOAR's `first_fetch` and fetch interval), short forms ("5m", "2h"), or an ISO date.
 */

const unitMs = {
  ms: 1,
  millisecond: 1,
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  // XSOAR's dateparser takes months and years; a calendar-exact month matters little for a first fetch.
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
} as const;

const durationPattern = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)(?:\s+ago)?\s*$/i;

// Own keys only: "3 constructors" must not find Object.prototype.constructor.
const unitOf = (word: string): number | undefined =>
  Object.hasOwn(unitMs, word) ? unitMs[word as keyof typeof unitMs] : undefined;

/** Parses "3 days" / "12 hours" / "5m" into milliseconds; `undefined` when it is not a duration. */
export const parseDuration = (text: string): number | undefined => {
  const match = durationPattern.exec(text);
  if (!match) return undefined;
  const word = match[2]!.toLowerCase();
  // The unit as written first ("ms"), then without a plural "s" ("days"): "5ms" is 5 milliseconds.
  const ms = unitOf(word) ?? (word.endsWith('s') ? unitOf(word.slice(0, -1)) : undefined);
  return ms === undefined ? undefined : Number(match[1]) * ms;
};

const isoPattern = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True when the calendar date exists: `Date` rolls "2026-02-31" over to March 3 instead of refusing it. */
const isRealDay = (text: string): boolean => {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return days !== undefined && day >= 1 && day <= days;
};

/** True when `text` is an ISO-8601 date or date-time that `Date` parses. */
export const isIsoDate = (text: string): boolean =>
  isoPattern.test(text) && !Number.isNaN(Date.parse(text)) && isRealDay(text);

/**
 * Resolves XSOAR's `first_fetch`: a duration back from `now`, or an absolute ISO date.
 * @example parsePointInTime('3 days', now) // now minus 72 hours
 */
export const parsePointInTime = (text: string, now: Date): Date | undefined => {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  if (isIsoDate(text.trim())) return new Date(text.trim());
  return undefined;
};

/** Formats milliseconds the way a person reads them: "90 seconds" → "1m 30s". */
export const formatDuration = (ms: number): string => {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
};
