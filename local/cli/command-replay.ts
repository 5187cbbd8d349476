import { connectors } from '../../functions/connectors.js';
import { parsePointInTime } from '../../shared/duration.js';
import { ConfigError, InvokeError } from '../../shared/errors.js';
import type { FetchHandlerResult } from '../../shared/handler/create-fetch-handler.js';
import { isReplayOutcome } from '../../shared/handler/fetch-handler-result.js';
import { replayFraction, replayRefusal, startOrResumeReplay } from '../../shared/runner/replay.js';
import { type ReplayProgress, ReplayStatus } from '../../shared/state/replay-store.js';
import { color } from './format.js';
import type { OperatorEnvironment } from './operator-environment.js';
import { createProgressBar } from './progress-bar.js';

export interface ReplayOptions {
  readonly from?: string;
  readonly to?: string;
  /** Continue this replay (its id was printed when it started). */
  readonly resume?: string;
  readonly json?: boolean;
  /** How often the progress bar reads the replay's item while an invocation runs. @default 500 */
  readonly pollMs?: number;
}

const parseTime = (flag: string, text: string | undefined, now: Date): Date => {
  if (!text)
    throw new ConfigError(`ferry replay needs ${flag} <time>: an ISO date or a time back ("2 hours").`);
  const time = parsePointInTime(text, now);
  if (!time) {
    throw new ConfigError(
      `${flag} "${text}" is not a time; use an ISO date ("2026-03-10T12:00:00Z") or a time back from now ("2 hours").`,
    );
  }
  return time;
};

const describe = (progress: ReplayProgress) =>
  `at ${String(progress.cursor.time ?? progress.from)}  pulled ${progress.pulled}  pushed ${progress.pushed}  dropped ${progress.dropped}`;

/** Finds or creates the replay the command runs. */
const resolveReplay = async (
  env: OperatorEnvironment,
  instanceId: string,
  connector: string,
  options: ReplayOptions,
): Promise<{ progress: ReplayProgress; resumed: boolean }> => {
  if (options.resume) {
    const progress = await env.replays.get(instanceId, options.resume);
    if (!progress) {
      throw new ConfigError(
        `Instance "${instanceId}" has no replay "${options.resume}" (replays are kept 7 days after their last progress).`,
        instanceId,
      );
    }
    return { progress, resumed: true };
  }
  const now = new Date();
  return startOrResumeReplay(env.replays, {
    instanceId,
    connector,
    from: parseTime('--from', options.from, now),
    to: parseTime('--to', options.to, now),
    now: now.getTime(),
  });
};

/**
 * `ferry replay <instance> --from <time> --to <time> | --resume <id>`: fetches a past window again
 * into the sink without touching the live last run. Each invocation of the connector's function
 * continues where the last stopped, so a long window spans several (Lambda's 15-minute limit); the bar
 * follows the replay's item meanwhile. An identical unfinished replay is resumed automatically.
 */
export const commandReplay = async (
  env: OperatorEnvironment,
  instanceId: string,
  options: ReplayOptions,
): Promise<number> => {
  const { documents, errors } = await env.listInstances();
  const document = documents.find((candidate) => candidate.id === instanceId);
  if (!document) {
    throw (
      errors.find((error) => error.instanceId === instanceId) ??
      new ConfigError(
        `Instance "${instanceId}" does not exist. Known instances: ${documents.map((d) => d.id).join(', ') || 'none'}.`,
        instanceId,
        'id',
      )
    );
  }
  const connector = Object.hasOwn(connectors, document.connector)
    ? connectors[document.connector]
    : undefined;
  const refusal = connector ? replayRefusal(document, connector) : undefined;
  if (refusal) throw new ConfigError(refusal, instanceId, 'connector');

  const { progress: initial, resumed } = await resolveReplay(env, instanceId, document.connector, options);
  const { replayId } = initial;
  console.error(
    `${resumed ? 'Resuming' : 'Starting'} replay ${color.bold(replayId)} of "${instanceId}": ${initial.from} → ${initial.to}` +
      color.dim(`  (interrupted? ferry replay ${instanceId} --resume ${replayId})`),
  );
  if (initial.status === ReplayStatus.done) {
    console.error('It had already finished.');
    if (options.json) console.log(JSON.stringify(initial, null, 2));
    return 0;
  }
  const bar = createProgressBar();
  const show = (progress: ReplayProgress) => bar.update(replayFraction(progress), describe(progress));
  show(initial);
  let last = initial;
  for (;;) {
    // The bar follows the item while the function works; the invocation's answer is authoritative.
    const poll = setInterval(() => {
      env.replays.get(instanceId, replayId).then(
        (progress) => progress && show(progress),
        () => undefined,
      );
    }, options.pollMs ?? 500);
    let outcome: FetchHandlerResult;
    try {
      outcome = await env.invoke(instanceId, 'replay', { replayId });
    } finally {
      clearInterval(poll);
    }
    if (!isReplayOutcome(outcome))
      throw new InvokeError(`The function answered a replay with ${JSON.stringify(outcome)}.`);
    if (outcome.replay) {
      show(outcome.replay);
      last = outcome.replay;
    }
    if (outcome.error) {
      bar.end();
      console.error(color.red(`${outcome.error.code}: ${outcome.error.message}`));
      console.error(`Resume it with: ferry replay ${instanceId} --resume ${replayId}`);
      return 1;
    }
    if (last.status === ReplayStatus.done) break;
  }
  bar.end();
  if (options.json) console.log(JSON.stringify(last, null, 2));
  else
    console.log(
      `${color.green('done')}: replay ${replayId} pulled ${last.pulled}, pushed ${last.pushed}, dropped ${last.dropped} in ${last.fetches} fetches; the live last run was not touched.`,
    );
  return 0;
};
