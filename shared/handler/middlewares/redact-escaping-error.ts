import type { MiddlewareObj } from '@middy/core';
import { failureOf } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { redact } from '../../redact.js';
import type { FetchEvent } from '../fetch-event.js';
import type { FetchHandlerResult } from '../fetch-handler-result.js';
import type { FetchContext } from './fetch-context.js';

/**
 * The last line before the Lambda runtime: an error that escapes the handler (a refused event, a bug)
 * leaves with every registered secret redacted from its message and stack — the runtime prints what it
 * is thrown to CloudWatch verbatim — and is logged once as a structured line with its code. It is still
 * thrown: an invocation that did not run must fail where Lambda and the scheduler count failures.
 */
export const redactEscapingError = (
  logger: Logger,
): MiddlewareObj<FetchEvent, FetchHandlerResult, Error, FetchContext> => ({
  name: 'redactEscapingError',
  onError: (request) => {
    const error = redact(request.error);
    logger.error('Invocation failed before or outside a run', {
      instanceId: request.event?.instanceId,
      operation: request.event?.operation,
      error: redact(failureOf(error)),
    });
    request.error = error;
  },
});
