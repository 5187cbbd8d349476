// Over 300 lines: runFetch is still one long function holding the drain loop. Issue 15 splits it into
// named steps shared with replay (docs/architecture.md, "Open"); until then, read it with DESIGN's
// numbered path beside it — its comments carry the step numbers.
import { randomUUID } from 'node:crypto';
import { resolveParams } from '../config/resolve-settings.js';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector, ConnectorContext, FetchResult, LastRun } from '../connector.js';
import {
  ErrorCodes,
  errorCode,
  errorMessage,
  FerryError,
  isFerryError,
  LeaseHeldError,
  StateCorruptError,
  StateUnavailableError,
} from '../errors.js';
import type { Incident } from '../incident.js';
import { createIntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';
import { windowFetch } from '../lookback/window-fetch.js';
import { partitionIncidents, type QuarantineCandidate } from '../quarantine/partition-incidents.js';
import { quarantineNotice, setAside } from '../quarantine/set-aside.js';
import { createRateLimitPacer, type PacingStats } from '../rate-limit-pacer.js';
import { redact } from '../redact.js';
import type { Sink } from '../sinks/sink.js';
import {
  emptyHistoryRecord,
  type HistoryRecord,
  MAX_SOURCE_IDS,
  RunStatus,
} from '../state/history-record.js';
import { staleHours } from '../state/incident-counts.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import type { StateStore } from '../state/state-store.js';
import { createFetchContext, type HealthMessage } from './fetch-context.js';
import { summarizeLastRun } from './summarize-last-run.js';

/** A lease outlives the invocation's deadline by this much, then frees itself. */
export const LEASE_GRACE_MS = 5_000;
/** Time kept back before the deadline for the commit and the history record. */
export const COMMIT_RESERVE_MS = 2_000;

export interface RunnerDeps {
  readonly store: StateStore;
  readonly sink: Sink;
  readonly logger: Logger;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Called with every outcome (metrics). */
  readonly onOutcome?: (outcome: RunOutcome) => void;
  /** Where events that cannot become incidents are set aside; without it they fail the fetch. */
  readonly quarantine?: QuarantineStore;
}

export interface RunInput {
  readonly document: InstanceDocument;
  readonly connector: Connector;
  /** Resolves the instance's secrets; failures are recorded like any other. */
  readonly secrets: () => Promise<Record<string, string>>;
  /** Epoch ms by which the invocation must be done (the Lambda's remaining time). */
  readonly deadline: number;
  readonly runId?: string;
  /** `debug`: one fetch, printed, nothing pushed, nothing committed (XSOAR's `debug-mode=true`). */
  readonly mode?: 'live' | 'debug';
}

/** What a run did: its history record, plus the incidents themselves in debug mode. */
export interface RunOutcome extends HistoryRecord {
  incidents?: Incident[];
  nextRun?: LastRun;
  /** Debug mode: what a live fetch would quarantine. */
  quarantine?: QuarantineCandidate[];
}

/** One fetch; `continuing` marks a drain's later page, which a window fetch starts at the cursor. */
const fetchOnce = (connector: Connector, ctx: ConnectorContext, continuing: boolean): Promise<FetchResult> =>
  connector.style === 'window' ? windowFetch(connector, ctx, { continuing }) : connector.fetchIncidents(ctx);

const lastMessage = (messages: HealthMessage[]) => messages.at(-1);

/** The history's word on pacing: the source's rate limit held the fetch back this much. */
const pacingNotice = ({ pacedRequests, pacedMs }: PacingStats): string =>
  `Paced by the source's rate limit: ${pacedRequests} request${pacedRequests === 1 ? '' : 's'} waited for its window to reset, ${(pacedMs / 1000).toFixed(1)} s in all.`;

/** A fetch under way: started at `startedAt`, its health messages collected in `messages`. */
interface PendingFetch {
  readonly startedAt: number;
  readonly messages: HealthMessage[];
  readonly result: Promise<FetchResult>;
  /** Aborts the fetch; its page is dropped. */
  cancel(): void;
}

const prefetchDropped = () =>
  new FerryError(
    ErrorCodes.PREFETCH_DROPPED,
    'This prefetched page was dropped: the page before it was not pushed and committed, or no time was left to push it.',
  );

/**
 * Whether the drain loop may fetch the next page while the last one is pushed and committed. A
 * time-window fetch is a query, always safe to drop; an own-cursor connector says so with
 * `prefetch: true` (a source that consumes or marks what it hands out must not lose a dropped page).
 */
export const mayPrefetch = (connector: Connector): boolean =>
  connector.style === 'window' || connector.prefetch === true;

/**
 * Runs one invocation for one instance: the numbered path of DESIGN.md. Never throws for a failed
 * fetch: the failure is in the outcome, the history and the health; it throws only when the store
 * itself is unreachable (nothing could be recorded).
 */
export const runFetch = async (input: RunInput, deps: RunnerDeps): Promise<RunOutcome> => {
  const clock = deps.clock ?? Date.now;
  const { document, connector } = input;
  const runId = input.runId ?? randomUUID();
  const startedAt = clock();
  const logger = deps.logger.child({ instanceId: document.id, connector: connector.name, runId });
  const outcome: RunOutcome = emptyHistoryRecord({
    instanceId: document.id,
    connector: connector.name,
    runId,
    startedAt: new Date(startedAt).toISOString(),
    status: RunStatus.ok,
  });
  const sourceIds: string[] = [];
  const sinkIds: string[] = [];
  // What a sink reports although the push succeeded (shortened incidents, ledger trouble).
  const sinkNotices: string[] = [];
  // One pacer for every page of the invocation, the prefetched one included: they share the source's limit.
  const pacer = createRateLimitPacer();
  const finish = async (status: RunOutcome['status']): Promise<RunOutcome> => {
    outcome.status = status;
    const pacing = pacer.stats();
    if (pacing.pacedRequests > 0) {
      outcome.pacedMs = Math.round(pacing.pacedMs);
      sinkNotices.push(pacingNotice(pacing));
    }
    if (outcome.quarantined && status === RunStatus.ok)
      sinkNotices.unshift(quarantineNotice(document.id, outcome.quarantined));
    outcome.sourceIdCount = sourceIds.length;
    outcome.sourceIds = sourceIds.slice(0, MAX_SOURCE_IDS);
    if (sinkIds.length > 0) outcome.sinkIds = sinkIds;
    if (sinkNotices.length > 0) outcome.message = [outcome.message, ...sinkNotices].filter(Boolean).join(' ');
    outcome.durationMs = clock() - startedAt;
    // Identifiers are config, never secrets: the history stays under its key whatever a secret holds.
    const record = { ...redact(outcome), instanceId: outcome.instanceId, runId: outcome.runId };
    if (input.mode !== 'debug') {
      try {
        await deps.store.writeHistory({
          ...record,
          incidents: undefined,
          nextRun: undefined,
        } as HistoryRecord);
      } catch (error) {
        logger.error('Could not write the fetch history record', { error });
      }
    }
    deps.onOutcome?.(record);
    return record;
  };

  if (!document.enabled && input.mode !== 'debug') {
    outcome.message = 'Instance is disabled; enable it in its configuration to fetch.';
    return finish(RunStatus.disabled);
  }

  // 1. lease + read
  let state: { lastRun: LastRun; version: number };
  // Hour counts past the week, removed by the first commit (no extra request: see incident-counts.ts).
  let forgetHours: string[] = [];
  if (input.mode === 'debug') {
    const current = await deps.store.read(document.id);
    state = { lastRun: current?.lastRun ?? {}, version: current?.version ?? 0 };
  } else {
    try {
      const acquired = await deps.store.acquire(document.id, {
        leaseId: runId,
        now: startedAt,
        expiresAt: input.deadline + LEASE_GRACE_MS,
      });
      state = acquired;
      forgetHours = staleHours(acquired.pushedByHour, startedAt);
    } catch (error) {
      if (error instanceof StateCorruptError) {
        // The acquire took the lease before the item proved unreadable: record why and give it back.
        outcome.error = { code: error.code, message: error.message };
        logger.error('The state item is corrupted; fetch not run', { error: outcome.error });
        await deps.store
          .release(document.id, { leaseId: runId, now: clock(), failure: outcome.error })
          .catch((releaseError) => logger.error('Could not release the lease', { error: releaseError }));
        return finish(RunStatus.error);
      }
      if (!(error instanceof LeaseHeldError)) throw error;
      logger.warn('Lease held by another run; skipped', { heldUntil: error.heldUntil });
      outcome.message = error.message;
      return finish(RunStatus.skipped);
    }
  }
  outcome.lastRunBefore = summarizeLastRun(state.lastRun);

  const abort = new AbortController();
  const abortTimer = setTimeout(
    () =>
      abort.abort(
        new FerryError(
          ErrorCodes.DEADLINE,
          'The invocation deadline is near; the fetch was stopped and the last run is unchanged (the next fetch continues from it).',
        ),
      ),
    Math.max(0, input.deadline - COMMIT_RESERVE_MS - clock()),
  );
  let message: HealthMessage | undefined;
  let committedPages = 0;
  try {
    const { settings, params } = resolveParams(document, connector, new Date(startedAt));
    const secrets = await input.secrets();
    const context = createIntegrationContext(deps.store, document.id);
    // Incidents the pages of this run returned so far, against max_per_run.
    let taken = 0;
    const leftThisRun = () => (settings.maxPerRun ?? Number.POSITIVE_INFINITY) - taken;
    // 2–3. window and fetch, from the given last run; a page never asks for more than the run has left.
    // The first page of the invocation looks back; the drain's later pages continue at the cursor.
    const startFetch = (lastRun: LastRun, continuing: boolean): PendingFetch => {
      const startedAt = clock();
      const own = new AbortController();
      const { ctx, messages } = createFetchContext({
        instanceId: document.id,
        params,
        secrets,
        settings: { ...settings, maxFetch: Math.max(1, Math.min(settings.maxFetch, leftThisRun())) },
        lastRun,
        now: new Date(startedAt),
        logger,
        context,
        signal: AbortSignal.any([abort.signal, own.signal]),
        http: { pacer },
      });
      const result = fetchOnce(connector, ctx, continuing);
      // Awaited when used; a prefetch that is dropped must not become an unhandled rejection.
      result.catch(() => undefined);
      return { startedAt, messages, result, cancel: () => own.abort(prefetchDropped()) };
    };
    const prefetch = mayPrefetch(connector);
    const timeToDrain = (lastIterationMs: number) =>
      leftThisRun() > 0 &&
      input.deadline - COMMIT_RESERVE_MS - clock() > Math.max(2 * lastIterationMs, 1_000);
    let lastIterationMs = 0;
    // The next page, fetched while this one is pushed and committed (see mayPrefetch).
    let next: PendingFetch | undefined;
    try {
      for (;;) {
        const pending = next ?? startFetch(state.lastRun, committedPages > 0);
        next = undefined;
        const result = await pending.result;
        message = lastMessage(pending.messages) ?? message;
        outcome.fetches++;
        outcome.pages += result.pages ?? 1;
        // 4–5. validate, dedupe; an event that cannot become an incident is quarantined, not fatal
        const { keyed, repeated, quarantined } = partitionIncidents(result.incidents);
        taken += result.incidents.length;
        outcome.pulled += result.incidents.length + (result.dropped ?? 0);
        outcome.dropped += repeated + (result.dropped ?? 0);
        if (quarantined.length > 0) {
          const request = {
            instanceId: document.id,
            connector: connector.name,
            runId,
            now: clock(),
            mode: input.mode,
          };
          await setAside(deps.quarantine, request, quarantined);
          if (input.mode !== 'debug') outcome.quarantined = (outcome.quarantined ?? 0) + quarantined.length;
        }
        if (input.mode === 'debug') {
          outcome.incidents = keyed.map((item) => item.incident);
          if (quarantined.length > 0) outcome.quarantine = quarantined;
          outcome.nextRun = result.nextRun;
          outcome.lastRunAfter = summarizeLastRun(result.nextRun);
          break;
        }
        // The next page starts from this page's cursor now; it is pushed only after this page's commit
        // succeeded, and dropped unpushed if this push or commit fails.
        if (prefetch && result.hasMore === true && timeToDrain(lastIterationMs))
          next = startFetch(result.nextRun, true);
        // 6. push
        if (keyed.length > 0) {
          const pushed = await deps.sink.push(
            { instance: document.id, connector: connector.name, runId, incidents: keyed },
            { signal: abort.signal, deadline: input.deadline - COMMIT_RESERVE_MS },
          );
          if (pushed.ids) sinkIds.push(...pushed.ids.slice(0, MAX_SOURCE_IDS - sinkIds.length));
          if (pushed.notice) sinkNotices.push(pushed.notice);
        }
        outcome.pushed += keyed.length;
        for (const { incident } of keyed) if (incident.dbotMirrorId) sourceIds.push(incident.dbotMirrorId);
        // 9 (decided first, so the commit can release the lease with the last page).
        lastIterationMs = clock() - pending.startedAt;
        const drainMore = result.hasMore === true && timeToDrain(lastIterationMs);
        if (!drainMore) {
          next?.cancel();
          next = undefined;
        }
        // 7. commit
        state = {
          lastRun: result.nextRun,
          version: await deps.store
            .commit(document.id, {
              leaseId: runId,
              expectedVersion: state.version,
              lastRun: result.nextRun,
              now: clock(),
              release: !drainMore,
              pushed: keyed.length,
              forgetHours,
              message,
            })
            // A throttled or unreachable store is the store's failure, not an unexpected one.
            .catch((error: unknown) => {
              throw isFerryError(error) ? error : new StateUnavailableError(document.id, error);
            }),
        };
        forgetHours = [];
        committedPages++;
        outcome.lastRunAfter = summarizeLastRun(result.nextRun);
        if (result.notice) outcome.message = result.notice;
        if (result.evictedSeenIds)
          outcome.evictedSeenIds = (outcome.evictedSeenIds ?? 0) + result.evictedSeenIds;
        if (!drainMore) {
          if (result.hasMore)
            outcome.message ??= `More incidents are waiting; the next fetch continues (${leftThisRun() > 0 ? 'deadline reached' : `max_per_run ${settings.maxPerRun} reached`}).`;
          break;
        }
      }
    } finally {
      // Left early (a failed validation, push or commit): the prefetched page is never pushed.
      next?.cancel();
    }
    if (message) outcome.message = `${message.isError ? 'Error: ' : ''}${message.text}`;
    return await finish(RunStatus.ok);
  } catch (error) {
    outcome.error = { code: errorCode(error), message: errorMessage(error) };
    if (message) outcome.message = `${message.isError ? 'Error: ' : ''}${message.text}`;
    logger.error(
      committedPages > 0
        ? 'Fetch failed; the last run stays where the last committed page left it'
        : 'Fetch failed; the last run is unchanged',
      { error: outcome.error },
    );
    if (input.mode !== 'debug') {
      await deps.store
        .release(document.id, { leaseId: runId, now: clock(), failure: redact(outcome.error), message })
        .catch((releaseError) => logger.error('Could not release the lease', { error: releaseError }));
    }
    return await finish(RunStatus.error);
  } finally {
    clearTimeout(abortTimer);
  }
};
