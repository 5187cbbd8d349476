import { formatHistory } from './format.js';
import type { OperatorEnvironment } from './operator-environment.js';

/** `ferry history <instance> [--limit N] [--json]`: the fetch history, newest first. */
export const commandHistory = async (
  env: Pick<OperatorEnvironment, 'store'>,
  instanceId: string,
  options: { limit: number; json: boolean },
): Promise<number> => {
  const records = await env.store.listHistory(instanceId, { limit: options.limit });
  console.log(options.json ? JSON.stringify(records, null, 2) : formatHistory(records));
  return 0;
};
