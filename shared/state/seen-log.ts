import { randomBytes } from 'node:crypto';
import { StateCorruptError } from '../errors.js';

/**
 * The seen ids of a look-back window (`lastRun.seen`, see `shared/lookback/seen-ids.ts`: event minute →
 * packed hashes) kept out of the STATE item once they outgrow it, as a log of SEEN items:
 *
 * - each commit that adds ids writes one SEEN item holding only the hashes it added, per minute (a
 *   *delta*), in the same transaction that moves the cursor: the seen ids and the cursor commit
 *   together or not at all;
 * - a commit whose seen ids are not the previous ones plus additions (an operator's write, a bucket
 *   that shrank) writes a *base*: the whole map, which the log restarts from;
 * - the STATE item names the log (`id`), the first live item (`from`, a version) and the oldest minute
 *   still held (`floor`); a reader queries the items `from`…`version` and replays them, dropping the
 *   minutes below `floor`. Items past the window stay behind the range and expire by TTL.
 *
 * At 10,000 ids an hour a one-minute fetch adds ~167 ids (1.3 KB): its commit writes that much, where
 * rewriting the whole map would write ~80 KB. Small maps stay inline in the STATE item, where they cost
 * nothing extra.
 */

export type SeenMap = Record<string, string>;

/** Seen maps up to this size stay in the STATE item (which stays under 1 KB with them). */
export const INLINE_SEEN_BYTES = 400;
/** SEEN items expire this long after they were written: far past the longest look-back (one day). */
export const SEEN_RETENTION_SECONDS = 8 * 86_400;

/** Where the log of an instance stands, as the STATE item records it. */
export interface SeenLogPointer {
  readonly id: string;
  /** The version of the first item a reader needs. */
  readonly from: number;
  /** The oldest minute held (epoch minutes); older minutes in the items are no longer held. */
  readonly floor: number;
}

/** One SEEN item as the store reads and writes it. */
export interface SeenLogItem {
  readonly version: number;
  readonly base: boolean;
  readonly buckets: SeenMap;
}

/** The committed seen ids and the items they were read from: what a commit plans against. */
export interface SeenSnapshot {
  readonly pointer?: SeenLogPointer;
  readonly items: readonly SeenLogItem[];
  /** The seen map as committed (inline or replayed from the log); undefined when there is none. */
  readonly seen?: SeenMap;
}

/** What a commit does with the seen ids. */
export interface SeenPlan {
  /** The last run as the STATE item stores it: without `seen` when the log holds it. */
  readonly inlineLastRun: Record<string, unknown>;
  /** The pointer to store; undefined: the seen ids are inline (or absent), remove the pointer. */
  readonly pointer?: SeenLogPointer;
  /** The item to write with the commit, if any. */
  readonly item?: SeenLogItem;
  /** The snapshot after the commit, for the next commit under the same lease. */
  readonly next: SeenSnapshot;
}

const MINUTE_KEY = /^\d{1,15}$/;
const VERSION_DIGITS = 12;

/** A seen map this log can hold: minute keys, packed-hash strings. Anything else stays inline. */
export const isSeenMap = (value: unknown): value is SeenMap =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.entries(value).every(([key, packed]) => MINUTE_KEY.test(key) && typeof packed === 'string');

const sizeOf = (seen: SeenMap): number =>
  Object.entries(seen).reduce((sum, [key, packed]) => sum + key.length + packed.length + 1, 0);

const minutesOf = (seen: SeenMap): number[] => Object.keys(seen).map(Number);

/** The sort key of a SEEN item: versions zero-padded, so that a range of versions is a range of keys. */
export const seenSortKey = (prefix: string, logId: string, version: number): string =>
  `${prefix}${logId}#${String(version).padStart(VERSION_DIGITS, '0')}`;

export const newSeenLogId = (): string => randomBytes(6).toString('base64url');

/** The seen map the log holds: the items replayed in version order, minutes below `floor` dropped. */
export const replaySeenLog = (pointer: SeenLogPointer, items: readonly SeenLogItem[]): SeenMap => {
  let seen: SeenMap = {};
  for (const item of [...items].sort((a, b) => a.version - b.version)) {
    if (item.base) seen = {};
    for (const [minute, packed] of Object.entries(item.buckets)) seen[minute] = (seen[minute] ?? '') + packed;
  }
  for (const minute of Object.keys(seen)) if (Number(minute) < pointer.floor) delete seen[minute];
  return seen;
};

