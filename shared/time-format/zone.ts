/**
 * Wall-clock time in an IANA time zone (`Europe/Berlin`, `America/New_York`), through `Intl` alone:
 * what a source means by "2026-03-10 12:00" when it speaks in its user's zone (Jira's JQL does).
 */

/** A wall-clock reading: calendar fields without a zone. Months are 1–12. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly ms: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatterOf = (zone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
};

/** True when `zone` is an IANA zone name this runtime knows (or "UTC"). */
export const isTimeZone = (zone: string): boolean => {
  try {
    formatterOf(zone);
    return true;
  } catch {
    return false;
  }
};

/** The wall-clock reading of instant `ms` in `zone`. */
export const wallTimeOf = (ms: number, zone: string): WallTime => {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
    ms: ((ms % 1000) + 1000) % 1000,
  };
};

/** A wall time read as if it were UTC (the arithmetic base of the conversions below). */
export const wallAsUtc = (wall: WallTime): number => {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.ms);
  return date.getTime();
};

/** The zone's offset from UTC at instant `ms`, in ms (east positive). */
export const zoneOffsetMs = (ms: number, zone: string): number => wallAsUtc(wallTimeOf(ms, zone)) - ms;

/**
 * The instant a wall time stands for in `zone`. In the repeated hour of a switch back to winter time
 * it is the earlier of the two instants; in the skipped hour of a switch to summer time, the instant
 * the clock shows after the gap (02:30 on a spring-forward night is read as 03:30).
 */
export const instantOf = (wall: WallTime, zone: string): number => {
  const base = wallAsUtc(wall);
  const before = zoneOffsetMs(base - 86_400_000, zone);
  const after = zoneOffsetMs(base + 86_400_000, zone);
  const candidates = [...new Set([base - before, base - after])]
    .filter((ms) => wallAsUtc(wallTimeOf(ms, zone)) === base)
    .sort((a, b) => a - b);
  return candidates[0] ?? base - before;
};
