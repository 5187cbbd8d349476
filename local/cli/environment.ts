import { resolve } from 'node:path';
import { DynamoIncidentStore } from '../../functions/ingest/incident-store.js';
import { createFileInstanceSource } from '../../shared/config/load-config-file.js';
import { createLogger } from '../../shared/logger.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import type { StateStore } from '../../shared/state/state-store.js';
import { createLocalDynamoClient } from '../dynamodb.js';
import { createLocalInvoker, type LocalInvoker } from '../local-invoker.js';
import { readRuntime } from '../runtime.js';
import { startLocalSystem } from '../system.js';
import { defaultTableNames } from '../tables.js';

/** What a CLI command works with, whether or not `ferry start` is running. */
export interface CliEnvironment {
  readonly store: StateStore;
  readonly incidents: DynamoIncidentStore;
  readonly invoke: LocalInvoker;
  readonly instances: ReturnType<typeof createFileInstanceSource>;
  /** `running`: attached to a `ferry start`; `embedded`: started just for this command. */
  readonly mode: 'running' | 'embedded';
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  readonly configPath: string;
  readonly dataDir: string;
}

/**
 * Attaches to a running `ferry start` (its DynamoDB and ingestion endpoint) or, when none runs, starts
 * an embedded one on the same data directory for the length of the command.
 */
export const openEnvironment = async (options: EnvironmentOptions): Promise<CliEnvironment> => {
  const configPath = resolve(options.configPath);
  const logger = createLogger({ level: (process.env.LOG_LEVEL as 'ERROR' | undefined) ?? 'ERROR' });
  const instances = createFileInstanceSource(configPath);
  const running = await readRuntime(resolve(options.dataDir));
  if (running) {
    const client = createLocalDynamoClient(running.dynamoEndpoint);
    const store = new DynamoStateStore({ client, tableName: defaultTableNames.state });
    return {
      store,
      incidents: new DynamoIncidentStore({ client, tableName: defaultTableNames.incidents }),
      invoke: createLocalInvoker({ instances, store, ingestUrl: running.ingestUrl, logger }),
      instances,
      mode: 'running',
      close: async () => client.destroy(),
    };
  }
  const system = await startLocalSystem({
    configPath,
    dataDir: options.dataDir,
    schedule: false,
    ingestPort: 0,
    demoSource: false,
    logger,
  });
  return {
    store: system.store,
    incidents: system.incidents,
    invoke: system.invoke,
    instances,
    mode: 'embedded',
    close: () => system.stop(),
  };
};
