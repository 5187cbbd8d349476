import type { LastRun } from '../connector.js';
import { failureOf } from '../errors.js';
import type { Incident } from '../incident.js';
import type { Logger } from '../logger.js';
import { redact } from '../redact.js';
import {
  emptyHistoryRecord,
  type HistoryRecord,
  MAX_SOURCE_IDS,
  RunStatus,
  type RunStatusValue,
} from '../state/history-record.js';
import type { StateStore } from '../state/state-store.js';
import type { Drained } from './drain-pages.js';
import { summarizeLastRun } from './summarize-last-run.js';

/** What a run did: its history record, plus the incidents themselves in debug mode. */
export interface RunOutcome extends HistoryRecord {
  /** Tags the handler's answer (see `FetchHandlerResult`); not part of the history record. */
  readonly kind: 'fetch';
  incidents?: Incident[];
  nextRun?: LastRun;
}

/** How a run ended: the part of its record that is not its identity and duration. */
export type RunEnding = Partial<
  Omit<RunOutcome, 'kind' | 'instanceId' | 'connector' | 'runId' | 'startedAt'>
> & {
  readonly status: RunStatusValue;
};

/** The run's identity, fixed when it starts. */
export interface RunIdentity {
  readonly instanceId: string;
  readonly connector: string;
  readonly runId: string;
  /** Epoch ms. */
  readonly startedAt: number;
}

export const MORE_WAITING = 'More incidents are waiting; the next fetch continues (deadline reached).';

/** The history's message: the connector's last health message, else the last page's notice, then what sinks noted. */
const runMessage = (drained: Drained): string | undefined => {
  const health = drained.health && `${drained.health.isError ? 'Error: ' : ''}${drained.health.text}`;
  const main = health ?? drained.notice ?? (drained.moreWaiting ? MORE_WAITING : undefined);
  return [main, ...drained.sinkNotices].filter(Boolean).join(' ') || undefined;
};

const lastRunAfter = (drained: Drained): LastRun | undefined => {
  if (drained.preview) return summarizeLastRun(drained.preview.nextRun);
  return drained.committed.count > 0 ? summarizeLastRun(drained.lastRun) : undefined;
};

/** The ending of a run that reached the drain loop (step 8's content). */
export const drainEnding = (lastRunBefore: LastRun, drained: Drained): RunEnding => ({
  status: drained.error === undefined ? RunStatus.ok : RunStatus.error,
  ...drained.counted,
  sourceIdCount: drained.sourceIds.length,
  sourceIds: drained.sourceIds.slice(0, MAX_SOURCE_IDS),
  ...(drained.sinkIds.length > 0 ? { sinkIds: [...drained.sinkIds] } : {}),
  lastRunBefore: summarizeLastRun(lastRunBefore),
  lastRunAfter: lastRunAfter(drained),
  ...(drained.evictedSeenIds > 0 ? { evictedSeenIds: drained.evictedSeenIds } : {}),
  message: runMessage(drained),
  ...(drained.error === undefined ? {} : { error: failureOf(drained.error) }),
  ...(drained.preview ?? {}),
});

export interface RecordDeps {
  readonly store: StateStore;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly onOutcome?: (outcome: RunOutcome) => void;
  /** Debug runs are printed, not recorded. */
  readonly writeHistory: boolean;
}

/**
 * Step 8: the run's history record, redacted. A history that cannot be written is logged, not
 * thrown: the fetch itself is done and committed.
 */
export const recordRun = async (
  run: RunIdentity,
  ending: RunEnding,
  deps: RecordDeps,
): Promise<RunOutcome> => {
  const { instanceId, connector, runId } = run;
  const identity = {
    instanceId,
    connector,
    runId,
    startedAt: new Date(run.startedAt).toISOString(),
    status: ending.status,
  };
  const outcome: RunOutcome = redact({
    kind: 'fetch',
    ...emptyHistoryRecord(identity),
    ...ending,
    durationMs: deps.clock() - run.startedAt,
  });
  if (deps.writeHistory) {
    const { kind: _answer, incidents: _shown, nextRun: _notCommitted, ...record } = outcome;
    await deps.store
      .writeHistory(record)
      .catch((error: unknown) => deps.logger.error('Could not write the fetch history record', { error }));
  }
  deps.onOutcome?.(outcome);
  return outcome;
};
