import { createHash } from 'node:crypto';

/**
 * The firing episodes an Alertmanager instance has already fetched, stored compactly in the last run.
 *
 * Alertmanager lists what fires *now*, not a history, so the cursor is "what was fetched and is still
 * around". An episode is one firing of one alert: its `fingerprint` (a hash of the labels) plus its
 * `startsAt` — a re-fire after resolution gets a new `startsAt`, hence a new episode. Each episode is
 * kept as a 6-byte hash (8 base64 characters) with the minute it was last listed, grouped by that
 * minute: `{ "<epoch minute>": "<hash><hash>..." }`. 10,000 episodes take about 80 KB.
 *
 * An episode no longer listed is forgotten `forgetAfterMs` after it was last seen, not at once: an
 * Alertmanager restart (it keeps alerts in memory) or a flapping HA peer can list nothing for a moment,
 * and Prometheus re-sends the same `startsAt` when it comes back. A false match (two episodes sharing a
 * 48-bit hash) needs about 10^14 episodes per remembered one.
 */

const MINUTE_MS = 60_000;
const HASH_CHARS = 8;

/** The serialized form: epoch minute last seen → concatenated 8-character hashes. */
export type SerializedEpisodes = Record<string, string>;

/** The key of one firing episode, also the incident's `dbotMirrorId`: `<fingerprint>:<startsAt ISO>`. */
export const episodeKey = (fingerprint: string, startsAtMs: number): string =>
  `${fingerprint}:${new Date(startsAtMs).toISOString()}`;

const hashOf = (key: string): string =>
  createHash('sha256').update(key).digest('base64').slice(0, HASH_CHARS);

export class EpisodeSet {
  /** hash → epoch minute it was last listed. */
  readonly #lastSeen = new Map<string, number>();

  /** Reads the last run's form; anything unreadable is skipped (a reset cursor re-fetches, never loses). */
  static parse(serialized: unknown): EpisodeSet {
    const set = new EpisodeSet();
    if (!serialized || typeof serialized !== 'object' || Array.isArray(serialized)) return set;
    for (const [minute, packed] of Object.entries(serialized as Record<string, unknown>)) {
      const at = Number(minute);
      if (!Number.isInteger(at) || typeof packed !== 'string') continue;
      for (let offset = 0; offset + HASH_CHARS <= packed.length; offset += HASH_CHARS) {
        const hash = packed.slice(offset, offset + HASH_CHARS);
        set.#lastSeen.set(hash, Math.max(at, set.#lastSeen.get(hash) ?? at));
      }
    }
    return set;
  }

  get size(): number {
    return this.#lastSeen.size;
  }

  has(key: string): boolean {
    return this.#lastSeen.has(hashOf(key));
  }

  /** Records `key` as listed at `nowMs`. */
  see(key: string, nowMs: number): void {
    this.#lastSeen.set(hashOf(key), Math.floor(nowMs / MINUTE_MS));
  }

  /**
   * Keeps the episodes of `previous` that are not in this set and were listed at or after `cutoffMs`
   * (to the minute), the most recently seen first, until this set holds `limit`. Returns how many
   * of them did not make it (forgotten).
   */
  carryOver(previous: EpisodeSet, cutoffMs: number, limit: number): number {
    const candidates = [...previous.#lastSeen]
      .filter(([hash]) => !this.#lastSeen.has(hash))
      .sort(([, a], [, b]) => b - a);
    let forgotten = 0;
    for (const [hash, minute] of candidates) {
      if ((minute + 1) * MINUTE_MS > cutoffMs && this.#lastSeen.size < limit)
        this.#lastSeen.set(hash, minute);
      else forgotten++;
    }
    return forgotten;
  }

  serialize(): SerializedEpisodes {
    const byMinute = new Map<number, string[]>();
    for (const [hash, minute] of this.#lastSeen) {
      const hashes = byMinute.get(minute) ?? [];
      hashes.push(hash);
      byMinute.set(minute, hashes);
    }
    const out: SerializedEpisodes = {};
    for (const [minute, hashes] of [...byMinute].sort(([a], [b]) => a - b))
      out[String(minute)] = hashes.sort().join('');
    return out;
  }
}