/**
 * The hashes `next` adds to `previous`, per minute, or undefined when `next` is not `previous` plus
 * additions: a minute at or above `next`'s oldest that lost hashes or disappeared, or a minute older
 * than every minute `previous` held (the log may still hold older hashes of it).
 */
const additionsOf = (previous: SeenMap, next: SeenMap): SeenMap | undefined => {
  const previousMinutes = minutesOf(previous);
  const nextMinutes = minutesOf(next);
  const nextFloor = Math.min(...nextMinutes);
  const previousFloor = previousMinutes.length > 0 ? Math.min(...previousMinutes) : Number.POSITIVE_INFINITY;
  for (const minute of previousMinutes)
    if (minute >= nextFloor && !(String(minute) in next)) return undefined;
  const added: SeenMap = {};
  for (const [minute, packed] of Object.entries(next)) {
    const before = previous[minute];
    if (before === undefined) {
      if (Number(minute) < previousFloor) return undefined;
      added[minute] = packed;
    } else if (!packed.startsWith(before)) {
      return undefined;
    } else if (packed.length > before.length) {
      added[minute] = packed.slice(before.length);
    }
  }
  return added;
};

/** The largest minute an item holds. */
const newestMinute = (item: SeenLogItem): number => Math.max(...minutesOf(item.buckets));

/**
 * Plans the commit to `nextVersion` of `lastRun` against the committed `snapshot`: whether the seen
 * ids stay inline, and otherwise which SEEN item to write and where the log starts now.
 */
export const planSeen = (
  snapshot: SeenSnapshot,
  lastRun: Record<string, unknown>,
  nextVersion: number,
): SeenPlan => {
  const { seen, ...rest } = lastRun;
  if (!isSeenMap(seen) || Object.keys(seen).length === 0 || sizeOf(seen) <= INLINE_SEEN_BYTES) {
    return { inlineLastRun: lastRun, next: { items: [], seen: isSeenMap(seen) ? seen : undefined } };
  }
  const floor = Math.min(...minutesOf(seen));
  const logged = snapshot.pointer !== undefined && snapshot.seen !== undefined;
  const additions = logged ? additionsOf(snapshot.seen!, seen) : undefined;
  const id = snapshot.pointer?.id ?? newSeenLogId();
  let item: SeenLogItem | undefined;
  let items: SeenLogItem[];
  if (additions === undefined) {
    item = { version: nextVersion, base: true, buckets: seen };
    items = [item];
  } else {
    item =
      Object.keys(additions).length > 0
        ? { version: nextVersion, base: false, buckets: additions }
        : undefined;
    items = item ? [...snapshot.items, item] : [...snapshot.items];
  }
  // The log starts at its last base; items before the first one holding a minute still held are past.
  const lastBase = items.findLastIndex((candidate) => candidate.base);
  const live = items.slice(Math.max(0, lastBase));
  const first = live.findIndex((candidate) => newestMinute(candidate) >= floor);
  const kept = live.slice(Math.max(0, first));
  const pointer: SeenLogPointer = { id, from: kept[0]?.version ?? nextVersion, floor };
  return { inlineLastRun: rest, pointer, item, next: { pointer, items: kept, seen } };
};

/** Reads the pointer of a STATE item; a malformed one means the item was not written by Ferry. */
export const readSeenLogPointer = (instanceId: string, value: unknown): SeenLogPointer | undefined => {
  if (value === undefined) return undefined;
  const pointer = value as Partial<SeenLogPointer> | null;
  if (
    typeof pointer !== 'object' ||
    pointer === null ||
    typeof pointer.id !== 'string' ||
    !Number.isInteger(pointer.from) ||
    !Number.isInteger(pointer.floor)
  ) {
    throw new StateCorruptError(
      `The state item of instance "${instanceId}" has a malformed seen-id log pointer (found ${JSON.stringify(value)}); ` +
        `reset the look-back's memory with "ferry last-run ${instanceId} --set '<json>'".`,
    );
  }
  return pointer as SeenLogPointer;
};

/** Reads one SEEN item back; one that is not a map of minutes is refused. */
export const readSeenLogItem = (instanceId: string, item: Record<string, unknown>): SeenLogItem => {
  if (!Number.isInteger(item.version) || !isSeenMap(item.buckets)) {
    throw new StateCorruptError(
      `A seen-id item of instance "${instanceId}" (${String(item.sk)}) is malformed; ` +
        `reset the look-back's memory with "ferry last-run ${instanceId} --set '<json>'".`,
    );
  }
  return { version: item.version as number, base: item.base === true, buckets: item.buckets };
};
