import type { LastRun } from '../connector.js';
import { failureOf, isLeaseHeldError, isStateCorruptError, type StateCorruptError } from '../errors.js';
import { RunStatus } from '../state/history-record.js';
import { staleHours } from '../state/incident-counts.js';
import { LEASE_GRACE_MS } from './drain-pages.js';
import type { Run } from './run.js';
import type { RunEnding } from './run-record.js';

/** The last run to fetch from, held under this run's lease (a debug run holds none). */
export interface Leased {
  readonly kind: 'leased';
  readonly lastRun: LastRun;
  readonly version: number;
  /** Hour counts past the week, for the first commit to remove (no extra request: see incident-counts.ts). */
  readonly forgetHours: string[];
}

/** The run ends before fetching: another run holds the lease, or the state item is unreadable. */
export interface EndedAtLease {
  readonly kind: 'ended';
  readonly ending: RunEnding;
}

/** A debug run reads the last run without the lease: it commits nothing, so it cannot race. */
const readOnly = async (run: Run): Promise<Leased> => {
  const current = await run.deps.store.read(run.instanceId);
  return { kind: 'leased', lastRun: current?.lastRun ?? {}, version: current?.version ?? 0, forgetHours: [] };
};

/** The acquire took the lease before the item proved unreadable: record why and give it back. */
const corruptState = async (run: Run, error: StateCorruptError): Promise<EndedAtLease> => {
  const failure = failureOf(error);
  run.logger.error('The state item is corrupted; fetch not run', { error: failure });
  await run.deps.store
    .release(run.instanceId, { leaseId: run.runId, now: run.clock(), failure })
    .catch((releaseError: unknown) =>
      run.logger.error('Could not release the lease', { error: releaseError }),
    );
  return { kind: 'ended', ending: { status: RunStatus.error, error: failure } };
};

/**
 * Step 1: one conditional update takes the instance's lease (until the deadline and a grace) and
 * reads its last run. Another run's lease skips this one; an unreachable store throws (nothing could
 * be recorded).
 */
export const takeLease = async (run: Run): Promise<Leased | EndedAtLease> => {
  if (run.debug) return readOnly(run);
  try {
    const acquired = await run.deps.store.acquire(run.instanceId, {
      leaseId: run.runId,
      now: run.startedAt,
      expiresAt: run.input.deadline + LEASE_GRACE_MS,
    });
    const forgetHours = staleHours(acquired.pushedByHour, run.startedAt);
    return { kind: 'leased', lastRun: acquired.lastRun, version: acquired.version, forgetHours };
  } catch (error) {
    if (isStateCorruptError(error)) return corruptState(run, error);
    if (!isLeaseHeldError(error)) throw error;
    run.logger.warn('Lease held by another run; skipped', { heldUntil: error.heldUntil });
    return { kind: 'ended', ending: { status: RunStatus.skipped, message: error.message } };
  }
};
