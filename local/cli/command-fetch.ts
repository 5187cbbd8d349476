import { redact } from '../../shared/redact.js';
import { color } from './format.js';
import type { OperatorEnvironment } from './operator-environment.js';

/**
 * `ferry fetch <instance> [--debug] [--json]`: one fetch, exactly as the schedule runs it. With
 * `--debug` the incidents are printed and nothing is pushed, committed or recorded (XSOAR's debug
 * mode); a failed debug fetch says it failed, not that nothing was new.
 */
export const commandFetch = async (
  env: Pick<OperatorEnvironment, 'invoke'>,
  instanceId: string,
  options: { debug: boolean; json: boolean },
): Promise<number> => {
  const outcome = await env.invoke(instanceId, options.debug ? 'debug' : 'fetch');
  if (outcome.kind !== 'fetch') return 1;
  if (options.debug) {
    if (outcome.status === 'ok') {
      console.log(JSON.stringify(redact(outcome.incidents ?? []), null, 2));
      console.error(
        color.dim(`${outcome.incidents?.length ?? 0} incidents; nothing pushed, nothing committed (debug).`),
      );
      for (const set of outcome.quarantine ?? [])
        console.error(
          color.yellow(`would quarantine ${set.sourceId ?? set.quarantineId}: ${redact(set.reason.message)}`),
        );
    }
  } else if (options.json) {
    console.log(JSON.stringify(outcome, null, 2));
  } else {
    console.log(
      `${outcome.status}: pulled ${outcome.pulled}, pushed ${outcome.pushed}, dropped ${outcome.dropped} in ${outcome.durationMs}ms`,
    );
  }
  // Why a fetch did not run (another holds the lease, the instance is disabled).
  if (!outcome.error && outcome.status !== 'ok' && outcome.message) console.error(outcome.message);
  if (outcome.error) {
    const what = options.debug ? 'debug fetch failed (nothing pushed, nothing committed): ' : '';
    console.error(color.red(`${what}${outcome.error.code}: ${outcome.error.message}`));
  }
  return outcome.status === 'ok' ? 0 : 1;
};
