import type { InstanceDocument } from '../config/schema.js';
import type { SecretResolver } from '../config/secrets.js';
import { ConfigError } from '../errors.js';
import { createFerrySink } from './ferry-sink.js';
import type { Sink } from './sink.js';

export interface SinkDefaults {
  /** The ingestion endpoint when the config names none (the deployed API, or the local one). */
  readonly ferryUrl?: string;
}

/** Builds the sink an instance pushes to: its own override, else the deployment's. */
export const createSinkFor = async (
  document: InstanceDocument,
  resolveSecrets: SecretResolver,
  defaults: SinkDefaults = {},
): Promise<Sink> => {
  const config = document.sink;
  switch (config.type) {
    case 'ferry': {
      const url = config.url ?? defaults.ferryUrl;
      if (!url) {
        throw new ConfigError(
          `Instance "${document.id}": the "ferry" sink has no URL. Set "sink.url" in ferry.config.json, or FERRY_INGEST_URL.`,
          document.id,
          'sink.url',
        );
      }
      const secrets = config.token ? await resolveSecrets(document.id, { token: config.token }) : {};
      return createFerrySink({
        url,
        token: secrets.token,
        batchSize: config.batchSize,
        allowInsecure: config.allowInsecure,
      });
    }
  }
};
