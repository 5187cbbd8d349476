import { resolve } from 'node:path';
import { connectors } from '../../functions/connectors.js';
import { DynamoIncidentStore } from '../../functions/ingest/incident-store.js';
import { createFileInstanceSource } from '../../shared/config/load-config-file.js';
import { createLogger } from '../../shared/logger.js';
import { DynamoDeliveryLedger } from '../../shared/state/delivery-ledger.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import { DynamoQuarantineStore } from '../../shared/state/quarantine-store.js';
import { DynamoReplayStore } from '../../shared/state/replay-store.js';
import type { StateStore } from '../../shared/state/state-store.js';
import { createLocalDynamoClient } from '../dynamodb.js';
import { externalDynamoClient } from '../external-dynamo.js';
import { createLocalInvoker, type LocalInvoker } from '../local-invoker.js';
import { applyLocalDefaults, readRuntime } from '../runtime.js';
import { startLocalSystem } from '../system.js';
import { defaultTableNames } from '../tables.js';
import { connectorOfEntry, listingFromConfig, type OperatorEnvironment } from './operator-environment.js';

/** The config file as the operator commands read it. */
const instanceLookups = (instances: ReturnType<typeof createFileInstanceSource>) => ({
  listInstances: async () => listingFromConfig(await instances.load()),
  connectorOf: async (instanceId: string) =>
    connectorOfEntry((await instances.load()).file.instances[instanceId]),
});

/** What a CLI command works with, whether or not `ferry start` is running. */
export interface CliEnvironment extends OperatorEnvironment {
  readonly store: StateStore;
  readonly incidents: DynamoIncidentStore;
  readonly invoke: LocalInvoker;
  readonly instances: ReturnType<typeof createFileInstanceSource>;
  /** `running`: attached to a `ferry start`; `embedded`: started just for this command. */
  readonly mode: 'running' | 'embedded';
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
  // Silent unless asked: a command prints its own failure once, as text (LOG_LEVEL=ERROR adds the JSON).
  const logger = createLogger({ level: (process.env.LOG_LEVEL as 'ERROR' | undefined) ?? 'SILENT' });
  const instances = createFileInstanceSource(configPath, { connectors });
  const running = await readRuntime(resolve(options.dataDir));
  if (running) {
    // The same local credentials the running system filled for itself (the embedded one fills its own).
    applyLocalDefaults(process.env, running.defaultedVariables ?? []);
    // An external DynamoDB is reached as `ferry start` reaches it: the SDK's credentials and its region
    // (a DynamoDB Local without -sharedDb keeps a database per access key and region); the embedded one
    // with the local placeholders.
    const client =
      running.dynamoEngine === 'external'
        ? externalDynamoClient(running.dynamoEndpoint, process.env, running.dynamoRegion)
        : createLocalDynamoClient(running.dynamoEndpoint);
    const store = new DynamoStateStore({ client, tableName: defaultTableNames.state });
    const replays = new DynamoReplayStore({ client, tableName: defaultTableNames.state });
    const quarantine = new DynamoQuarantineStore({ client, tableName: defaultTableNames.state });
    return {
      store,
      replays,
      quarantine,
      incidents: new DynamoIncidentStore({ client, tableName: defaultTableNames.incidents }),
      invoke: createLocalInvoker({
        instances,
        store,
        replays,
        quarantine,
        ingestUrl: running.ingestUrl,
        logger,
        ledger: new DynamoDeliveryLedger({ client, tableName: defaultTableNames.state }),
      }),
      instances,
      ...instanceLookups(instances),
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
    // A one-shot command on a busy machine: the JVM may take longer than a long-running start waits.
    dynamoStartTimeoutMs: 90_000,
    logger,
  });
  return {
    store: system.store,
    replays: system.replays,
    quarantine: system.quarantine,
    incidents: system.incidents,
    invoke: system.invoke,
    instances,
    ...instanceLookups(instances),
    mode: 'embedded',
    close: () => system.stop(),
  };
};
