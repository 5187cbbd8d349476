import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { InstanceDocument } from '../config/schema.js';
import { ConfigError, failureOf } from '../errors.js';
import { runRedrive } from '../quarantine/redrive.js';
import { runReplay } from '../runner/replay.js';
import { runFetch } from '../runner/run-fetch.js';
import type { Sink } from '../sinks/sink.js';
import type { FetchEvent } from './fetch-event.js';
import type { FetchHandlerDeps } from './fetch-handler-deps.js';
import type { FetchHandlerResult } from './fetch-handler-result.js';
import { type FetchContext, loadedInstance } from './middlewares/fetch-context.js';
import { loadInstance } from './middlewares/load-instance.js';
import { parseFetchEvent } from './middlewares/parse-fetch-event.js';
import { redactEscapingError } from './middlewares/redact-escaping-error.js';
import { runConnectorTest } from './run-connector-test.js';

export type { FetchHandlerDeps } from './fetch-handler-deps.js';
export type { FetchHandlerResult } from './fetch-handler-result.js';

/** What every connector's Lambda exports (and `ferry start` calls): one event in, one tagged result out. */
export type FetchHandler = (
  event: FetchEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<FetchHandlerResult>;

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

/** The handler proper, once the middlewares checked the event and loaded the instance. */
const runInstance =
  (deps: FetchHandlerDeps) =>
  (event: FetchEvent, context: FetchContext): Promise<FetchHandlerResult> => {
    const { document, sink } = loadedInstance(context);
    if (event.operation === 'test') {
      const resolveSecrets = () => deps.secrets(event.instanceId, document.secrets);
      const { connector, store, logger } = deps;
      return runConnectorTest({ document, connector, resolveSecrets, store, logger });
    }
    if (!sink) throw new ConfigError(`No sink was loaded for a ${event.operation}; loadInstance builds one.`);
    const deadline = (deps.clock ?? Date.now)() + context.getRemainingTimeInMillis();
    return runOperation(deps, event, document, sink, deadline);
  };

/**
 * The function every connector's Lambda runs (and `ferry start` runs locally), composed with middy the
 * way Powertools and middy's own middlewares are: the event is checked (`parseFetchEvent`), the
 * instance's document and sink are loaded (`loadInstance`, which answers a broken configuration itself),
 * the handler hands over to the runner, the replay, the re-drive or the connector test, and an error
 * that escapes leaves redacted (`redactEscapingError`).
 */
export const createFetchHandler = (deps: FetchHandlerDeps): FetchHandler => {
  // middy's early timeout is off: the runner owns the deadline (it stops draining with a margin and
  // commits what it delivered), and a TimeoutError raced past it would answer without the run's record.
  const handler = middy<FetchEvent, FetchHandlerResult, Error, FetchContext>({ timeoutEarlyInMillis: 0 })
    .use(parseFetchEvent())
    .use(loadInstance(deps))
    .use(redactEscapingError(deps.logger))
    .handler(runInstance(deps));
  // Each invocation gets a context of its own on top of the caller's, so that what a middleware leaves
  // in it never reaches a concurrent invocation given the same context object (tests, `ferry start`).
  return (event, context) => handler(event, Object.create(context) as FetchContext);
};
