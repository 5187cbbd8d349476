import { randomUUID } from 'node:crypto';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector, WindowConnector } from '../connector.js';
import { ConfigError, type Failure, failureOf } from '../errors.js';
import type { Logger } from '../logger.js';
import { type WindowLastRun, windowFetch } from '../lookback/window-fetch.js';
import { redact } from '../redact.js';
import type { Sink } from '../sinks/sink.js';
import { type HistoryRecord, RunStatus } from '../state/history-record.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import { type ReplayProgress, ReplayStatus, type ReplayStore } from '../state/replay-store.js';
import type { StateStore } from '../state/state-store.js';
import { type DrainSteps, drainPages, LEASE_GRACE_MS, type PushedPage } from './drain-pages.js';
import type { Drained } from './drain-tally.js';
import { preparePageFetcher } from './page-fetcher.js';
import { replayRefusal } from './replay-window.js';
import { summarizeLastRun } from './summarize-last-run.js';

/**
 * Replay: fetch a past window `[from, to)` again into the sink, beside the live fetches, through the
 * same drain loop as a fetch. It has its own item (`REPLAY#<id>`), lease and cursor, so the instance's
 * last run is never read or moved; the incidents carry the same deterministic keys as the first time,
 * so the sink drops what it already has. Only time-window connectors can replay: an own cursor (IMAP
 * UIDs, opaque tokens) is not time. Starting or resuming one: replay-window.ts.
 */

export {
  type ReplayWindowRequest,
  replayFraction,
  replayRefusal,
  startOrResumeReplay,
} from './replay-window.js';

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
  /** Tags the handler's answer (see `FetchHandlerResult`). */
  readonly kind: 'replay';
  readonly instanceId: string;
  readonly replay?: ReplayProgress;
  readonly error?: Failure;
}

const historyRecord = (progress: ReplayProgress, now: number, error?: Failure) =>
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

const withoutLease = ({ leaseId: _l, leaseExpiresAt: _e, ...progress }: ReplayProgress): ReplayProgress =>
  progress;

/** One invocation of one replay: who runs it and with what. */
interface ReplayRun {
  readonly input: ReplayInput;
  readonly deps: ReplayDeps;
  readonly connector: WindowConnector<unknown, unknown>;
  readonly runId: string;
  readonly clock: () => number;
  readonly logger: Logger;
}

const beginReplay = (
  input: ReplayInput,
  deps: ReplayDeps,
  connector: WindowConnector<unknown, unknown>,
): ReplayRun => {
  const runId = input.runId ?? randomUUID();
  const { document, replayId } = input;
  return {
    input,
    deps,
    connector,
    runId,
    clock: deps.clock ?? Date.now,
    logger: deps.logger.child({ instanceId: document.id, connector: connector.name, runId, replayId }),
  };
};

type ReplayLease =
  | { readonly kind: 'leased'; readonly progress: ReplayProgress }
  | { readonly kind: 'refused'; readonly failure: Failure };

/** Step 1 for a replay: its own lease on its item; its progress, or why it cannot run now (held, finished, gone). */
const takeReplayLease = (run: ReplayRun): Promise<ReplayLease> =>
  run.deps.replays
    .acquire(run.input.document.id, run.input.replayId, {
      leaseId: run.runId,
      now: run.clock(),
      expiresAt: run.input.deadline + LEASE_GRACE_MS,
    })
    .then(
      (progress) => ({ kind: 'leased', progress }) as const,
      (error: unknown) => ({ kind: 'refused', failure: failureOf(error) }) as const,
    );

/** Step 7 for a replay: the replay's cursor and counts move, only while its lease is ours. */
const advanceReplay = (run: ReplayRun) => (page: PushedPage) =>
  run.deps.replays.advance(run.input.document.id, run.input.replayId, {
    leaseId: run.runId,
    now: page.now,
    cursor: page.result.nextRun,
    done: page.result.hasMore !== true,
    ...page.counts,
  });

/** Steps 2–7 and 9 over the replay's window: no look-back before `from`, nothing after `to`. */
const drainReplayWindow = (run: ReplayRun, progress: ReplayProgress): Promise<Drained> => {
  const { document, replayId } = run.input;
  const until = new Date(progress.to);
  const steps: DrainSteps = {
    prepare: () =>
      preparePageFetcher({
        document,
        connector: run.connector,
        secrets: run.input.secrets,
        store: run.deps.store,
        logger: run.logger,
        clock: run.clock,
        now: new Date(run.clock()),
        // Every page starts exactly at the replay's cursor, so `continuing` changes nothing here.
        fetch: (ctx) => windowFetch(run.connector, ctx, { until }),
        // No look-back reaching before `from`; the window, not max_per_run, bounds a replay.
        overrides: { lookBackMs: 0, maxPerRun: undefined },
      }),
    commit: advanceReplay(run),
  };
  return drainPages(steps, {
    from: progress.cursor,
    sink: run.deps.sink,
    batch: { instance: document.id, connector: run.connector.name, runId: `replay-${replayId}` },
    quarantine: run.deps.quarantine,
    deadline: run.input.deadline,
    clock: run.clock,
    prefetch: false,
  });
};

