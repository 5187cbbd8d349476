import { stat } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { type ParseConfigOptions, type ParsedConfig, parseConfig } from './instance-documents.js';
import type { InstanceSource } from './instance-source.js';
import { readConfigJson } from './read-config-json.js';

/** Reads and validates `ferry.config.json`. Throws a ConfigError for a file that is not usable at all. */
export const loadConfigFile = async (
  path: string,
  options: Omit<ParseConfigOptions, 'now'> = {},
): Promise<ParsedConfig> => {
  const input = readConfigJson(path, 'Pass --config <file>, or run from the project root.');
  return parseConfig(input, path, options);
};

/**
 * The config file as an {@link InstanceSource}: re-read when it changes, so an edited parameter takes
 * effect on the next fetch, as an edited SSM parameter does in AWS.
 */
export const createFileInstanceSource = (
  path: string,
  options: Omit<ParseConfigOptions, 'now'> = {},
): InstanceSource & { load(): Promise<ParsedConfig> } => {
  let cached: { mtimeMs: number; config: ParsedConfig } | undefined;
  const load = async (): Promise<ParsedConfig> => {
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: -1 }));
    if (cached && cached.mtimeMs === mtimeMs) return cached.config;
    const config = await loadConfigFile(path, options);
    cached = { mtimeMs, config };
    return config;
  };
  return {
    load,
    async getInstance(instanceId) {
      const config = await load();
      const document = config.instances.find((instance) => instance.id === instanceId);
      if (document) return document;
      const error = config.errors.find((candidate) => candidate.instanceId === instanceId);
      if (error) throw error;
      throw new ConfigError(
        `Instance "${instanceId}" is not in ${path}. Known instances: ${config.instances.map((i) => i.id).join(', ') || 'none'}.`,
        instanceId,
        'id',
      );
    },
  };
};
