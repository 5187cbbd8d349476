import { ConfigError } from '../../shared/errors.js';
import { type DemoAlert, formatAlertId, generateAlert } from './alert-generator.js';

/** Options of {@link createAlertStore}. */
export interface AlertStoreOptions {
  /**
   * What ids start with. A source restarted with a fresh store must not reuse the ids of the last
   * run, or the alerts would look like duplicates downstream: give each run its own prefix.
   * @default 'A'
   */
  readonly idPrefix?: string;
  /**
   * Seed of the generated alert content.
   * @default 1
   */
  readonly seed?: number;
}

/** A range query; times are epoch milliseconds. */
export interface AlertQuery {
  /** Inclusive lower bound on `created`. */
  readonly since: number;
  /** Exclusive upper bound on `created`. */
  readonly until: number;
  readonly limit: number;
  /**
   * Only alerts visible (indexed) at this time are returned.
   * @default Infinity (every alert)
   */
  readonly visibleAt?: number;
}

/** What a bulk insert added: its count and the ids of its first and last alert (by sequence). */
export interface InsertedAlerts {
  readonly count: number;
  /** Sequence number (the number in the id) of the first alert added; the rest follow it. */
  readonly firstSeq: number;
  readonly firstId: string | undefined;
  readonly lastId: string | undefined;
}

/** In-memory alerts, sorted by `created` then `id`. See {@link createAlertStore}. */
export interface AlertStore {
  /** Number of alerts held. */
  readonly size: number;
  /**
   * Adds generated alerts created at the given times (epoch ms, any order; fractions are dropped).
   * Ids are assigned in created order. Each alert becomes visible `indexingDelayMs` after its
   * created time. O(n + count) when inserting into the middle, O(count) when appending.
   */
  insert(created: ArrayLike<number>, options?: { indexingDelayMs?: number }): InsertedAlerts;
  /**
   * Adds one alert; `fields` override the generated ones (an `id` here replaces the generated id).
   * `visibleAt` (epoch ms) defaults to `created`.
   */
  insertOne(created: number, fields?: Partial<DemoAlert>, options?: { visibleAt?: number }): DemoAlert;
  /** Alerts with `since <= created < until`, visible at `visibleAt`, in order, at most `limit`. */
  query(query: AlertQuery): DemoAlert[];
  /** Removes every alert; ids keep increasing. */
  clear(): void;
}

/** Per-alert columns. Typed arrays keep 1M alerts at ~20 MB instead of ~1M objects. */
interface Columns {
  created: Float64Array;
  visibleAt: Float64Array;
  seq: Uint32Array;
  length: number;
}

function allocate(capacity: number): Columns {
  return {
    created: new Float64Array(capacity),
    visibleAt: new Float64Array(capacity),
    seq: new Uint32Array(capacity),
    length: 0,
  };
}

/**
 * Creates an in-memory alert store. Only created time, visibility time and sequence number are kept
 * per alert; content is regenerated from the seed on read, and fields given to `insertOne` are kept
 * aside. Range queries are a binary search plus a scan: O(log n + limit).
 *
 * @example
 * const store = createAlertStore({ seed: 7 });
 * store.insert([Date.parse('2024-01-01T00:00:00Z')]);
 * store.query({ since: 0, until: Date.now(), limit: 10 }); // [{ id: 'A-000001', ... }]
 */