/** The progress after this invocation: what was saved before it, plus every committed page. */
const progressAfter = (progress: ReplayProgress, drained: Drained, done: boolean): ReplayProgress => {
  const { committed } = drained;
  const moved: ReplayProgress =
    committed.count === 0
      ? progress
      : {
          ...progress,
          cursor: drained.lastRun,
          status: done ? ReplayStatus.done : ReplayStatus.running,
          updatedAt: new Date(committed.at ?? Date.parse(progress.updatedAt)).toISOString(),
          fetches: progress.fetches + committed.fetches,
          pages: progress.pages + committed.pages,
          pulled: progress.pulled + committed.pulled,
          dropped: progress.dropped + committed.dropped,
          pushed: progress.pushed + committed.pushed,
        };
  // A finished replay's item dropped the failure of an earlier attempt with its last step (see `advance`).
  const { lastError: _resolved, ...finished } = moved;
  return withoutLease(done ? finished : moved);
};

/** Finished: one history record (action `replay`); the last step already gave the lease back. */
const replayFinished = async (run: ReplayRun, progress: ReplayProgress): Promise<ReplayOutcome> => {
  await run.deps.store
    .writeHistory(historyRecord(progress, run.clock()))
    .catch((error: unknown) => run.logger.error('Could not write the history record', { error }));
  run.logger.info('Replay finished', { pushed: progress.pushed });
  return { kind: 'replay', instanceId: progress.instanceId, replay: progress };
};

/** Stopped by a failure: recorded in the item and the history; it resumes from its last saved point. */
const replayStopped = async (
  run: ReplayRun,
  progress: ReplayProgress,
  error: unknown,
): Promise<ReplayOutcome> => {
  const failure = redact(failureOf(error));
  run.logger.error('Replay stopped; it resumes from its last saved point', { error: failure });
  const { document, replayId } = run.input;
  await run.deps.replays
    .release(document.id, replayId, { leaseId: run.runId, now: run.clock(), error: failure })
    .catch((releaseError: unknown) =>
      run.logger.error('Could not release the replay lease', { error: releaseError }),
    );
  await run.deps.store
    .writeHistory(historyRecord(progress, run.clock(), failure))
    .catch((writeError: unknown) =>
      run.logger.error('Could not write the history record', { error: writeError }),
    );
  return {
    kind: 'replay',
    instanceId: document.id,
    replay: { ...progress, lastError: failure },
    error: failure,
  };
};

/** Out of time: give the lease back so the next invocation continues at once. */
const replayPaused = (run: ReplayRun, progress: ReplayProgress): Promise<ReplayOutcome> =>
  run.deps.replays
    .release(run.input.document.id, run.input.replayId, { leaseId: run.runId, now: run.clock() })
    .then(
      () => ({ kind: 'replay', instanceId: progress.instanceId, replay: progress }),
      (error: unknown) => replayStopped(run, progress, error),
    );

/**
 * Runs a replay for as long as the invocation allows: fetch a window page from the replay's cursor,
 * push, save the cursor (only while its lease is ours), repeat. Finished, it records one history
 * record (action `replay`); stopped by a failure, it records the failure and stays resumable.
 */
export const runReplay = async (input: ReplayInput, deps: ReplayDeps): Promise<ReplayOutcome> => {
  const { document, connector } = input;
  const refusal = replayRefusal(document, connector);
  if (refusal !== undefined || connector.style !== 'window') {
    const error = new ConfigError(refusal ?? '', document.id, 'connector');
    return { kind: 'replay', instanceId: document.id, error: failureOf(error) };
  }
  const run = beginReplay(input, deps, connector);
  const lease = await takeReplayLease(run);
  if (lease.kind === 'refused') return { kind: 'replay', instanceId: document.id, error: lease.failure };
  const drained = await drainReplayWindow(run, lease.progress);
  const done = drained.error === undefined && drained.moreWaiting === undefined;
  const progress = progressAfter(lease.progress, drained, done);
  if (drained.error !== undefined) return replayStopped(run, progress, drained.error);
  return done ? replayFinished(run, progress) : replayPaused(run, progress);
};
