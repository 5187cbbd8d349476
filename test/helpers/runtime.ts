import type { Context } from 'aws-lambda';
import { createLambdaContext } from '../../local/lambda-context.js';
import { createLogger } from '../../shared/logger.js';

/** A logger that writes nothing: test output stays readable. */
export const silentLogger = createLogger({ level: 'SILENT' });

/** A clock the test moves by hand: `now()` is what the runner, store and source see. */
export interface ManualClock {
  now(): number;
  advance(ms: number): number;
  set(ms: number): void;
}

export const createManualClock = (start: number): ManualClock => {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
      return current;
    },
    set: (ms) => {
      current = ms;
    },
  };
};

/** A Lambda context with `remainingMs` left, as the Lambda runtime hands one to a handler. */
export const aLambdaContext = (remainingMs = 60_000, clock: () => number = Date.now): Context =>
  createLambdaContext('ferry-helloworld', remainingMs, clock);
