import { color } from './format.js';
import type { OperatorEnvironment } from './operator-environment.js';

/** `ferry test <instance>`: XSOAR's Test button. Prints `ok` (exit 0) or what failed (exit 1). */
export const commandTest = async (
  env: Pick<OperatorEnvironment, 'invoke'>,
  instanceId: string,
): Promise<number> => {
  const outcome = await env.invoke(instanceId, 'test');
  if (outcome.kind === 'test' && outcome.ok) {
    console.log(color.green('ok'));
    for (const note of outcome.notes ?? []) console.log(color.dim(`note: ${note}`));
    return 0;
  }
  const { error } = outcome;
  console.log(color.red(`failed: ${error?.message ?? 'unknown error'}`));
  return 1;
};
