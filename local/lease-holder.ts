/**
 * Leases taken on this machine say which process took them, so that a restart can take over at once
 * the leases its own crashed predecessor left (instead of idling until they expire, about a minute).
 *
 * A local run id is `local-<pid>-<start>-<boot>-<host>-<uuid>`: the process id, its start time (clock
 * ticks since boot, from /proc: a reused pid has another), a hash of the boot id (a reboot kills every
 * process) and of the host name (a lease from another machine is never judged from here). A lease is
 * released early only when its holder is provably dead: same host, and another boot or no process with
 * that pid and start time. Run ids in AWS are plain UUIDs: nothing here applies to them, and their
 * leases still only expire.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { ErrorCodes } from '../shared/errors.js';
import { emptyHistoryRecord, RunStatus } from '../shared/state/history-record.js';
import type { StateStore } from '../shared/state/state-store.js';

const LOCAL_RUN_ID = /^local-(\d+)-(\d+)-([0-9a-f]{8})-([0-9a-f]{8})-/;

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** This boot of the machine: Linux's boot id, elsewhere the boot time to the minute. */
const bootHash = (): string =>
  shortHash(
    read('/proc/sys/kernel/random/boot_id')?.trim() ??
      String(Math.round((Date.now() - uptime() * 1000) / 60_000)),
  );

/**
 * A process's start time in clock ticks since boot (/proc/<pid>/stat, field 22), `undefined` when no
 * such process exists, `0` where /proc is not available (then only the pid is checked).
 */
export const processStartTicks = (pid: number): number | undefined => {
  if (read('/proc/self/stat') === undefined) return isRunning(pid) ? 0 : undefined;
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[19]);
};

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The run id prefix of process `pid` (this one by default). */
export const localHolderPrefix = (pid = process.pid): string =>
  `local-${pid}-${processStartTicks(pid) ?? 0}-${bootHash()}-${shortHash(hostname())}-`;

/** A fresh run id carrying this process's identity. */
export const localRunId = (): string => `${localHolderPrefix()}${randomUUID()}`;

/**
 * True only when `leaseId` was taken on this machine by a process that no longer runs: released early
 * without risk. False for AWS run ids, other machines' and live processes' leases.
 */
export const isDeadLocalHolder = (leaseId: string): boolean => {
  const match = LOCAL_RUN_ID.exec(leaseId);
  if (!match) return false;
  const [, pid, start, boot, host] = match;
  if (host !== shortHash(hostname())) return false;
  if (boot !== bootHash()) return true;
  const ticks = processStartTicks(Number(pid));
  return ticks === undefined || (ticks !== 0 && String(ticks) !== start);
};

/**
 * Releases the instance's lease if a dead local process holds it (its run crashed: recorded as the
 * failure it was). Conditional on the lease id, so a lease taken meanwhile is never touched.
 * @returns the released lease id, if any
 */
export const releaseDeadLocalLease = async (
  store: StateStore,
  instanceId: string,
  connector: string,
  now = Date.now(),
): Promise<string | undefined> => {
  const state = await store.read(instanceId);
  const leaseId = state?.leaseId;
  if (!leaseId || (state.leaseExpiresAt ?? 0) <= now || !isDeadLocalHolder(leaseId)) return undefined;
  const pid = LOCAL_RUN_ID.exec(leaseId)?.[1];
  const failure = {
    code: ErrorCodes.LEASE_LOST,
    message: `The run ${leaseId} stopped without releasing its lease (process ${pid} is gone: a crash or kill); its lease was released at once instead of left to expire. Its fetch was not committed: the next fetch covers the same window.`,
  };
  await store.release(instanceId, { leaseId, now, failure });
  // The crashed run wrote no history of its own: the record says it existed and how it ended.
  await store.writeHistory({
    ...emptyHistoryRecord({
      instanceId,
      connector,
      runId: leaseId,
      startedAt: new Date(now).toISOString(),
      status: RunStatus.error,
    }),
    error: failure,
  });
  return leaseId;
};
