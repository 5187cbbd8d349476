import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../errors.js';
import { parseInstanceDocument } from './instance-documents.js';
import type { InstanceDocument } from './schema.js';

/** Where a function finds an instance's document: SSM in AWS, the config file locally. */
export interface InstanceSource {
  /** Throws a ConfigError naming the instance when its document is missing or invalid. */
  getInstance(instanceId: string): Promise<InstanceDocument>;
}

/** The SSM parameter that holds an instance's document. */
export const instanceParameterName = (instanceId: string, prefix = '/ferry/instances/'): string =>
  `${prefix}${instanceId}`;

export interface SsmInstanceSourceOptions {
  readonly ssm: SSMClient;
  /** @default '/ferry/instances/' */
  readonly prefix?: string;
  /**
   * How long a document is cached. Short, so an edited parameter takes effect on the next fetch.
   * @default 5_000
   */
  readonly maxAgeMs?: number;
}

/** Reads instance documents from SSM Parameter Store with a short cache. */
export const createSsmInstanceSource = (options: SsmInstanceSourceOptions): InstanceSource => {
  const maxAgeMs = options.maxAgeMs ?? 5_000;
  const cache = new Map<string, { document: InstanceDocument; at: number }>();
  return {
    async getInstance(instanceId) {
      const cached = cache.get(instanceId);
      if (cached && Date.now() - cached.at < maxAgeMs) return cached.document;
      const name = instanceParameterName(instanceId, options.prefix);
      let text: string | undefined;
      try {
        const { Parameter } = await options.ssm.send(new GetParameterCommand({ Name: name }));
        text = Parameter?.Value;
      } catch (error) {
        if (!(error instanceof ParameterNotFound)) throw error;
      }
      if (!text) {
        throw new ConfigError(
          `Instance "${instanceId}" has no configuration: SSM parameter ${name} does not exist. ` +
            'Add the instance to ferry.config.json and run "npx cdk deploy", or remove its schedule.',
          instanceId,
          'id',
        );
      }
      const document = parseInstanceDocument(instanceId, text, `SSM ${name}`);
      cache.set(instanceId, { document, at: Date.now() });
      return document;
    },
  };
};
