import type { Connector, ConnectorContext } from '../connector.js';
import { errorMessage, failureOf, isFerryError, StateUnavailableError } from '../errors.js';
import { windowFetch } from '../lookback/window-fetch.js';
import { redact } from '../redact.js';
import { type DrainSteps, drainPages, type PushedPage } from './drain-pages.js';
import type { Drained } from './drain-tally.js';
import { type Leased, takeLease } from './fetch-lease.js';
import { preparePageFetcher } from './page-fetcher.js';
import { beginRun, type Run, type RunInput, type RunnerDeps } from './run.js';
import { DISABLED, drainEnding, type RunOutcome, recordRun } from './run-record.js';

/**
 * A fetch: DESIGN's numbered path for one invocation of one instance, as its named steps. The steps
 * live beside it: the lease (fetch-lease.ts), the drain loop it shares with a replay (drain-pages.ts,
 * page-fetcher.ts), the history record (run-record.ts).
 */

export { COMMIT_RESERVE_MS, LEASE_GRACE_MS } from './drain-pages.js';
export type { RunInput, RunnerDeps } from './run.js';
export type { RunOutcome } from './run-record.js';

/**
 * Whether the drain loop may fetch the next page while the last one is pushed and committed. A
 * time-window fetch is a query, always safe to drop; an own-cursor connector says so with
 * `prefetch: true` (a source that consumes or marks what it hands out must not lose a dropped page).
 */
export const mayPrefetch = (connector: Connector): boolean =>
  connector.style === 'window' || connector.prefetch === true;

/** Step 3 for either connector style: a window connector's query goes through the look-back. */
const fetchOnce =
  (connector: Connector) => (ctx: ConnectorContext<unknown>, options: { readonly continuing: boolean }) =>
    connector.style === 'window' ? windowFetch(connector, ctx, options) : connector.fetchIncidents(ctx);

const commitNotTaken = (instanceId: string, cause: unknown) =>
  new StateUnavailableError(
    `Instance "${instanceId}": the state store did not take the commit (${errorMessage(cause)}); the last run is unchanged ` +
      "and the next fetch pushes the same incidents again (the endpoint drops duplicates). If it persists, check the state table's capacity and the function's network access.",
    { cause },
  );

/** Step 7 for a fetch: the conditional commit of each page, versions chained from the lease's read. */
const commitPages = (run: Run, leased: Leased) => {
  let version = leased.version;
  // Hour counts past the week go with the first commit (no extra request: see incident-counts.ts).
  let forgetHours = leased.forgetHours;
  return async (page: PushedPage): Promise<void> => {
    const request = {
      leaseId: run.runId,
      expectedVersion: version,
      lastRun: page.result.nextRun,
      now: page.now,
      release: page.last,
      pushed: page.counts.pushed,
      forgetHours,
      message: page.health,
    };
    version = await run.deps.store.commit(run.instanceId, request).catch((error: unknown) => {
      // A throttled or unreachable store is the store's failure, not an unexpected one.
      throw isFerryError(error) ? error : commitNotTaken(run.instanceId, error);
    });
    forgetHours = [];
  };
};

/** Steps 2–7 and 9: the drain loop from the leased last run (one previewed page in debug mode). */
const drainFromLastRun = (run: Run, leased: Leased): Promise<Drained> => {
  const { document, connector } = run.input;
  const steps: DrainSteps = {
    prepare: () =>
      preparePageFetcher({
        document,
        connector,
        secrets: run.input.secrets,
        store: run.deps.store,
        logger: run.logger,
        clock: run.clock,
        now: new Date(run.startedAt),
        fetch: fetchOnce(connector),
      }),
    commit: commitPages(run, leased),
  };
  return drainPages(steps, {
    from: leased.lastRun,
    sink: run.deps.sink,
    batch: { instance: document.id, connector: connector.name, runId: run.runId },
    quarantine: run.deps.quarantine,
    deadline: run.input.deadline,
    clock: run.clock,
    prefetch: mayPrefetch(connector),
    preview: run.debug,
  });
};

/** A failed drain: logged, and the lease given back with the failure (the last run stays as committed). */
const giveLeaseBack = async (run: Run, drained: Drained): Promise<void> => {
  const failure = failureOf(drained.error);
  run.logger.error(
    drained.committed.count > 0
      ? 'Fetch failed; the last run stays where the last committed page left it'
      : 'Fetch failed; the last run is unchanged',
    { error: failure },
  );
  if (run.debug) return;
  await run.deps.store
    .release(run.instanceId, {
      leaseId: run.runId,
      now: run.clock(),
      failure: redact(failure),
      message: drained.health,
    })
    .catch((error: unknown) => run.logger.error('Could not release the lease', { error }));
};

/** Step 8's writer for this run: a debug run is printed, not recorded. */
const recordDeps = (run: Run) => ({ ...run.deps, clock: run.clock, writeHistory: !run.debug });

/**
 * Runs one invocation for one instance. Never throws for a failed fetch: the failure is in the
 * outcome, the history and the health; it throws only when the store itself is unreachable at the
 * lease (nothing could be recorded).
 */
export const runFetch = async (input: RunInput, deps: RunnerDeps): Promise<RunOutcome> => {
  const run = beginRun(input, deps);
  if (!input.document.enabled && !run.debug) return recordRun(run, DISABLED, recordDeps(run));
  // 1. lease + read (a debug run only reads)
  const lease = await takeLease(run);
  if (lease.kind === 'ended') return recordRun(run, lease.ending, recordDeps(run));
  // 2–7 and 9. window, fetch, validate, dedupe, push, commit, drain
  const drained = await drainFromLastRun(run, lease);
  if (drained.error !== undefined) await giveLeaseBack(run, drained);
  // 8. history
  return recordRun(run, drainEnding(run.instanceId, lease.lastRun, drained), recordDeps(run));
};
