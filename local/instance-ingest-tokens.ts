import type { ParsedConfig } from '../shared/config/instance-documents.js';

/**
 * Per-instance ingestion tokens for `ferry start`, as the stack deploys them in AWS: an instance whose
 * sink is the local endpoint (`ferry` without `url`) and whose `token` is its own `{"env": ...}`
 * pushes with that value, and the endpoint accepts it for that instance only. Read from the config
 * file at each request (cached until the file changes), so an instance added while Ferry runs has its
 * token at once; a file that stops parsing keeps the last tokens read (the shared token works either
 * way). A token equal to the shared one is the shared one: it keeps access to every instance.
 */
export const localInstanceTokens = (
  load: () => Promise<ParsedConfig>,
  env: NodeJS.ProcessEnv = process.env,
): (() => Promise<Record<string, string>>) => {
  let last: Record<string, string> = {};
  return async () => {
    let config: ParsedConfig;
    try {
      config = await load();
    } catch {
      return last;
    }
    const tokens: Record<string, string> = {};
    for (const { id, sink } of config.instances) {
      if (sink.type !== 'ferry' || sink.url !== undefined || !sink.token || !('env' in sink.token)) continue;
      const value = env[sink.token.env];
      if (value) tokens[id] = value;
    }
    last = tokens;
    return tokens;
  };
};
