import type { LastRun } from '../../shared/connector.js';
import { ConfigError } from '../../shared/errors.js';
import { setLastRunAudited } from '../../shared/operator/set-last-run.js';
import type { OperatorEnvironment } from './operator-environment.js';

/**
 * `ferry last-run <instance> [--reset | --set <json>]`. A change is refused while a fetch holds the
 * lease, and recorded in the fetch history (audited, like every operator action).
 */
export const commandLastRun = async (
  env: Pick<OperatorEnvironment, 'store' | 'connectorOf'>,
  instanceId: string,
  options: { reset: boolean; set?: string; json: boolean },
): Promise<number> => {
  if (options.reset && options.set !== undefined) {
    throw new ConfigError('Use either --reset or --set <json>, not both.');
  }
  if (!options.reset && options.set === undefined) {
    // A corrupted item throws here with the repair in its message.
    const current = await env.store.read(instanceId);
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
  // A misconfigured instance's cursor can be reset too; a corrupted one repaired (see setLastRunAudited).
  const { action, after } = await setLastRunAudited(env.store, {
    instanceId,
    connector: await env.connectorOf(instanceId),
    lastRun: next,
    kind: options.reset ? 'reset' : 'set',
  });
  console.log(`${action}: ${JSON.stringify(after)}`);
  return 0;
};
