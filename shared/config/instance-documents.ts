import { ConfigError } from '../errors.js';
import { configErrorFromIssues } from './issues.js';
import {
  type FerryConfigFile,
  ferryConfigSchema,
  type InstanceDocument,
  instanceDocumentSchema,
  instanceIdSchema,
  instanceSchema,
} from './schema.js';

/** A config file split into instance documents; one bad instance never stops the others. */
export interface ParsedConfig {
  readonly file: FerryConfigFile;
  readonly instances: InstanceDocument[];
  readonly errors: ConfigError[];
}

/** Validates a parsed `ferry.config.json` and builds each instance's document. */
export const parseConfig = (input: unknown, source = 'ferry.config.json'): ParsedConfig => {
  const parsedFile = ferryConfigSchema.safeParse(input);
  if (!parsedFile.success) throw configErrorFromIssues(source, parsedFile.error.issues, { input });
  const file = parsedFile.data;
  const instances: InstanceDocument[] = [];
  const errors: ConfigError[] = [];
  for (const [id, raw] of Object.entries(file.instances)) {
    const where = `${source}: instance "${id}"`;
    const validId = instanceIdSchema.safeParse(id);
    if (!validId.success) {
      errors.push(new ConfigError(`${where}: the id ${validId.error.issues[0]?.message}.`, id, 'id'));
      continue;
    }
    const parsed = instanceSchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(configErrorFromIssues(where, parsed.error.issues, { instanceId: id, input: raw }));
      continue;
    }
    instances.push({
      ...parsed.data,
      id,
      sink: parsed.data.sink ?? file.sink,
      historyRetentionDays: file.historyRetentionDays,
    });
  }
  return { file, instances, errors };
};

/** Parses one instance document as stored in SSM; throws a ConfigError naming the instance. */
export const parseInstanceDocument = (instanceId: string, text: string, source: string): InstanceDocument => {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `${source}: the document of instance "${instanceId}" is not valid JSON (${(error as Error).message}). Fix the parameter value.`,
      instanceId,
      undefined,
      { cause: error },
    );
  }
  const parsed = instanceDocumentSchema.safeParse(input);
  if (!parsed.success) {
    throw configErrorFromIssues(`${source}: instance "${instanceId}"`, parsed.error.issues, {
      instanceId,
      input,
    });
  }
  if (parsed.data.id !== instanceId) {
    throw new ConfigError(
      `${source}: the document names instance "${parsed.data.id}" but is stored for "${instanceId}"; fix its "id".`,
      instanceId,
      'id',
    );
  }
  return parsed.data;
};
