import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { InstanceSource } from '../config/instance-source.js';
import type { InstanceDocument } from '../config/schema.js';
import type { SecretResolver } from '../config/secrets.js';
import type { Connector } from '../connector.js';
import { ConfigError, failureOf } from '../errors.js';
import type { Logger } from '../logger.js';
import { redact } from '../redact.js';
import { runReplay } from '../runner/replay.js';
import { type RunOutcome, runFetch } from '../runner/run-fetch.js';
import type { SinkDefaults } from '../sinks/create-sink.js';
import { createSinkFor } from '../sinks/create-sink.js';
import type { Sink } from '../sinks/sink.js';
import { emptyHistoryRecord, RunStatus } from '../state/history-record.js';
import type { ReplayStore } from '../state/replay-store.js';
import type { StateStore } from '../state/state-store.js';
import { type FetchEvent, fetchEventSchema } from './fetch-event.js';
import type { FetchHandlerResult } from './fetch-handler-result.js';
import { runConnectorTest } from './run-connector-test.js';

export type { FetchHandlerResult } from './fetch-handler-result.js';

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
}

/** What every connector's Lambda exports (and `ferry start` calls): one event in, one tagged result out. */
export type FetchHandler = (
  event: FetchEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<FetchHandlerResult>;

/** Records a run that could not start because its configuration is unusable, then returns it. */
const configFailure = async (
  deps: FetchHandlerDeps,
  instanceId: string,
  error: unknown,
  startedAt: number,
): Promise<RunOutcome> => {
  const outcome: RunOutcome = redact({
    ...emptyHistoryRecord({
      instanceId,
      connector: deps.connector.name,
      runId: randomUUID(),
      startedAt: new Date(startedAt).toISOString(),
      status: RunStatus.error,
    }),
    kind: 'fetch',
    durationMs: (deps.clock ?? Date.now)() - startedAt,
    error: failureOf(error),
  });
  deps.logger.error('Instance configuration is unusable; fetch not run', {
    instanceId,
    error: outcome.error,
  });
  const { kind: _answer, ...record } = outcome;
  await deps.store
    .writeHistory(record)
    .catch((writeError) => deps.logger.error('History write failed', { writeError }));
  deps.onOutcome?.(outcome);
  return outcome;
};

/** The event, checked: a schedule's `{"instanceId"}` or an operator's operation. */
const parseEvent = (event: unknown) => {
  const parsed = fetchEventSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    `The function was invoked with ${JSON.stringify(event)}; it expects {"instanceId": "<id>"} (the schedule's input).`,
  );
};

/** The instance's document, provided it belongs to this function's connector. */
const loadInstance = async (deps: FetchHandlerDeps, instanceId: string): Promise<InstanceDocument> => {
  const document = await deps.instances.getInstance(instanceId);
  if (document.connector !== deps.connector.name) {
    throw new ConfigError(
      `Instance "${instanceId}" is configured for connector "${document.connector}" but was sent to the "${deps.connector.name}" function; redeploy so its schedule targets the right function.`,
      instanceId,
      'connector',
    );
  }
  return document;
};

type Loaded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

const attempt = <T>(step: () => Promise<T>): Promise<Loaded<T>> =>
  step().then(
    (value) => ({ ok: true, value }) as const,
    (error: unknown) => ({ ok: false, error }) as const,
  );

/**
 * The function every connector's Lambda runs (and `ferry start` runs locally): loads the instance's
 * document, builds its sink, and hands over to the runner, the replay or the connector test. A plain
 * async function: each cross-cutting step's failure must land in the run's own history record, which
 * is the runner's to write (see docs/architecture.md, "Why no middy").
 */
export const createFetchHandler =
  (deps: FetchHandlerDeps): FetchHandler =>
  async (event, context) => {
    const clock = deps.clock ?? Date.now;
    const startedAt = clock();
    const { instanceId, operation, replayId } = parseEvent(event);
    const loaded = await attempt(() => loadInstance(deps, instanceId));
    if (!loaded.ok && operation === 'test')
      return { kind: 'test', instanceId, ok: false, error: failureOf(loaded.error) };
    if (!loaded.ok) return configFailure(deps, instanceId, loaded.error, startedAt);
    const document = loaded.value;
    const secrets = () => deps.secrets(instanceId, document.secrets);
    if (operation === 'test')
      return runConnectorTest({
        document,
        connector: deps.connector,
        resolveSecrets: secrets,
        store: deps.store,
        logger: deps.logger,
      });
    const sink = await attempt<Sink>(() => createSinkFor(document, deps.secrets, deps.sinkDefaults));
    if (!sink.ok) return configFailure(deps, instanceId, sink.error, startedAt);
    const deadline = clock() + context.getRemainingTimeInMillis();
    const { store, logger } = deps;
    if (operation === 'replay') {
      if (!deps.replays) {
        const error = new ConfigError(
          'This function was built without replay support (no replay store was passed).',
          instanceId,
        );
        return { kind: 'replay', instanceId, error: failureOf(error) };
      }
      const input = { document, connector: deps.connector, replayId: replayId!, secrets, deadline };
      return runReplay(input, { store, replays: deps.replays, sink: sink.value, logger, clock: deps.clock });
    }
    const mode = operation === 'debug' ? 'debug' : 'live';
    const input = { document, connector: deps.connector, secrets, deadline, mode } as const;
    return runFetch(input, { store, sink: sink.value, logger, clock: deps.clock, onOutcome: deps.onOutcome });
  };
