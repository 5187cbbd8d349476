import { connectors } from '../../functions/connectors.js';
import type { LastRun } from '../../shared/connector.js';
import { ConfigError } from '../../shared/errors.js';
import { assertUsableLastRun } from '../../shared/operator/check-last-run.js';
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
  // Checked against the connector before anything is written: a cursor its next fetch cannot use
  // would wedge the instance (every fetch STATE_CORRUPT) instead of repairing it.
  const connector = await env.connectorOf(instanceId);
  assertUsableLastRun(
    instanceId,
    Object.hasOwn(connectors, connector) ? connectors[connector] : undefined,
    next,
  );
  // A misconfigured instance's cursor can be reset too; a corrupted one repaired (see setLastRunAudited).
  const { action, after } = await setLastRunAudited(env.store, {
    instanceId,
    connector,
    lastRun: next,
    kind: options.reset ? 'reset' : 'set',
  });
  console.log(`${action}: ${JSON.stringify(after)}`);
  return 0;
};
