import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { InstanceSource } from '../config/instance-source.js';
import type { InstanceDocument } from '../config/schema.js';
import type { SecretResolver } from '../config/secrets.js';
import type { Connector } from '../connector.js';
import { ConfigError, failureOf, SinkError } from '../errors.js';
import type { Logger } from '../logger.js';
import { runRedrive } from '../quarantine/redrive.js';
import { redact } from '../redact.js';
import { runReplay } from '../runner/replay.js';
import { type RunOutcome, runFetch } from '../runner/run-fetch.js';
import type { SinkDefaults } from '../sinks/create-sink.js';
import { createSinkFor } from '../sinks/create-sink.js';
import type { Sink } from '../sinks/sink.js';
import { emptyHistoryRecord, RunStatus } from '../state/history-record.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
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
  /**
   * Makes each run's id, which is also its lease id. Locally it names the process, so that a restart can
   * release the leases of its crashed predecessor at once (local/lease-holder.ts). @default a UUID
   */
  readonly runId?: () => string;
  /** Where events that cannot become incidents are set aside; without it they fail the fetch. */
  readonly quarantine?: QuarantineStore;
}

/** What every connector's Lambda exports (and `ferry start` calls): one event in, one tagged result out. */
export type FetchHandler = (
  event: FetchEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<FetchHandlerResult>;

/** The event, checked: a schedule's `{"instanceId"}` or an operator's operation. */
const parseEvent = (event: unknown): FetchEvent => {
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

/** The sink of a debug fetch: the runner stops before the push, so reaching it is a bug. */
const debugSink: Sink = {
  type: 'debug',
  push: async () => {
    throw new SinkError('A debug fetch pushes nothing; the runner must stop before the push.', {
      retryable: false,
    });
  },
};

/** A debug fetch pushes nothing, so it neither needs nor asks for the sink's credentials. */
const sinkFor = (deps: FetchHandlerDeps, document: InstanceDocument, event: FetchEvent): Promise<Sink> =>
  event.operation === 'debug'
    ? Promise.resolve(debugSink)
    : createSinkFor(document, deps.secrets, deps.sinkDefaults);

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

const attempt = <T>(step: () => Promise<T>): Promise<Attempt<T>> =>
  step().then(
    (value) => ({ ok: true, value }) as const,
    (error: unknown) => ({ ok: false, error }) as const,
  );

/**
 * The answer of an operation that could not start because the instance's configuration (its document,
 * a secret, its sink) is unusable. Recorded in the history only for a live fetch: the history is the
 * schedule's record, and an operator's debug fetch, test, replay or re-drive answers the operator instead.
 */
const failedToStart = async (
  deps: FetchHandlerDeps,
  event: FetchEvent,
  error: unknown,
  startedAt: number,
): Promise<FetchHandlerResult> => {
  const { instanceId, operation } = event;
  const failure = redact(failureOf(error));
  deps.logger.error('Instance configuration is unusable; operation not run', {
    instanceId,
    operation,
    error: failure,
  });
  if (operation === 'test') return { kind: 'test', instanceId, ok: false, error: failure };
  if (operation === 'replay') return { kind: 'replay', instanceId, error: failure };
  const runId = randomUUID();
  if (operation === 'redrive')
    return {
      kind: 'redrive',
      instanceId,
      runId,
      delivered: [],
      stillInvalid: [],
      skipped: [],
      error: failure,
    };
  const identity = { instanceId, connector: deps.connector.name, runId, status: RunStatus.error };
  const record = emptyHistoryRecord({ ...identity, startedAt: new Date(startedAt).toISOString() });
  const outcome: RunOutcome = {
    kind: 'fetch',
    ...record,
    durationMs: (deps.clock ?? Date.now)() - startedAt,
    error: failure,
  };
  if (operation !== 'fetch') return outcome;
  const { kind: _answer, ...history } = outcome;
  await deps.store
    .writeHistory(history)
    .catch((writeError) => deps.logger.error('History write failed', { writeError }));
  deps.onOutcome?.(outcome);
  return outcome;
};

/** A store this function was built without: the operation that needs it is refused, naming why. */
const notBuiltWith = (what: string, instanceId: string) =>
  failureOf(new ConfigError(`This function was built without ${what}.`, instanceId));

/** Hands the instance over to what the event asks for: a fetch (live or debug), a replay or a re-drive. */
const runOperation = (
  deps: FetchHandlerDeps,
  event: FetchEvent,
  document: InstanceDocument,
  sink: Sink,
  deadline: number,
): Promise<FetchHandlerResult> => {
  const { instanceId, operation } = event;
  const { connector, store, logger, clock, quarantine } = deps;
  const secrets = () => deps.secrets(instanceId, document.secrets);
  const runId = deps.runId ? { runId: deps.runId() } : {};
  if (operation === 'replay') {
    if (!deps.replays)
      return Promise.resolve({
        kind: 'replay',
        instanceId,
        error: notBuiltWith('replay support', instanceId),
      });
    const input = { document, connector, replayId: event.replayId!, ...runId, secrets, deadline };
    return runReplay(input, { store, replays: deps.replays, sink, logger, clock, quarantine });
  }
  if (operation === 'redrive') {
    if (!quarantine) {
      const error = notBuiltWith('a quarantine', instanceId);
      return Promise.resolve({
        kind: 'redrive',
        instanceId,
        runId: randomUUID(),
        delivered: [],
        stillInvalid: [],
        skipped: [],
        error,
      });
    }
    const input = { document, connector, secrets, deadline, quarantineIds: event.quarantineIds };
    return runRedrive(input, { store, quarantine, sink, logger, clock });
  }
  const input = {
    document,
    connector,
    ...runId,
    secrets,
    deadline,
    mode: operation === 'debug' ? 'debug' : 'live',
  } as const;
  return runFetch(input, { store, sink, logger, clock, onOutcome: deps.onOutcome, quarantine });
};

/**
 * The function every connector's Lambda runs (and `ferry start` runs locally): loads the instance's
 * document, builds its sink, and hands over to the runner, the replay, the re-drive or the connector
 * test. A plain async function, not middy: each cross-cutting step's failure must land in the run's
 * own answer and history record (docs/architecture.md, "Why no middy").
 */
export const createFetchHandler =
  (deps: FetchHandlerDeps): FetchHandler =>
  async (rawEvent, context) => {
    const clock = deps.clock ?? Date.now;
    const startedAt = clock();
    const event = parseEvent(rawEvent);
    const loaded = await attempt(() => loadInstance(deps, event.instanceId));
    if (!loaded.ok) return failedToStart(deps, event, loaded.error, startedAt);
    const document = loaded.value;
    if (event.operation === 'test') {
      const resolveSecrets = () => deps.secrets(event.instanceId, document.secrets);
      return runConnectorTest({
        document,
        connector: deps.connector,
        resolveSecrets,
        store: deps.store,
        logger: deps.logger,
      });
    }
    const sink = await attempt(() => sinkFor(deps, document, event));
    if (!sink.ok) return failedToStart(deps, event, sink.error, startedAt);
    return runOperation(deps, event, document, sink.value, clock() + context.getRemainingTimeInMillis());
  };
