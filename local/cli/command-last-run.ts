import { randomUUID } from 'node:crypto';
import type { LastRun } from '../../shared/connector.js';
import { ConfigError } from '../../shared/errors.js';
import { summarizeLastRun } from '../../shared/runner/summarize-last-run.js';
import { RunStatus } from '../../shared/state/history-record.js';
import type { CliEnvironment } from './environment.js';

/**
 * `ferry last-run <instance> [--reset | --set <json>]`. A change is refused while a fetch holds the
 * lease, and recorded in the fetch history (audited, like every operator action).
 */
export const commandLastRun = async (
  env: CliEnvironment,
  instanceId: string,
  options: { reset: boolean; set?: string; json: boolean },
): Promise<number> => {
  const current = await env.store.read(instanceId);
  if (!options.reset && options.set === undefined) {
    console.log(JSON.stringify(current?.lastRun ?? {}, null, 2));
    return 0;
  }
  let next: LastRun = {};
  if (options.set !== undefined) {
    try {
      next = JSON.parse(options.set) as LastRun;
    } catch (error) {
      throw new ConfigError(
        `--set needs a JSON object, such as '{"time":"2026-01-01T00:00:00Z"}': ${(error as Error).message}`,
      );
    }
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new ConfigError(`--set needs a JSON object, such as '{"time":"2026-01-01T00:00:00Z"}'.`);
    }
  }
  const document = await env.instances.getInstance(instanceId);
  const now = Date.now();
  await env.store.setLastRun(instanceId, { lastRun: next, now, expectedVersion: current?.version ?? 0 });
  const action = options.reset ? 'last run reset by an operator' : 'last run set by an operator';
  await env.store.writeHistory({
    instanceId,
    connector: document.connector,
    runId: randomUUID(),
    startedAt: new Date(now).toISOString(),
    durationMs: 0,
    status: RunStatus.operator,
    fetches: 0,
    pages: 0,
    pulled: 0,
    dropped: 0,
    pushed: 0,
    sourceIds: [],
    sourceIdCount: 0,
    action,
    lastRunBefore: summarizeLastRun(current?.lastRun),
    lastRunAfter: summarizeLastRun(next),
  });
  console.log(`${action}: ${JSON.stringify(summarizeLastRun(next))}`);
  return 0;
};
