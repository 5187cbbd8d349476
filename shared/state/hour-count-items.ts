import type { PushedByHour } from './incident-counts.js';

/**
 * Hour counts out of the STATE item: the STATE item counts the pushes of the current UTC hour only
 * (`pushedHour`, `pushedInHour`); the first commit of a later hour that pushes moves the finished hour
 * into a `COUNT#<hour>` item of its own, in the same transaction. A week of counts thus costs the
 * STATE item ~40 bytes instead of ~3 KB, which every acquire and commit would write again; the
 * items expire by TTL once health no longer counts them.
 */

/** A finished hour's item outlives the counted week by a day (it is written after its hour ended). */
export const COUNT_RETENTION_SECONDS = 8 * 86_400;

/**
 * The COUNT item of a finished hour. It expires by the storage's clock (`writtenAt`, epoch ms), not
 * by the hour: TTL compares with the real time, and the hour may come from a replay's or a test's clock.
 */
export const hourCountItem = (
  key: { pk: string; sk: string },
  count: { hour: string; count: number; writtenAt: number },
  ttlAttribute: string,
): Record<string, unknown> => ({
  ...key,
  hour: count.hour,
  count: count.count,
  [ttlAttribute]: Math.floor(count.writtenAt / 1000) + COUNT_RETENTION_SECONDS,
});

/** One COUNT item read back; a malformed one is ignored (health must not break on it). */
export const readHourCountItem = (item: Record<string, unknown>): [string, number] | undefined =>
  typeof item.hour === 'string' &&
  typeof item.count === 'number' &&
  !Number.isNaN(Date.parse(`${item.hour}:00:00.000Z`))
    ? [item.hour, item.count]
    : undefined;

/** Adds hour counts from several places (the old in-item map, COUNT items, the current hour). */
export const mergeHourCounts = (...sources: Iterable<[string, number]>[]): PushedByHour => {
  const merged: Record<string, number> = {};
  for (const source of sources)
    for (const [hour, count] of source) merged[hour] = (merged[hour] ?? 0) + count;
  return merged;
};
