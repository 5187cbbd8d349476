import { randomUUID } from 'node:crypto';
import type { LastRun } from '../connector.js';
import { StateCorruptError } from '../errors.js';
import { redact } from '../redact.js';
import { summarizeLastRun } from '../runner/summarize-last-run.js';
import { emptyHistoryRecord, type HistoryRecord, RunStatus } from '../state/history-record.js';
import type { InstanceState, StateStore } from '../state/state-store.js';

export interface SetLastRunRequest {
  readonly instanceId: string;
  /** For the history record; the connector's name, or `unknown` for a misconfigured instance. */
  readonly connector: string;
  /** `{}` resets: the next fetch starts from `first_fetch`. */
  readonly lastRun: LastRun;
  /** How the history names the action. */
  readonly kind: 'reset' | 'set';
  /** Who did it, for the history ("an operator", "the dashboard"). @default 'an operator' */
  readonly by?: string;
  /** @default Date.now() */
  readonly now?: number;
}

export interface SetLastRunResult {
  readonly action: string;
  readonly before?: LastRun;
  readonly after?: LastRun;
  readonly version: number;
  readonly record: HistoryRecord;
}

/**
 * An operator sets (or resets) an instance's last run: refused while a fetch holds the lease or when
 * the cursor moved since it was read, and recorded in the fetch history (audited, like every operator
 * action). A corrupted state item can be overwritten: that is the repair its error message names.
 * The CLI (`ferry last-run`, locally and `--aws`) and the dashboard's "Reset last run" both use it.
 */
export const setLastRunAudited = async (
  store: StateStore,
  request: SetLastRunRequest,
): Promise<SetLastRunResult> => {
  const { instanceId } = request;
  const now = request.now ?? Date.now();
  let current: InstanceState | undefined;
  let corrupted = false;
  try {
    current = await store.read(instanceId);
  } catch (error) {
    if (!(error instanceof StateCorruptError)) throw error;
    corrupted = true;
  }
  const version = await store.setLastRun(instanceId, {
    lastRun: request.lastRun,
    now,
    expectedVersion: corrupted ? undefined : (current?.version ?? 0),
  });
  const by = request.by ?? 'an operator';
  const action = `${request.kind === 'reset' ? 'last run reset' : 'last run set'} by ${by}${corrupted ? ' (the stored one was corrupted)' : ''}`;
  const before = summarizeLastRun(current?.lastRun);
  const after = summarizeLastRun(request.lastRun);
  const record: HistoryRecord = redact({
    ...emptyHistoryRecord({
      instanceId,
      connector: request.connector,
      runId: randomUUID(),
      startedAt: new Date(now).toISOString(),
      status: RunStatus.operator,
    }),
    action,
    lastRunBefore: before,
    lastRunAfter: after,
  });
  await store.writeHistory(record);
  return { action, before, after, version, record };
};
