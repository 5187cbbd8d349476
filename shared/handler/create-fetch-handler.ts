import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { InstanceSource } from '../config/instance-source.js';
import type { InstanceDocument } from '../config/schema.js';
import type { SecretResolver } from '../config/secrets.js';
import type { Connector } from '../connector.js';
import { ConfigError, errorCode, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { type RedriveOutcome, runRedrive } from '../quarantine/redrive.js';
import { redact } from '../redact.js';
import { type ReplayOutcome, runReplay } from '../runner/replay.js';
import { type RunOutcome, runFetch } from '../runner/run-fetch.js';
import type { SinkDefaults } from '../sinks/create-sink.js';
import { createSinkFor } from '../sinks/create-sink.js';
import type { Sink } from '../sinks/sink.js';
import { emptyHistoryRecord, RunStatus } from '../state/history-record.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import type { ReplayStore } from '../state/replay-store.js';
import type { StateStore } from '../state/state-store.js';
import { type FetchEvent, fetchEventSchema } from './fetch-event.js';
import { runConnectorTest, type TestOutcome } from './run-connector-test.js';

export interface FetchHandlerDeps {
  readonly connector: Connector;
  readonly instances: InstanceSource;
  readonly store: StateStore;
  readonly secrets: SecretResolver;
  readonly logger: Logger;
  readonly sinkDefaults?: SinkDefaults;
  readonly clock?: () => number;
  readonly onOutcome?: (outcome: RunOutcome) => void;
  /** Where replays keep their progress; without it the function refuses `replay`. */
  readonly replays?: ReplayStore;
  /**
   * Makes each run's id, which is also its lease id. Locally it names the process, so that a restart can
   * release the leases of its crashed predecessor at once (local/lease-holder.ts). @default a UUID
   */
  readonly runId?: () => string;
  /** Where events that cannot become incidents are set aside; without it they fail the fetch. */
  readonly quarantine?: QuarantineStore;
}

export type FetchHandlerResult = RunOutcome | TestOutcome | ReplayOutcome | RedriveOutcome;

/** The sink of a debug fetch: the runner stops before the push, so reaching it is a bug. */
const debugSink: Sink = {
  type: 'debug',
  push: async () => {
    throw new Error('A debug fetch pushes nothing; the runner must stop before the push.');
  },
};

/**
 * A run that could not start because its configuration is unusable. Recorded in the history only for a
 * live fetch: the history is the schedule's record, and an operator's debug fetch or replay that could
 * not start answers the operator instead.
 */
const configFailure = async (
  deps: FetchHandlerDeps,
  instanceId: string,
  error: unknown,
  startedAt: number,
  operation: FetchEvent['operation'],
): Promise<RunOutcome> => {
  const outcome: RunOutcome = redact({
    ...emptyHistoryRecord({
      instanceId,
      connector: deps.connector.name,
      runId: randomUUID(),
      startedAt: new Date(startedAt).toISOString(),
      status: RunStatus.error,
    }),
    durationMs: (deps.clock ?? Date.now)() - startedAt,
    error: { code: errorCode(error), message: errorMessage(error) },
  });
  deps.logger.error('Instance configuration is unusable; fetch not run', {
    instanceId,
    error: outcome.error,
  });
  if (operation !== 'fetch') return outcome;
  await deps.store
    .writeHistory(outcome)
    .catch((writeError) => deps.logger.error('History write failed', { writeError }));
  deps.onOutcome?.(outcome);
  return outcome;
};

/**
 * The function every connector's Lambda runs (and `ferry start` runs locally): loads the instance's
 * document, builds its sink, and hands over to the runner. Wrapped with middy.
 */
export const createFetchHandler = (deps: FetchHandlerDeps) =>
  middy<FetchEvent, FetchHandlerResult, Error, Context>().handler(async (event, context) => {
    const clock = deps.clock ?? Date.now;
    const startedAt = clock();
    const parsedEvent = fetchEventSchema.safeParse(event);
    if (!parsedEvent.success) {
      throw new ConfigError(
        `The function was invoked with ${JSON.stringify(event)}; it expects {"instanceId": "<id>"} (the schedule's input).`,
      );
    }
    const { instanceId, operation, replayId, quarantineIds } = parsedEvent.data;
    let document: InstanceDocument;
    try {
      document = await deps.instances.getInstance(instanceId);
      if (document.connector !== deps.connector.name) {
        throw new ConfigError(
          `Instance "${instanceId}" is configured for connector "${document.connector}" but was sent to the "${deps.connector.name}" function; redeploy so its schedule targets the right function.`,
          instanceId,
          'connector',
        );
      }
    } catch (error) {
      if (operation === 'test')
        return { instanceId, ok: false, error: { code: errorCode(error), message: errorMessage(error) } };
      return configFailure(deps, instanceId, error, startedAt, operation);
    }
    const resolveSecrets = () => deps.secrets(instanceId, document.secrets);
    if (operation === 'test')
      return runConnectorTest({
        document,
        connector: deps.connector,
        resolveSecrets,
        store: deps.store,
        logger: deps.logger,
      });

    // A debug fetch pushes nothing, so it neither needs nor asks for the sink's credentials.
    let sink: Sink;
    try {
      sink =
        operation === 'debug' ? debugSink : await createSinkFor(document, deps.secrets, deps.sinkDefaults);
    } catch (error) {
      return configFailure(deps, instanceId, error, startedAt, operation);
    }
    if (operation === 'replay') {
      if (!deps.replays) {
        return {
          instanceId,
          error: { code: 'CONFIG_INVALID', message: 'This function was built without replay support.' },
        };
      }
      return runReplay(
        {
          document,
          connector: deps.connector,
          replayId: replayId!,
          ...(deps.runId ? { runId: deps.runId() } : {}),
          secrets: resolveSecrets,
          deadline: clock() + context.getRemainingTimeInMillis(),
        },
        {
          store: deps.store,
          replays: deps.replays,
          sink,
          logger: deps.logger,
          clock: deps.clock,
          quarantine: deps.quarantine,
        },
      );
    }
    if (operation === 'redrive') {
      if (!deps.quarantine) {
        return {
          instanceId,
          error: { code: 'CONFIG_INVALID', message: 'This function was built without a quarantine.' },
        };
      }
      return runRedrive(
        {
          document,
          connector: deps.connector,
          secrets: resolveSecrets,
          deadline: clock() + context.getRemainingTimeInMillis(),
          quarantineIds,
        },
        { store: deps.store, quarantine: deps.quarantine, sink, logger: deps.logger, clock: deps.clock },
      );
    }
    return runFetch(
      {
        document,
        connector: deps.connector,
        ...(deps.runId ? { runId: deps.runId() } : {}),
        secrets: resolveSecrets,
        deadline: clock() + context.getRemainingTimeInMillis(),
        mode: operation === 'debug' ? 'debug' : 'live',
      },
      {
        store: deps.store,
        sink,
        logger: deps.logger,
        clock: deps.clock,
        onOutcome: deps.onOutcome,
        quarantine: deps.quarantine,
      },
    );
  });
