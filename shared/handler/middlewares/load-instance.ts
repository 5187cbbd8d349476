import type { MiddlewareObj } from '@middy/core';
import type { InstanceDocument } from '../../config/schema.js';
import { ConfigError, SinkError } from '../../errors.js';
import { createSinkFor } from '../../sinks/create-sink.js';
import type { Sink } from '../../sinks/sink.js';
import { failedToStart } from '../failed-to-start.js';
import type { FetchEvent } from '../fetch-event.js';
import type { FetchHandlerDeps } from '../fetch-handler-deps.js';
import type { FetchHandlerResult } from '../fetch-handler-result.js';
import type { FetchContext, LoadedInstance } from './fetch-context.js';

/** The instance's document, provided it belongs to this function's connector. */
const readDocument = async (deps: FetchHandlerDeps, instanceId: string): Promise<InstanceDocument> => {
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

/**
 * The instance's document and what it needs to run: a connector test needs no sink, and a debug fetch
 * pushes nothing, so neither asks for the sink's credentials.
 */
const load = async (deps: FetchHandlerDeps, event: FetchEvent): Promise<LoadedInstance> => {
  const document = await readDocument(deps, event.instanceId);
  if (event.operation === 'test') return { document };
  if (event.operation === 'debug') return { document, sink: debugSink };
  return { document, sink: await createSinkFor(document, deps.secrets, deps.sinkDefaults) };
};

/**
 * Loads the invoked instance's configuration (its SSM document, its sink and the sink's secrets) into
 * `context.ferryInstance`. A configuration that cannot be used ends the invocation here with an early
 * response — the operation's own answer, and for a live fetch an error in the instance's history — so a
 * broken document is visible where the operator looks, never a bare Lambda error.
 */
export const loadInstance = (
  deps: FetchHandlerDeps,
): MiddlewareObj<FetchEvent, FetchHandlerResult, Error, FetchContext> => ({
  name: 'loadInstance',
  before: async (request) => {
    const startedAt = (deps.clock ?? Date.now)();
    try {
      request.context.ferryInstance = await load(deps, request.event);
    } catch (error) {
      return failedToStart(deps, request.event, error, startedAt);
    }
    return undefined;
  },
});
