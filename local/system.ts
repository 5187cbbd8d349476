import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { connectors } from '../functions/connectors.js';
import { DynamoIncidentStore } from '../functions/ingest/incident-store.js';
import { type IngestServer, startIngestServer } from '../functions/ingest/server.js';
import { createFileInstanceSource } from '../shared/config/load-config-file.js';
import type { ConfigError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { RunOutcome } from '../shared/runner/run-fetch.js';
import { flexibleWindowMs } from '../shared/schedule-window.js';
import { DynamoDeliveryLedger } from '../shared/state/delivery-ledger.js';
import { DynamoStateStore } from '../shared/state/dynamo-state-store.js';
import { DynamoQuarantineStore } from '../shared/state/quarantine-store.js';
import { DynamoReplayStore } from '../shared/state/replay-store.js';
import { connectorOfEntry, listingFromConfig } from './cli/operator-environment.js';
import { type DashboardServer, startDashboard } from './dashboard/server.js';
import { applyDemoBehaviour, demoBehaviourFromEnv } from './demo-source/demo-behaviour.js';
import { type DemoSource, startDemoSource } from './demo-source/server.js';
import { createLocalDynamoClient, type LocalDynamo, startLocalDynamo } from './dynamodb.js';
import { externalDynamo } from './external-dynamo.js';
import { localInstanceTokens } from './instance-ingest-tokens.js';
import { localHolderPrefix } from './lease-holder.js';
import { createLocalInvoker, type LocalInvoker } from './local-invoker.js';
import { applyLocalDefaults, defaultLocal, type RuntimeInfo, runtimeFile } from './runtime.js';
import { type ScheduledRun, type Scheduler, startScheduler } from './scheduler.js';
import { defaultTableNames, ensureTables } from './tables.js';

export interface LocalSystemOptions {
  /** @default 'ferry.config.json' */
  readonly configPath?: string;
  /** Where DynamoDB keeps its data between restarts. @default '.ferry' */
  readonly dataDir?: string;
  /** Keep DynamoDB in memory (tests). @default false */
  readonly inMemory?: boolean;
  /** @default 8787; 0 picks a free port */
  readonly ingestPort?: number;
  /** @default 8788; 0 picks a free port */
  readonly demoPort?: number;
  /** @default a free port */
  readonly dynamoPort?: number;
  /** How long DynamoDB may take to start. @default 30_000 */
  readonly dynamoStartTimeoutMs?: number;
  /** Start the demo alert source. @default true */
  readonly demoSource?: boolean;
  /** Serve the dashboard on 127.0.0.1 (`ferry start` does). @default false */
  readonly dashboard?: boolean;
  /** @default 8790; 0 picks a free port */
  readonly dashboardPort?: number;
  /** Run the scheduler. @default true */
  readonly schedule?: boolean;
  /**
   * Fire each schedule at a random time inside its flexible window, as the deployed stack's EventBridge
   * schedules do (shared/schedule-window.ts): instances started together do not fetch together.
   * @default false: every instance fetches at once at start, then every interval
   */
  readonly spreadSchedules?: boolean;
  /**
   * Scheduled fetches in flight at most; due ones beyond it wait (their delay is measured). One process
   * and one DynamoDB Local stand in for every Lambda: past a few dozen fetches at once each only gets
   * slower (2,000 instances unbounded: fetches took 30 s and ran into their deadline), while fewer
   * at once keep each one short. @default 32
   */
  readonly maxConcurrentFetches?: number;
  /** Called after every scheduled fetch (the CLI prints one line per fetch), with the slot it ran. */
  readonly onFetch?: (outcome: RunOutcome, run: ScheduledRun) => void;
  /** Called when a scheduled invocation threw instead of recording an outcome. @default logged */
  readonly onFetchFailed?: (error: unknown, run: ScheduledRun) => void;
  /** Each invocation's time budget, like a Lambda timeout. @default 60_000 */
  readonly functionTimeoutMs?: number;
  readonly logger?: Logger;
}

export interface LocalSystem {
  readonly ingest: IngestServer;
  readonly demo?: DemoSource;
  readonly dynamo: LocalDynamo;
  /** The one DynamoDB client every store of the system sends through. */
  readonly client: DynamoDBClient;
  readonly store: DynamoStateStore;
  readonly incidents: DynamoIncidentStore;
  readonly scheduler?: Scheduler;
  /** Replays' progress items (`ferry replay`), in the state table. */
  readonly replays: DynamoReplayStore;
  /** Events set aside because they could not become incidents (`ferry quarantine`), in the state table. */
  readonly quarantine: DynamoQuarantineStore;
  readonly dashboard?: DashboardServer;
  readonly runtime: RuntimeInfo;
  /** Instances the config file lists but that cannot run (each error names the instance and the fix). */
  readonly configErrors: readonly ConfigError[];
  /** Invokes an instance's function once, exactly as the scheduler does. */
  readonly invoke: LocalInvoker;
  stop(): Promise<void>;
}

/**
 * The whole of Ferry on one machine: embedded DynamoDB, the ingestion endpoint, the demo source, and a
 * scheduler that invokes each instance through the same handler, runner and store code as the Lambda.
 */
export const startLocalSystem = async (options: LocalSystemOptions = {}): Promise<LocalSystem> => {
  const configPath = resolve(options.configPath ?? 'ferry.config.json');
  const dataDir = resolve(options.dataDir ?? '.ferry');
  const logger = options.logger ?? createLogger({ level: 'WARN' });
  const instances = createFileInstanceSource(configPath, { connectors });
  // Fail fast on an unreadable file; a bad instance is reported and the others run.
  const { errors: configErrors } = await instances.load();
  for (const error of configErrors) logger.warn('Instance not scheduled', { error: error.message });

  // Whatever the operator left unset, as the config's {"env": ...} references expect it (see runtime.ts).
  const defaultedVariables = applyLocalDefaults();

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    // Newest first; splice so a second stop() has nothing left to undo.
    for (const fn of stops.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    // An existing DynamoDB when AWS_ENDPOINT_URL_DYNAMODB names one (as the SDK reads it), else embedded.
    const external = externalDynamo();
    const dynamo =
      external?.dynamo ??
      (await startLocalDynamo({
        dataDir: options.inMemory ? undefined : join(dataDir, 'dynamodb'),
        port: options.dynamoPort,
        startTimeoutMs: options.dynamoStartTimeoutMs,
      }));
    stops.push(() => dynamo.stop());
    const client = external?.client ?? createLocalDynamoClient(dynamo.endpoint);
    // Created if missing, on an existing DynamoDB as on the embedded one.
    await ensureTables(client, defaultTableNames);
    const store = new DynamoStateStore({ client, tableName: defaultTableNames.state });
    const incidents = new DynamoIncidentStore({ client, tableName: defaultTableNames.incidents });
    const replays = new DynamoReplayStore({ client, tableName: defaultTableNames.state });
    const quarantine = new DynamoQuarantineStore({ client, tableName: defaultTableNames.state });

    const ingest = await startIngestServer({
      store: incidents,
      token: process.env.FERRY_INGEST_TOKEN || defaultLocal.ingestToken,
      instanceTokens: localInstanceTokens(() => instances.load()),
      port: options.ingestPort ?? defaultLocal.ingestPort,
      logger,
    });
    stops.push(() => ingest.close());

    let demo: DemoSource | undefined;
    if (options.demoSource ?? true) {
      demo = await startDemoSource({
        apiKey: process.env.DEMO_API_KEY || defaultLocal.demoApiKey,
        port: options.demoPort ?? defaultLocal.demoPort,
        // Each start generates afresh: ids unique to this start keep alerts distinct downstream.
        idPrefix: `A${Date.now().toString(36).toUpperCase()}`,
      });
      stops.push(() => demo!.close());
      const stopBursts = applyDemoBehaviour(demo, demoBehaviourFromEnv());
      stops.push(async () => stopBursts());
    }

    const invoke = createLocalInvoker({
      instances,
      store,
      ingestUrl: ingest.url,
      logger,
      timeoutMs: options.functionTimeoutMs,
      replays,
      quarantine,
      ledger: new DynamoDeliveryLedger({ client, tableName: defaultTableNames.state }),
    });

    let dashboard: DashboardServer | undefined;
    if (options.dashboard) {
      dashboard = await startDashboard({
        port: options.dashboardPort ?? defaultLocal.dashboardPort,
        deps: {
          mode: 'running',
          store,
          replays,
          quarantine,
          invoke,
          listInstances: async () => listingFromConfig(await instances.load()),
          connectorOf: async (id) => connectorOfEntry((await instances.load()).file.instances[id]),
        },
      });
      stops.push(() => dashboard!.close());
    }

    const runtime: RuntimeInfo = {
      pid: process.pid,
      defaultedVariables,
      dynamoEndpoint: dynamo.endpoint,
      dynamoEngine: dynamo.engine,
      ...(external ? { dynamoRegion: external.region } : {}),
      ingestUrl: ingest.url,
      demoUrl: demo?.url,
      dashboardUrl: dashboard?.url,
      configPath,
      startedAt: new Date().toISOString(),
      leaseHolder: localHolderPrefix(),
    };
    await mkdir(dataDir, { recursive: true });
    await writeFile(runtimeFile(dataDir), `${JSON.stringify(runtime, null, 2)}\n`);
    stops.push(() => rm(runtimeFile(dataDir), { force: true }));

    let scheduler: Scheduler | undefined;
    if (options.schedule ?? true) {
      scheduler = startScheduler({
        instances: async () => (await instances.load()).instances,
        invoke: async (document, run) => {
          try {
            const outcome = await invoke(document.id, 'fetch');
            if (outcome.kind === 'fetch') options.onFetch?.(outcome, run);
          } catch (error) {
            if (!options.onFetchFailed) throw error;
            options.onFetchFailed(error, run);
          }
        },
        window: options.spreadSchedules ? flexibleWindowMs : undefined,
        maxConcurrent: options.maxConcurrentFetches ?? 32,
        onError: (error) => logger.error('Scheduled invocation failed', { error }),
      });
      stops.push(() => scheduler!.stop());
    }

    return {
      ingest,
      demo,
      dynamo,
      client,
      store,
      incidents,
      scheduler,
      runtime,
      configErrors,
      invoke,
      replays,
      quarantine,
      dashboard,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
