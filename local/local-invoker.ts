import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { connectors } from '../functions/connectors.js';
import type { InstanceSource } from '../shared/config/instance-source.js';
import { createSecretResolver } from '../shared/config/secrets.js';
import { ConfigError } from '../shared/errors.js';
import { createFetchHandler, type FetchHandlerResult } from '../shared/handler/create-fetch-handler.js';
import type { Logger } from '../shared/logger.js';
import type { DeliveryLedger } from '../shared/state/delivery-ledger.js';
import type { QuarantineStore } from '../shared/state/quarantine-store.js';
import type { ReplayStore } from '../shared/state/replay-store.js';
import type { StateStore } from '../shared/state/state-store.js';
import { createLambdaContext } from './lambda-context.js';
import { localRunId, releaseDeadLocalLease } from './lease-holder.js';

export type Operation = 'fetch' | 'debug' | 'test' | 'replay' | 'redrive';

export interface LocalInvokerOptions {
  readonly instances: InstanceSource;
  readonly store: StateStore;
  readonly ingestUrl: string;
  readonly logger: Logger;
  /** Each invocation's time budget, like a Lambda timeout. @default 60_000 */
  readonly timeoutMs?: number;
  /** The delivery ledger (state table) the xsoar sink needs. */
  readonly ledger?: DeliveryLedger;
  /** Where replays keep their progress (the state table); without it `replay` is refused. */
  readonly replays?: ReplayStore;
  /** Where invalid events are set aside (the state table); without it they fail the fetch. */
  readonly quarantine?: QuarantineStore;
}

/** Invokes an instance's connector function the way Lambda would: one middy handler per connector. */
export type LocalInvoker = (
  instanceId: string,
  operation?: Operation,
  /** `replay`: the replay to continue; `redrive`: the quarantined events (default all held). */
  options?: { replayId?: string; quarantineIds?: string[] },
) => Promise<FetchHandlerResult>;

/** Builds one handler per connector, exactly as each connector's Lambda entry does, with local wiring. */
export const createLocalInvoker = (options: LocalInvokerOptions): LocalInvoker => {
  const secrets = createSecretResolver();
  const eventBridge = new EventBridgeClient({});
  const handlers = new Map(
    Object.values(connectors).map((connector) => [
      connector.name,
      createFetchHandler({
        connector,
        instances: options.instances,
        store: options.store,
        secrets,
        logger: options.logger,
        // As in the Lambda: the xsoar sink's ledger in the state table, EventBridge by the SDK's own
        // configuration (AWS_ENDPOINT_URL_EVENTBRIDGE points it at a local endpoint).
        sinkDefaults: { ferryUrl: options.ingestUrl, ledger: options.ledger, eventBridge },
        replays: options.replays,
        // Leases taken here name this process: a restart can tell its dead predecessor's (lease-holder.ts).
        runId: localRunId,
        quarantine: options.quarantine,
      }),
    ]),
  );
  // Instances whose lease this process has looked at since it started (see below).
  const looked = new Set<string>();
  /** Releases the instance's lease if a local process that died holds it; true if it did. */
  const releaseIfDead = async (instanceId: string, connector: string): Promise<boolean> => {
    const released = await releaseDeadLocalLease(options.store, instanceId, connector).catch(() => undefined);
    if (released)
      options.logger.warn('Released the lease of a dead local run', { instanceId, leaseId: released });
    return released !== undefined;
  };
  return async (instanceId, operation = 'fetch', extra = {}) => {
    const document = await options.instances.getInstance(instanceId);
    const handler = handlers.get(document.connector);
    if (!handler) {
      throw new ConfigError(
        `Instance "${instanceId}" names connector "${document.connector}", which does not exist. Known: ${[...handlers.keys()].join(', ')}.`,
      );
    }
    const run = () =>
      handler(
        {
          instanceId,
          operation,
          ...(extra.replayId ? { replayId: extra.replayId } : {}),
          ...(extra.quarantineIds ? { quarantineIds: extra.quarantineIds } : {}),
        },
        createLambdaContext(`ferry-${document.connector}`, options.timeoutMs ?? 60_000),
      );
    if (operation !== 'fetch' && operation !== 'replay') return run();
    // A lease held by a local process that died (the previous `ferry start`, a killed `ferry fetch`)
    // is released rather than waited out: looked for before this process's first run of the instance
    // (a restart finds its predecessor's at once), and later only when a run was skipped for a held
    // lease, so that a steady fetch pays no extra read for it.
    if (!looked.has(instanceId)) {
      looked.add(instanceId);
      await releaseIfDead(instanceId, document.connector);
    }
    const result = await run();
    const skipped = result.kind === 'fetch' && result.status === 'skipped';
    return skipped && (await releaseIfDead(instanceId, document.connector)) ? run() : result;
  };
};
