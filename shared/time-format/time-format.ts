import { type CompiledPattern, compilePattern, patternProblem } from './pattern.js';
import { isTimeZone } from './zone.js';

/**
 * How a source writes instants, for both what Ferry sends (a window's edges) and what it reads (an
 * item's time): a named format or a pattern (see `pattern.ts`) in an IANA zone.
 *
 * - `iso`: `2026-03-10T12:00:00.000Z`; `iso_seconds`: `2026-03-10T12:00:00Z`
 * - `epoch_ms`; `epoch_s` (alias `epoch_seconds`): numbers
 * - `rfc1123`: `Tue, 10 Mar 2026 12:00:00 GMT` (RFC 9110 IMF-fixdate)
 * - a pattern: `yyyy-MM-dd HH:mm` (Jira), `yyyy-MM-dd'T'HH:mm:ssXXX`, ...
 * - `auto` (reading only): ISO-8601, or epoch seconds or milliseconds told apart by size
 */

export const NAMED_FORMATS = [
  'iso',
  'iso_seconds',
  'epoch_ms',
  'epoch_s',
  'epoch_seconds',
  'rfc1123',
] as const;

export interface TimeFormat {
  readonly spec: string;
  /** The smallest unit the format writes: window edges are rounded outward to it. */
  readonly unitMs: number;
  write(ms: number): string | number;
  read(value: unknown): number | undefined;
}

/** What is wrong with a format spec, or `undefined` when it is one. */
export const timeFormatProblem = (spec: string, options: { reading?: boolean } = {}): string | undefined => {
  if ((NAMED_FORMATS as readonly string[]).includes(spec) || (options.reading && spec === 'auto'))
    return undefined;
  const problem = patternProblem(spec);
  return problem === undefined
    ? undefined
    : `must be ${options.reading ? '"auto", ' : ''}one of ${NAMED_FORMATS.map((name) => `"${name}"`).join(', ')} or a pattern such as "yyyy-MM-dd HH:mm"; "${spec}" ${problem}`;
};

/** What is wrong with a zone name, or `undefined` when it is an IANA zone. */
export const timeZoneProblem = (zone: string): string | undefined =>
  isTimeZone(zone)
    ? undefined
    : `must be an IANA time zone such as "Europe/Berlin" or "UTC"; "${zone}" is not one`;

// Numbers below this are epoch seconds, above it milliseconds (1e12 ms is September 2001).
const EPOCH_MS_THRESHOLD = 1e12;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const RFC1123 =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const numberOf = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
};

const readIso = (value: unknown): number | undefined => {
  if (typeof value !== 'string' || !ISO.test(value.trim())) return undefined;
  const text = value.trim();
  // A date-time without an offset would be read as local time; sources that omit it mean UTC.
  const withZone = /[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
};

/** `auto`: ISO-8601, or epoch seconds or milliseconds (as a number or a numeric string). */
export const readAuto = (value: unknown): number | undefined => {
  const number = numberOf(value);
  if (number !== undefined) return number < EPOCH_MS_THRESHOLD ? number * 1000 : number;
  return readIso(value);
};

const named = (spec: string): TimeFormat | undefined => {
  switch (spec) {
    case 'auto':
      return { spec, unitMs: 1, write: (ms) => new Date(ms).toISOString(), read: readAuto };
    case 'iso':
      return { spec, unitMs: 1, write: (ms) => new Date(ms).toISOString(), read: readIso };
    case 'iso_seconds':
      return {
        spec,
        unitMs: 1000,
        write: (ms) => `${new Date(ms).toISOString().slice(0, 19)}Z`,
        read: readIso,
      };
    case 'epoch_ms':
      return { spec, unitMs: 1, write: (ms) => ms, read: numberOf };
    case 'epoch_s':
    case 'epoch_seconds':
      return {
        spec,
        unitMs: 1000,
        write: (ms) => Math.floor(ms / 1000),
        read: (value) => {
          const seconds = numberOf(value);
          return seconds === undefined ? undefined : Math.round(seconds * 1000);
        },
      };
    case 'rfc1123':
      return {
        spec,
        unitMs: 1000,
        write: (ms) => new Date(ms).toUTCString(),
        read: (value) =>
          typeof value === 'string' && RFC1123.test(value.trim()) ? Date.parse(value) : undefined,
      };
    default:
      return undefined;
  }
};

const fromPattern = (spec: string, pattern: CompiledPattern, zone: string): TimeFormat => ({
  spec,
  unitMs: pattern.unitMs,
  write: (ms) => pattern.format(ms, zone),
  read: (value) => (typeof value === 'string' ? pattern.parse(value, zone) : undefined),
});

/** The format of `spec` in `zone` (patterns only; named formats are UTC). Check the spec first. */
export const timeFormat = (spec: string, zone = 'UTC'): TimeFormat => {
  const builtIn = named(spec);
  if (builtIn) return builtIn;
  return fromPattern(spec, compilePattern(spec), zone);
};

/**
 * Writes one edge of a window. A coarser format widens the window, never narrows it: the start is
 * rounded down and the end up to the format's unit (so `HH:mm` asks from the minute before), and an end
 * that would read back earlier (the repeated hour when clocks go back) is moved past it. The source
 * then returns at least `[start, end)`; the connector drops the extra items itself.
 */
export const formatEdge = (format: TimeFormat, ms: number, edge: 'start' | 'end'): string | number =>
  format.unitMs <= 1 ? format.write(ms) : writeRounded(format, ms, edge);

/** Rounds through the format itself: what it writes, read back, is the rounded instant. */
const writeRounded = (format: TimeFormat, ms: number, edge: 'start' | 'end'): string | number => {
  const written = format.write(ms);
  const back = format.read(written);
  if (back === undefined) return written;
  // Every format truncates, so the start reads back at or before itself.
  if (edge === 'start' || back >= ms) return written;
  // Up by one unit at a time; past the repeated hour at most an hour of units (or one jump).
  let next = ms + format.unitMs;
  for (let step = 0; step < 200; step++) {
    const text = format.write(next);
    const read = format.read(text);
    if (read !== undefined && read >= ms) return text;
    next += read === undefined ? format.unitMs : Math.max(format.unitMs, ms - read);
  }
  return format.write(next);
};
