import { randomUUID } from 'node:crypto';
import { resolveParams } from '../config/resolve-settings.js';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector, LastRun } from '../connector.js';
import { ConfigError, errorCode, errorMessage } from '../errors.js';
import { createIntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';
import { type WindowLastRun, windowFetch } from '../lookback/window-fetch.js';
import { partitionIncidents } from '../quarantine/partition-incidents.js';
import { setAside } from '../quarantine/set-aside.js';
import { redact } from '../redact.js';
import type { Sink } from '../sinks/sink.js';
import { type HistoryRecord, RunStatus } from '../state/history-record.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import { type ReplayProgress, ReplayStatus, type ReplayStore } from '../state/replay-store.js';
import type { StateStore } from '../state/state-store.js';
import { createFetchContext } from './fetch-context.js';
import { COMMIT_RESERVE_MS, LEASE_GRACE_MS } from './run-fetch.js';
import { summarizeLastRun } from './summarize-last-run.js';

/**
 * Replay: fetch a past window `[from, to)` again into the sink, beside the live fetches. It has its own
 * item (`REPLAY#<id>`), lease and cursor, so the instance's last run is never read or moved; the
 * incidents carry the same deterministic keys as the first time, so the sink drops what it already
 * has. Only time-window connectors can replay: an own cursor (IMAP UIDs, opaque tokens) is not time.
 */

/** Why a connector cannot replay, or `undefined` when it can. */
export const replayRefusal = (document: InstanceDocument, connector: Connector): string | undefined =>
  connector.style === 'window'
    ? undefined
    : `Instance "${document.id}" uses the "${connector.name}" connector, which keeps its own cursor (not a time), ` +
      'so a time window cannot be replayed. To fetch again from an earlier point, set its last run: ' +
      `ferry last-run ${document.id} --set '<json>'.`;

export interface ReplayWindowRequest {
  readonly instanceId: string;
  readonly connector: string;
  readonly from: Date;
  readonly to: Date;
  readonly now: number;
}

/**
 * Finds the unfinished replay of the same window (resumed, so an interrupted `ferry replay` run again
 * continues instead of starting over) or creates a new one.
 */
export const startOrResumeReplay = async (
  replays: ReplayStore,
  request: ReplayWindowRequest,
): Promise<{ progress: ReplayProgress; resumed: boolean }> => {
  const { instanceId, from, to, now } = request;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw new ConfigError('--from and --to must be times: an ISO date or a time back from now ("2 hours").');
  }
  if (from.getTime() >= to.getTime()) {
    throw new ConfigError(
      `--from (${from.toISOString()}) must be before --to (${to.toISOString()}).`,
      instanceId,
    );
  }
  if (to.getTime() > now) {
    throw new ConfigError(
      `--to (${to.toISOString()}) is in the future; a replay covers the past only (the live fetches cover now).`,
      instanceId,
    );
  }
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const unfinished = (await replays.list(instanceId)).find(
    (replay) => replay.status === ReplayStatus.running && replay.from === fromIso && replay.to === toIso,
  );
  if (unfinished) return { progress: unfinished, resumed: true };
  const nowIso = new Date(now).toISOString();
  const progress: ReplayProgress = {
    replayId: randomUUID().slice(0, 8),
    instanceId,
    connector: request.connector,
    from: fromIso,
    to: toIso,
    cursor: { time: fromIso },
    status: ReplayStatus.running,
    startedAt: nowIso,
    updatedAt: nowIso,
    fetches: 0,
    pages: 0,
    pulled: 0,
    dropped: 0,
    pushed: 0,
  };
  await replays.create(progress);
  return { progress, resumed: false };
};

/** How far a replay got, as a fraction of its window (0–1). */
export const replayFraction = (progress: ReplayProgress): number => {
  if (progress.status === ReplayStatus.done) return 1;
  const from = Date.parse(progress.from);
  const to = Date.parse(progress.to);
  const at = Date.parse(String((progress.cursor as WindowLastRun).time ?? progress.from));
  return Number.isNaN(at) || to <= from ? 0 : Math.min(1, Math.max(0, (at - from) / (to - from)));
};

export interface ReplayInput {
  readonly document: InstanceDocument;
  readonly connector: Connector;
  readonly replayId: string;
  readonly secrets: () => Promise<Record<string, string>>;
  /** Epoch ms by which this invocation must be done; the replay resumes in the next one. */
  readonly deadline: number;
  readonly runId?: string;
}

export interface ReplayDeps {
  readonly store: StateStore;
  readonly replays: ReplayStore;
  readonly sink: Sink;
  readonly logger: Logger;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Where a replayed event that cannot become an incident is set aside, as in a live fetch. */
  readonly quarantine?: QuarantineStore;
}

/** What one invocation of a replay did: the progress after it, or why it stopped. */
export interface ReplayOutcome {
  readonly instanceId: string;
  readonly replay?: ReplayProgress;
  readonly error?: { code: string; message: string };
}

const historyRecord = (progress: ReplayProgress, now: number, error?: ReplayOutcome['error']) =>
  redact<HistoryRecord>({
    instanceId: progress.instanceId,
    connector: progress.connector,
    runId: `replay-${progress.replayId}`,
    startedAt: progress.startedAt,
    durationMs: now - Date.parse(progress.startedAt),
    status: error ? RunStatus.error : RunStatus.ok,
    fetches: progress.fetches,
    pages: progress.pages,
    pulled: progress.pulled,
    dropped: progress.dropped,
    pushed: progress.pushed,
    action: 'replay',
    message: `Replay ${progress.replayId} of ${progress.from} → ${progress.to}${error ? ` stopped at ${String((progress.cursor as WindowLastRun).time)}; resume it with: ferry replay ${progress.instanceId} --resume ${progress.replayId}` : ' finished'}; the live last run was not touched.`,
    ...(error ? { error } : {}),
    sourceIds: [],
    sourceIdCount: 0,
    lastRunBefore: { time: progress.from },
    lastRunAfter: summarizeLastRun(progress.cursor),
  });

