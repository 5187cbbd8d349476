import type { MiddlewareObj } from '@middy/core';
import { ConfigError } from '../../errors.js';
import { type FetchEvent, fetchEventSchema } from '../fetch-event.js';
import type { FetchHandlerResult } from '../fetch-handler-result.js';
import type { FetchContext } from './fetch-context.js';

/**
 * Checks the invocation's event before anything else runs: a schedule's `{"instanceId"}` or an
 * operator's operation. Anything else is refused with the shape it should have had; nothing is recorded,
 * since without an instance id there is no history to record it in.
 */
export const parseFetchEvent = (): MiddlewareObj<FetchEvent, FetchHandlerResult, Error, FetchContext> => ({
  name: 'parseFetchEvent',
  before: (request) => {
    const parsed = fetchEventSchema.safeParse(request.event);
    if (!parsed.success) {
      throw new ConfigError(
        `The function was invoked with ${JSON.stringify(request.event)}; it expects {"instanceId": "<id>"} (the schedule's input).`,
      );
    }
    request.event = parsed.data;
  },
});
