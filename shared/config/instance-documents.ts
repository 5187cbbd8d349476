import type { Connector } from '../connector.js';
import { ConfigError } from '../errors.js';
import { configErrorFromIssues } from './issues.js';
import { parseJsonText } from './parse-json-text.js';
import { resolveParams } from './resolve-settings.js';
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

export interface ParseConfigOptions {
  /**
   * The connectors that exist, by name. When given, each instance's connector must be one of them and
   * its parameters must pass the connector's schema, so a typo is reported when the file is read
   * rather than at the first fetch. @default no connector checks
   */
  readonly connectors?: Readonly<Record<string, Connector>>;
  /** What `first_fetch` is resolved against while checking. @default new Date() */
  readonly now?: Date;
}

/** Checks an instance against its connector: the connector exists and its parameters are valid. */
const connectorProblem = (
  document: InstanceDocument,
  where: string,
  options: ParseConfigOptions,
): ConfigError | undefined => {
  const { connectors } = options;
  if (!connectors) return undefined;
  const connector = Object.hasOwn(connectors, document.connector)
    ? connectors[document.connector]
    : undefined;
  if (!connector) {
    return new ConfigError(
      `${where}: connector "${document.connector}" does not exist. Set "connector" to one of: ${Object.keys(connectors).join(', ') || 'none'}.`,
      document.id,
      'connector',
    );
  }
  try {
    resolveParams(document, connector, options.now ?? new Date());
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
};

/** Validates a parsed `ferry.config.json` and builds each instance's document. */
export const parseConfig = (
  input: unknown,
  source = 'ferry.config.json',
  options: ParseConfigOptions = {},
): ParsedConfig => {
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
    const document: InstanceDocument = {
      ...parsed.data,
      id,
      sink: parsed.data.sink ?? file.sink,
      historyRetentionDays: file.historyRetentionDays,
    };
    const problem = connectorProblem(document, where, options);
    if (problem) errors.push(problem);
    else instances.push(document);
  }
  return { file, instances, errors };
};

/** Parses one instance document as stored in SSM; throws a ConfigError naming the instance. */
export const parseInstanceDocument = (instanceId: string, text: string, source: string): InstanceDocument => {
  const json = parseJsonText(text);
  if ('error' in json) {
    throw new ConfigError(
      `${source}: the document of instance "${instanceId}" is not valid JSON (${json.error}). Fix the parameter value.`,
      instanceId,
    );
  }
  const input = json.value;
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