/**
 * Runs a replay for as long as the invocation allows: fetch a window page from the replay's cursor,
 * push, save the cursor (only while its lease is ours), repeat. Finished, it records one history
 * record (action `replay`); stopped by a failure, it records the failure and stays resumable.
 */
export const runReplay = async (input: ReplayInput, deps: ReplayDeps): Promise<ReplayOutcome> => {
  const clock = deps.clock ?? Date.now;
  const { document, connector, replayId } = input;
  const runId = input.runId ?? randomUUID();
  const logger = deps.logger.child({ instanceId: document.id, connector: connector.name, runId, replayId });
  const refusal = replayRefusal(document, connector);
  if (refusal || connector.style !== 'window') {
    return { instanceId: document.id, error: { code: 'CONFIG_INVALID', message: refusal ?? '' } };
  }
  let progress: ReplayProgress;
  try {
    progress = await deps.replays.acquire(document.id, replayId, {
      leaseId: runId,
      now: clock(),
      expiresAt: input.deadline + LEASE_GRACE_MS,
    });
  } catch (error) {
    return { instanceId: document.id, error: { code: errorCode(error), message: errorMessage(error) } };
  }
  const until = new Date(progress.to);
  let cursor: LastRun = progress.cursor;
  let totals = progress;
  try {
    const started = new Date(clock());
    const { settings, params } = resolveParams(document, connector, started);
    const secrets = await input.secrets();
    const context = createIntegrationContext(deps.store, document.id);
    let lastIterationMs = 0;
    for (;;) {
      const iterationStart = clock();
      const { ctx } = createFetchContext({
        instanceId: document.id,
        params,
        secrets,
        // The window starts exactly at the replay's cursor: no look-back reaching before `from`.
        settings: { ...settings, lookBackMs: 0 },
        lastRun: cursor,
        now: new Date(iterationStart),
        logger,
        context,
        signal: AbortSignal.timeout(Math.max(1, input.deadline - COMMIT_RESERVE_MS - iterationStart)),
      });
      const result = await windowFetch(connector, ctx, { until });
      const { keyed, repeated, quarantined } = partitionIncidents(result.incidents);
      await setAside(
        deps.quarantine,
        { instanceId: document.id, connector: connector.name, runId: `replay-${replayId}`, now: clock() },
        quarantined,
      );
      if (keyed.length > 0) {
        await deps.sink.push(
          { instance: document.id, connector: connector.name, runId: `replay-${replayId}`, incidents: keyed },
          { deadline: input.deadline - COMMIT_RESERVE_MS },
        );
      }
      const done = result.hasMore !== true;
      const step = {
        leaseId: runId,
        now: clock(),
        cursor: result.nextRun,
        done,
        fetches: 1,
        pages: result.pages ?? 1,
        pulled: result.incidents.length + (result.dropped ?? 0),
        dropped: repeated + (result.dropped ?? 0),
        pushed: keyed.length,
      };
      await deps.replays.advance(document.id, replayId, step);
      cursor = result.nextRun;
      totals = {
        ...totals,
        cursor,
        status: done ? ReplayStatus.done : ReplayStatus.running,
        updatedAt: new Date(step.now).toISOString(),
        fetches: totals.fetches + step.fetches,
        pages: totals.pages + step.pages,
        pulled: totals.pulled + step.pulled,
        dropped: totals.dropped + step.dropped,
        pushed: totals.pushed + step.pushed,
      };
      if (done) {
        // The item dropped the failure of an earlier attempt with this step (see `advance`).
        const { lastError: _resolved, ...finished } = totals;
        totals = finished;
        await deps.store.writeHistory(historyRecord(totals, clock()));
        logger.info('Replay finished', { pushed: totals.pushed });
        return { instanceId: document.id, replay: withoutLease(totals) };
      }
      lastIterationMs = clock() - iterationStart;
      if (input.deadline - COMMIT_RESERVE_MS - clock() <= Math.max(2 * lastIterationMs, 1_000)) break;
    }
    // Out of time: give the lease back so the next invocation continues at once.
    await deps.replays.release(document.id, replayId, { leaseId: runId, now: clock() });
    return { instanceId: document.id, replay: withoutLease(totals) };
  } catch (error) {
    const failure = redact({ code: errorCode(error), message: errorMessage(error) });
    logger.error('Replay stopped; it resumes from its last saved point', { error: failure });
    await deps.replays
      .release(document.id, replayId, { leaseId: runId, now: clock(), error: failure })
      .catch((releaseError) => logger.error('Could not release the replay lease', { error: releaseError }));
    await deps.store
      .writeHistory(historyRecord(totals, clock(), failure))
      .catch((writeError) => logger.error('Could not write the history record', { error: writeError }));
    return {
      instanceId: document.id,
      replay: withoutLease({ ...totals, lastError: failure }),
      error: failure,
    };
  }
};

const withoutLease = ({ leaseId: _l, leaseExpiresAt: _e, ...progress }: ReplayProgress): ReplayProgress =>
  progress;
