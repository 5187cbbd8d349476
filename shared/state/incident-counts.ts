import type { IncidentCounts } from '../health.js';

/**
 * Incidents pushed per clock hour, as a map `{ "2026-03-10T12": 42 }` (UTC hours). The STATE item
 * counts the current hour in the same write that moves the cursor, so counting costs no request; a
 * finished hour moves to a COUNT item of its own (`hour-count-items.ts`), which expires after the
 * week. Older versions kept the whole week in the STATE item (`pushedByHour`); what is left of that
 * map is still counted, and its hours past the week are removed by later commits.
 */
export type PushedByHour = Readonly<Record<string, number>>;

const HOUR_MS = 3_600_000;
/** Hours kept: one week, the longest span health reports. */
export const COUNTED_HOURS = 168;

/** The map key of the hour `time` falls in: `YYYY-MM-DDTHH` (UTC). */
export const hourKey = (time: number): string => new Date(time).toISOString().slice(0, 13);

const hourStart = (key: string): number => Date.parse(`${key}:00:00.000Z`);

/** Keeps only well-formed entries: a hand-edited or foreign item must not break health. */
export const readPushedByHour = (value: unknown): PushedByHour | undefined => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const counts: Record<string, number> = {};
  for (const [key, count] of Object.entries(value)) {
    if (typeof count === 'number' && Number.isFinite(count) && !Number.isNaN(hourStart(key))) {
      counts[key] = count;
    }
  }
  return counts;
};

/** Hours that fall outside the counted week at `now`: the next commit removes them. */
export const staleHours = (pushedByHour: PushedByHour | undefined, now: number): string[] => {
  const oldestKept = hourStart(hourKey(now)) - (COUNTED_HOURS - 1) * HOUR_MS;
  return Object.keys(pushedByHour ?? {}).filter((key) => hourStart(key) < oldestKept);
};

/**
 * Incidents pushed in the last hour, day and week, at the granularity of whole clock hours: "last
 * hour" is the current hour so far, "last day" the current hour and the 23 before it, "last week" 168
 * hours. The counts lag a sliding window by less than one hour, never count an hour twice, and need no
 * per-incident storage.
 *
 * @example
 * computeHealth(document, state, now, { counts: incidentCounts(state?.pushedByHour, now) });
 */
export const incidentCounts = (pushedByHour: PushedByHour | undefined, now: number): IncidentCounts => {
  const current = hourStart(hourKey(now));
  const counts: IncidentCounts = { lastHour: 0, lastDay: 0, lastWeek: 0 };
  for (const [key, count] of Object.entries(pushedByHour ?? {})) {
    const hoursAgo = Math.round((current - hourStart(key)) / HOUR_MS);
    // A bucket ahead of `now` (clock skew between writers) belongs to the current hour.
    const age = Math.max(0, hoursAgo);
    if (age < 1) counts.lastHour += count;
    if (age < 24) counts.lastDay += count;
    if (age < COUNTED_HOURS) counts.lastWeek += count;
  }
  return counts;
};
