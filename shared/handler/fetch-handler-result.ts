import type { ReplayOutcome } from '../runner/replay.js';
import type { RunOutcome } from '../runner/run-record.js';
import type { TestOutcome } from './run-connector-test.js';

/**
 * What a connector's function answers, tagged by `kind`: a fetch or debug fetch (`'fetch'`, the
 * run's history record), a connector test (`'test'`), or one invocation of a replay (`'replay'`).
 * Switch on `kind`; the guards below read as the question.
 */
export type FetchHandlerResult = RunOutcome | TestOutcome | ReplayOutcome;

export const isRunOutcome = (result: FetchHandlerResult): result is RunOutcome => result.kind === 'fetch';
export const isTestOutcome = (result: FetchHandlerResult): result is TestOutcome => result.kind === 'test';
export const isReplayOutcome = (result: FetchHandlerResult): result is ReplayOutcome =>
  result.kind === 'replay';