export function createAlertStore(options: AlertStoreOptions = {}): AlertStore {
  const seed = options.seed ?? 1;
  const prefix = options.idPrefix ?? 'A';
  const format = (seq: number) => formatAlertId(seq, prefix);
  const overrides = new Map<number, Partial<DemoAlert>>();
  let cols = allocate(1024);
  let nextSeq = 1;

  const idOf = (seq: number): string => overrides.get(seq)?.id ?? format(seq);
  // Order: created, then id as a string; ids are only formatted on a tie, which is rare.
  const compare = (createdA: number, seqA: number, createdB: number, seqB: number): number => {
    if (createdA !== createdB) return createdA - createdB;
    const a = idOf(seqA);
    const b = idOf(seqB);
    return a < b ? -1 : a > b ? 1 : 0;
  };

  const ensureCapacity = (needed: number): void => {
    if (needed <= cols.created.length) return;
    const next = allocate(Math.max(needed, cols.created.length * 2));
    next.created.set(cols.created.subarray(0, cols.length));
    next.visibleAt.set(cols.visibleAt.subarray(0, cols.length));
    next.seq.set(cols.seq.subarray(0, cols.length));
    next.length = cols.length;
    cols = next;
  };

  /** First index whose created time is >= `created`. */
  const lowerBound = (created: number): number => {
    let lo = 0;
    let hi = cols.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cols.created[mid]! < created) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const materialize = (index: number): DemoAlert => {
    const seq = cols.seq[index]!;
    const alert = generateAlert(seed, seq, cols.created[index]!, prefix);
    const fields = overrides.get(seq);
    return fields ? { ...alert, ...fields, created: alert.created } : alert;
  };

  const insert: AlertStore['insert'] = (createdTimes, insertOptions = {}) => {
    const count = createdTimes.length;
    if (count === 0) return { count: 0, firstSeq: nextSeq, firstId: undefined, lastId: undefined };
    const delay = insertOptions.indexingDelayMs ?? 0;
    // Plain loops: TypedArray.from with a map function is ~10x slower on a 1M backlog.
    const created = new Float64Array(count);
    let sorted = true;
    for (let k = 0; k < count; k++) {
      const t = Math.floor(createdTimes[k]!);
      if (!Number.isFinite(t)) throw new ConfigError(`created times must be finite, got ${createdTimes[k]}`);
      created[k] = t;
      if (k > 0 && t < created[k - 1]!) sorted = false;
    }
    if (!sorted) created.sort();
    const firstSeq = nextSeq;
    const seqs = new Uint32Array(count);
    for (let k = 0; k < count; k++) seqs[k] = firstSeq + k;
    nextSeq += count;
    sortTiesById(created, seqs);

    const old = cols;
    const appendOnly =
      old.length === 0 ||
      compare(old.created[old.length - 1]!, old.seq[old.length - 1]!, created[0]!, seqs[0]!) < 0;
    if (appendOnly) ensureCapacity(old.length + count);
    // Some headroom, so the next few single inserts do not reallocate the whole store.
    else cols = allocate(Math.max(old.length + count + ((old.length + count) >>> 3), old.created.length));
    // Merge from the back, so the append-only case copies nothing of the old alerts.
    let i = old.length - 1;
    let j = count - 1;
    for (let k = old.length + count - 1; j >= 0; k--) {
      if (i >= 0 && compare(old.created[i]!, old.seq[i]!, created[j]!, seqs[j]!) > 0) {
        cols.created[k] = old.created[i]!;
        cols.visibleAt[k] = old.visibleAt[i]!;
        cols.seq[k] = old.seq[i]!;
        i--;
      } else {
        cols.created[k] = created[j]!;
        cols.visibleAt[k] = created[j]! + delay;
        cols.seq[k] = seqs[j]!;
        j--;
      }
    }
    if (!appendOnly) {
      cols.created.set(old.created.subarray(0, i + 1));
      cols.visibleAt.set(old.visibleAt.subarray(0, i + 1));
      cols.seq.set(old.seq.subarray(0, i + 1));
    }
    cols.length = old.length + count;
    return { count, firstSeq, firstId: format(firstSeq), lastId: format(nextSeq - 1) };
  };

  const insertOne: AlertStore['insertOne'] = (createdTime, fields = {}, oneOptions = {}) => {
    const created = Math.floor(createdTime);
    if (!Number.isFinite(created)) throw new ConfigError('created time must be finite');
    const seq = nextSeq++;
    // `created` lives in the columns; an undefined field must not blank out a generated one.
    const given = Object.entries(fields).filter(([key, value]) => key !== 'created' && value !== undefined);
    if (given.length > 0) overrides.set(seq, Object.fromEntries(given));
    // Upper bound of (created, id) among alerts with created >= this one.
    let lo = lowerBound(created);
    let hi = cols.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(cols.created[mid]!, cols.seq[mid]!, created, seq) <= 0) lo = mid + 1;
      else hi = mid;
    }
    ensureCapacity(cols.length + 1);
    cols.created.copyWithin(lo + 1, lo, cols.length);
    cols.visibleAt.copyWithin(lo + 1, lo, cols.length);
    cols.seq.copyWithin(lo + 1, lo, cols.length);
    cols.created[lo] = created;
    cols.visibleAt[lo] = oneOptions.visibleAt ?? created;
    cols.seq[lo] = seq;
    cols.length++;
    return materialize(lo);
  };

  const query: AlertStore['query'] = ({ since, until, limit, visibleAt = Number.POSITIVE_INFINITY }) => {
    const alerts: DemoAlert[] = [];
    // Hidden (not yet indexed) alerts are skipped; they are only the most recent ones, so few.
    for (let i = lowerBound(since); i < cols.length && alerts.length < limit; i++) {
      if (cols.created[i]! >= until) break;
      if (cols.visibleAt[i]! <= visibleAt) alerts.push(materialize(i));
    }
    return alerts;
  };

  return {
    get size() {
      return cols.length;
    },
    insert,
    insertOne,
    query,
    clear() {
      cols = allocate(1024);
      overrides.clear();
    },
  };
}

/**
 * Sequence numbers follow created order, which is also id order except where a run of equal
 * created times spans a change of id width (`A-999999` sorts after `A-1000000` as a string).
 * Only such runs are re-sorted.
 */
function sortTiesById(created: Float64Array, seqs: Uint32Array): void {
  let start = 0;
  for (let end = 1; end <= created.length; end++) {
    if (end < created.length && created[end] === created[start]) continue;
    const run = seqs.subarray(start, end);
    if (end - start > 1 && formatAlertId(run[0]!).length !== formatAlertId(run[run.length - 1]!).length) {
      // The prefix is the same for every id, so the default one orders them alike.
      const ids = Array.from(run, (seq) => formatAlertId(seq));
      const order = Array.from(run.keys()).sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
      run.set(order.map((k) => run[k]!));
    }
    start = end;
  }
}
