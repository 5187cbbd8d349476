import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { connectors } from '../functions/connectors.js';
import type { InstanceSource } from '../shared/config/instance-source.js';
import { createSecretResolver } from '../shared/config/secrets.js';
import { ConfigError } from '../shared/errors.js';
import { createFetchHandler, type FetchHandlerResult } from '../shared/handler/create-fetch-handler.js';
import type { Logger } from '../shared/logger.js';
import type { DeliveryLedger } from '../shared/state/delivery-ledger.js';
import type { ReplayStore } from '../shared/state/replay-store.js';
import type { StateStore } from '../shared/state/state-store.js';
import { createLambdaContext } from './lambda-context.js';

export type Operation = 'fetch' | 'debug' | 'test' | 'replay';

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
}

/** Invokes an instance's connector function the way Lambda would: one handler per connector. */
export type LocalInvoker = (
  instanceId: string,
  operation?: Operation,
  /** `replay`: the replay to continue. */
  options?: { replayId?: string },
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
      }),
    ]),
  );
  return async (instanceId, operation = 'fetch', extra = {}) => {
    const document = await options.instances.getInstance(instanceId);
    const handler = handlers.get(document.connector);
    if (!handler) {
      throw new ConfigError(
        `Instance "${instanceId}" names connector "${document.connector}", which does not exist. Known: ${[...handlers.keys()].join(', ')}.`,
      );
    }
    return handler(
      { instanceId, operation, ...(extra.replayId ? { replayId: extra.replayId } : {}) },
      createLambdaContext(`ferry-${document.connector}`, options.timeoutMs ?? 60_000),
    );
  };
};
