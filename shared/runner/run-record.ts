import type { LastRun } from '../connector.js';
import { failureOf } from '../errors.js';
import type { Incident } from '../incident.js';
import type { Logger } from '../logger.js';
import type { QuarantineCandidate } from '../quarantine/partition-incidents.js';
import { quarantineNotice } from '../quarantine/set-aside.js';
import type { PacingStats } from '../rate-limit-pacer.js';
import { redact } from '../redact.js';
import {
  emptyHistoryRecord,
  type HistoryRecord,
  MAX_SOURCE_IDS,
  RunStatus,
  type RunStatusValue,
} from '../state/history-record.js';
import type { StateStore } from '../state/state-store.js';
import type { Drained } from './drain-tally.js';
import { summarizeLastRun } from './summarize-last-run.js';

/**
 * Step 8: what a run did, as its history record and the handler's answer. A run ends in one of a few
 * ways (disabled, skipped at the lease, corrupt state, or after the drain loop); each becomes a
 * `RunEnding`, and `recordRun` turns it into the one record.
 */

/** What a run did: its history record, plus the incidents themselves in debug mode. */
export interface RunOutcome extends HistoryRecord {
  /** Tags the handler's answer (see `FetchHandlerResult`); not part of the history record. */
  readonly kind: 'fetch';
  incidents?: Incident[];
  nextRun?: LastRun;
  /** Debug mode: what a live fetch would quarantine. */
  quarantine?: QuarantineCandidate[];
}

/** How a run ended: the part of its record that is not its identity and duration. */
export type RunEnding = Partial<
  Omit<RunOutcome, 'kind' | 'instanceId' | 'connector' | 'runId' | 'startedAt' | 'durationMs'>
> & { readonly status: RunStatusValue };

/** The run's identity, fixed when it starts. */
export interface RunIdentity {
  readonly instanceId: string;
  readonly connector: string;
  readonly runId: string;
  /** Epoch ms. */
  readonly startedAt: number;
}

export const DISABLED: RunEnding = {
  status: RunStatus.disabled,
  message: 'Instance is disabled; enable it in its configuration to fetch.',
};

/** The history's word on pacing: the source's rate limit held the fetch back this much. */
const pacingNotice = ({ pacedRequests, pacedMs }: PacingStats): string =>
  `Paced by the source's rate limit: ${pacedRequests} request${pacedRequests === 1 ? '' : 's'} waited for its window to reset, ${(pacedMs / 1000).toFixed(1)} s in all.`;

/**
 * The history's message: the connector's last health message, else the last committed page's notice,
 * else why more is waiting; then what the quarantine, the sink and the pacer noted.
 */
const runMessage = (instanceId: string, drained: Drained, ok: boolean): string | undefined => {
  const health = drained.health && `${drained.health.isError ? 'Error: ' : ''}${drained.health.text}`;
  const waiting =
    drained.moreWaiting && `More incidents are waiting; the next fetch continues (${drained.moreWaiting}).`;
  const main = health ?? drained.notice ?? waiting;
  const notes = [
    ...(ok && drained.quarantined > 0 ? [quarantineNotice(instanceId, drained.quarantined)] : []),
    ...drained.sinkNotices,
    ...(drained.pacing.pacedRequests > 0 ? [pacingNotice(drained.pacing)] : []),
  ];
  return notes.length === 0 ? main : [main, ...notes].filter(Boolean).join(' ');
};

const lastRunAfter = (drained: Drained): LastRun | undefined => {
  if (drained.preview) return summarizeLastRun(drained.preview.nextRun);
  return drained.committed.count > 0 ? summarizeLastRun(drained.lastRun) : undefined;
};

/** The ending of a run that reached the drain loop. */
export const drainEnding = (instanceId: string, lastRunBefore: LastRun, drained: Drained): RunEnding => {
  const ok = drained.error === undefined;
  const message = runMessage(instanceId, drained, ok);
  const after = lastRunAfter(drained);
  return {
    status: ok ? RunStatus.ok : RunStatus.error,
    ...drained.counted,
    ...(drained.quarantined > 0 ? { quarantined: drained.quarantined } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(ok ? {} : { error: failureOf(drained.error) }),
    sourceIdCount: drained.sourceIds.length,
    sourceIds: drained.sourceIds.slice(0, MAX_SOURCE_IDS),
    ...(drained.sinkIds.length > 0 ? { sinkIds: [...drained.sinkIds] } : {}),
    lastRunBefore: summarizeLastRun(lastRunBefore),
    ...(after !== undefined ? { lastRunAfter: after } : {}),
    ...(drained.evictedSeenIds > 0 ? { evictedSeenIds: drained.evictedSeenIds } : {}),
    ...(drained.pacing.pacedRequests > 0 ? { pacedMs: Math.round(drained.pacing.pacedMs) } : {}),
    ...(drained.preview ?? {}),
  };
};

export interface RecordDeps {
  readonly store: StateStore;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly onOutcome?: (outcome: RunOutcome) => void;
  /** Debug runs are printed, not recorded. */
  readonly writeHistory: boolean;
}

/** The history record of an outcome: without the answer's tag and what a debug run only shows. */
const historyOf = (outcome: RunOutcome): HistoryRecord => {
  const {
    kind: _answer,
    incidents: _shown,
    nextRun: _notCommitted,
    quarantine: _candidates,
    ...record
  } = outcome;
  return record;
};

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
  const identity = { instanceId, connector, runId, startedAt: new Date(run.startedAt).toISOString() };
  const outcome: RunOutcome = {
    ...redact({
      kind: 'fetch',
      ...emptyHistoryRecord({ ...identity, status: ending.status }),
      ...ending,
      durationMs: deps.clock() - run.startedAt,
    } satisfies RunOutcome),
    // Identifiers are config, never secrets: the history stays under its key whatever a secret holds.
    instanceId,
    runId,
  };
  if (deps.writeHistory) {
    await deps.store
      .writeHistory(historyOf(outcome))
      .catch((error: unknown) => deps.logger.error('Could not write the fetch history record', { error }));
  }
  deps.onOutcome?.(outcome);
  return outcome;
};
