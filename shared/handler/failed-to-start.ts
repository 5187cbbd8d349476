import { randomUUID } from 'node:crypto';
import { failureOf } from '../errors.js';
import { redact } from '../redact.js';
import type { RunOutcome } from '../runner/run-record.js';
import { emptyHistoryRecord, RunStatus } from '../state/history-record.js';
import type { FetchEvent } from './fetch-event.js';
import type { FetchHandlerDeps } from './fetch-handler-deps.js';
import type { FetchHandlerResult } from './fetch-handler-result.js';

/**
 * The answer of an operation that could not start because the instance's configuration (its document,
 * a secret, its sink) is unusable. Recorded in the history only for a live fetch: the history is the
 * schedule's record, and an operator's debug fetch, test, replay or re-drive answers the operator instead.
 */
export const failedToStart = async (
  deps: FetchHandlerDeps,
  event: FetchEvent,
  error: unknown,
  startedAt: number,
): Promise<FetchHandlerResult> => {
  const { instanceId, operation } = event;
  const failure = redact(failureOf(error));
  deps.logger.error('Instance configuration is unusable; operation not run', {
    instanceId,
    operation,
    error: failure,
  });
  if (operation === 'test') return { kind: 'test', instanceId, ok: false, error: failure };
  if (operation === 'replay') return { kind: 'replay', instanceId, error: failure };
  const runId = randomUUID();
  if (operation === 'redrive')
    return {
      kind: 'redrive',
      instanceId,
      runId,
      delivered: [],
      stillInvalid: [],
      skipped: [],
      error: failure,
    };
  const identity = { instanceId, connector: deps.connector.name, runId, status: RunStatus.error };
  const record = emptyHistoryRecord({ ...identity, startedAt: new Date(startedAt).toISOString() });
  const outcome: RunOutcome = {
    kind: 'fetch',
    ...record,
    durationMs: (deps.clock ?? Date.now)() - startedAt,
    error: failure,
  };
  if (operation !== 'fetch') return outcome;
  const { kind: _answer, ...history } = outcome;
  await deps.store
    .writeHistory(history)
    .catch((writeError) => deps.logger.error('History write failed', { writeError }));
  deps.onOutcome?.(outcome);
  return outcome;
};
