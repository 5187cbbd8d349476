import * as crypto from 'node:crypto';

/**
 * The ids already pushed inside the look-back window, stored compactly: grouped in one-minute buckets
 * of their *event* time (not the wall clock, which expires them at the wrong moment), each id as a
 * 6-byte hash, each bucket one base64 string. 10,000 ids take about 80 KB.
 *
 * Membership is checked only in the event's own bucket, so a false match needs two ids of the same
 * minute to share 48 bits of SHA-256: about 1 in 10^12 per id at 10,000 ids an hour.
 */

const HASH_BYTES = 6;
export const BUCKET_MS = 60_000;

/** The serialized form kept in the last run: bucket start (epoch minutes) → base64 of hashes. */
export type SerializedSeenIds = Record<string, string>;

// One-shot `crypto.hash` (Node 20.12+) is several times cheaper than a `createHash` object per id; the
// digest is the same. A namespace import, so an older Node falls back instead of failing to link.
const sha256Base64: (key: string) => string =
  typeof crypto.hash === 'function'
    ? (key) => crypto.hash('sha256', key, 'base64')
    : (key) => crypto.createHash('sha256').update(key).digest('base64');

const hashOf = (key: string): string => sha256Base64(key).slice(0, 8);

const bucketOf = (eventTimeMs: number): number => Math.floor(eventTimeMs / BUCKET_MS);

export class SeenIds {
  /** bucket (epoch minutes) → hashes (base64 of 6 bytes, 8 characters each). */
  readonly #buckets = new Map<number, Set<string>>();
  // A fetch asks `has(key)` and then `add(key)` for every new id: hash it once.
  #lastKey: string | undefined;
  #lastHash = '';

  #hash(key: string): string {
    if (key !== this.#lastKey) {
      this.#lastHash = hashOf(key);
      this.#lastKey = key;
    }
    return this.#lastHash;
  }

  static parse(serialized: unknown): SeenIds {
    const seen = new SeenIds();
    if (!serialized || typeof serialized !== 'object') return seen;
    for (const [bucket, packed] of Object.entries(serialized as Record<string, unknown>)) {
      const minute = Number(bucket);
      if (!Number.isInteger(minute) || typeof packed !== 'string') continue;
      const hashes = new Set<string>();
      for (let offset = 0; offset + 8 <= packed.length; offset += 8)
        hashes.add(packed.slice(offset, offset + 8));
      seen.#buckets.set(minute, hashes);
    }
    return seen;
  }

  get size(): number {
    let total = 0;
    for (const hashes of this.#buckets.values()) total += hashes.size;
    return total;
  }

  has(key: string, eventTimeMs: number): boolean {
    return this.#buckets.get(bucketOf(eventTimeMs))?.has(this.#hash(key)) ?? false;
  }

  add(key: string, eventTimeMs: number): void {
    const bucket = bucketOf(eventTimeMs);
    let hashes = this.#buckets.get(bucket);
    if (!hashes) {
      hashes = new Set();
      this.#buckets.set(bucket, hashes);
    }
    hashes.add(this.#hash(key));
  }

  /** Ids whose minute ends after `timeMs`: the ones a query starting at `timeMs` may return again. */
  countFrom(timeMs: number): number {
    let total = 0;
    for (const [bucket, hashes] of this.#buckets) if ((bucket + 1) * BUCKET_MS > timeMs) total += hashes.size;
    return total;
  }

  /** Forgets buckets that end at or before `timeMs`: no later query reaches back that far. */
  pruneBefore(timeMs: number): void {
    for (const bucket of [...this.#buckets.keys()])
      if ((bucket + 1) * BUCKET_MS <= timeMs) this.#buckets.delete(bucket);
  }

  /** Drops the oldest buckets until at most `max` ids remain; returns how many ids were dropped. */
  capTo(max: number): number {
    let dropped = 0;
    let size = this.size;
    for (const bucket of [...this.#buckets.keys()].sort((a, b) => a - b)) {
      if (size <= max) break;
      const count = this.#buckets.get(bucket)!.size;
      this.#buckets.delete(bucket);
      size -= count;
      dropped += count;
    }
    return dropped;
  }

  serialize(): SerializedSeenIds {
    const out: SerializedSeenIds = {};
    for (const [bucket, hashes] of [...this.#buckets].sort(([a], [b]) => a - b)) {
      if (hashes.size > 0) out[String(bucket)] = [...hashes].join('');
    }
    return out;
  }
}

export const SEEN_HASH_BYTES = HASH_BYTES;
