import { errorMessage } from '../errors.js';
import { type Delivery, type DeliveryLedger, MAX_WRITE_ITEMS } from '../state/delivery-ledger.js';

/** How far past the push deadline a ledger write may run. */
export const GRACE_AFTER_DEADLINE_MS = 1_500;

/** How long ledger entries live: covers a week-long outage during which the same window is retried. */
export const DEFAULT_LEDGER_TTL_SECONDS = 7 * 86_400;

export interface LedgerSessionOptions {
  readonly ledger: DeliveryLedger;
  readonly instanceId: string;
  /** The target's scope (`ledgerScope(...)`). */
  readonly scope: string;
  readonly runId: string;
  /** How long entries are kept. */
  readonly ttlSeconds: number;
  /**
   * Each ledger write gets its own timeout rather than the push's signal: what was delivered must
   * still be recorded after the deadline aborted the push. @default 5_000
   */
  readonly writeTimeoutMs?: number;
  /**
   * The push's deadline (epoch ms). Writes may run at most {@link GRACE_AFTER_DEADLINE_MS} past it: the
   * runner keeps 2 s after the deadline for the commit or the failure record.
   */
  readonly deadline?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** One push's view of the ledger: what was delivered before, and a recorder for what is delivered now. */
export interface LedgerSession {
  /** Deliveries recorded by earlier pushes (a retried fetch), by incident key. */
  readonly delivered: ReadonlyMap<string, Delivery>;
  /** Records a delivery without waiting: writes go out in the background, grouped. */
  record(delivery: Delivery): void;
  /**
   * Records `keys` as in doubt and waits for it (BatchWriteItem, 25 a request): called before their
   * creates are sent, so that a process killed between a create and its "done" record leaves an entry
   * the next push resolves instead of a silent gap. Throws when the ledger cannot be written.
   */
  markInDoubt(keys: readonly string[]): Promise<void>;
  /** Waits for every write; never throws. */
  close(): Promise<LedgerWriteOutcome>;
}

export interface LedgerWriteOutcome {
  /** DynamoDB requests the writes took. */
  readonly writes: number;
  /** Deliveries that could not be recorded. */
  readonly failed: number;
  readonly error?: unknown;
}

/**
 * Opens a ledger session for one push: a consistent BatchGetItem lookup of the batch's keys, then a
 * group-commit recorder. A delivery is written as soon as it is accepted when no write is in flight;
 * deliveries accepted meanwhile go together in the next BatchWriteItem (up to 25). So the window in
 * which a hard crash can lose a record is one DynamoDB round trip, and the request count falls as the
 * rate rises (billing is per item either way).
 */
export const openLedgerSession = async (
  options: LedgerSessionOptions,
  keys: readonly string[],
  signal?: AbortSignal,
): Promise<LedgerSession> => {
  const clock = options.clock ?? Date.now;
  const delivered = await options.ledger.lookup(options.instanceId, options.scope, keys, { signal });
  const writeTimeout = () => {
    const cap = options.writeTimeoutMs ?? 5_000;
    if (options.deadline === undefined) return cap;
    return Math.max(100, Math.min(cap, options.deadline + GRACE_AFTER_DEADLINE_MS - clock()));
  };
  const pending: Delivery[] = [];
  let inFlight: Promise<void> | undefined;
  let writes = 0;
  let failed = 0;
  let firstError: unknown;

  const pump = () => {
    if (inFlight !== undefined || pending.length === 0) return;
    const group = pending.splice(0, MAX_WRITE_ITEMS);
    writes++;
    inFlight = options.ledger
      .record(options.instanceId, options.scope, group, {
        runId: options.runId,
        now: clock(),
        expiresAt: Math.floor(clock() / 1000) + options.ttlSeconds,
        signal: AbortSignal.timeout(writeTimeout()),
      })
      .catch((error: unknown) => {
        failed += group.length;
        firstError ??= error;
      })
      .finally(() => {
        inFlight = undefined;
        pump();
      });
  };

  return {
    delivered,
    record(delivery) {
      pending.push(delivery);
      pump();
    },
    async markInDoubt(keys) {
      if (keys.length === 0) return;
      writes += Math.ceil(keys.length / MAX_WRITE_ITEMS);
      await options.ledger.record(
        options.instanceId,
        options.scope,
        keys.map((key) => ({ key, inDoubt: true })),
        {
          runId: options.runId,
          now: clock(),
          expiresAt: Math.floor(clock() / 1000) + options.ttlSeconds,
          signal: AbortSignal.timeout(writeTimeout()),
        },
      );
    },
    async close() {
      while (inFlight !== undefined) await inFlight;
      return firstError === undefined ? { writes, failed } : { writes, failed, error: firstError };
    },
  };
};

/** The history's sentence when the ledger could not record some deliveries. */
export const ledgerFailureNotice = (outcome: LedgerWriteOutcome): string | undefined =>
  outcome.failed === 0
    ? undefined
    : `The delivery ledger could not record ${outcome.failed} delivered incident${outcome.failed === 1 ? '' : 's'} ` +
      `(${errorMessage(outcome.error)}); they are delivered, but would be created again if this fetch is not committed.`;
