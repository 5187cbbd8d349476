import type { RedriveOutcome } from '../quarantine/redrive.js';
import type { ReplayOutcome } from '../runner/replay.js';
import type { RunOutcome } from '../runner/run-record.js';
import type { TestOutcome } from './run-connector-test.js';

/**
 * What a connector's function answers, tagged by `kind`, one per operation of its event: a fetch or
 * debug fetch (`'fetch'`, the run's history record), a connector test (`'test'`), one invocation of a
 * replay (`'replay'`) or a quarantine re-drive (`'redrive'`). Switch on `kind`, or ask a guard below.
 */
export type FetchHandlerResult = RunOutcome | TestOutcome | ReplayOutcome | RedriveOutcome;

export type FetchHandlerResultKind = FetchHandlerResult['kind'];

export const isRunOutcome = (result: FetchHandlerResult): result is RunOutcome => result.kind === 'fetch';
export const isTestOutcome = (result: FetchHandlerResult): result is TestOutcome => result.kind === 'test';
export const isReplayOutcome = (result: FetchHandlerResult): result is ReplayOutcome =>
  result.kind === 'replay';
export const isRedriveOutcome = (result: FetchHandlerResult): result is RedriveOutcome =>
  result.kind === 'redrive';
