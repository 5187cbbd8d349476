import { randomUUID } from 'node:crypto';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector } from '../connector.js';
import { ConfigError } from '../errors.js';
import type { WindowLastRun } from '../lookback/window-fetch.js';
import { type ReplayProgress, ReplayStatus, type ReplayStore } from '../state/replay-store.js';

/**
 * Replay: fetch a past window `[from, to)` again into the sink, beside the live fetches. It has its own
 * item (`REPLAY#<id>`), lease and cursor, so the instance's last run is never read or moved; the
 * incidents carry the same deterministic keys as the first time, so the sink drops what it already
 * has. Only time-window connectors can replay: an own cursor (IMAP UIDs, opaque tokens) is not time.
 */

/** Why a connector cannot replay, or `undefined` when it can. */
export const replayRefusal = (document: InstanceDocument, connector: Connector): string | undefined =>
  connector.style === 'window'
    ? undefined
    : `Instance "${document.id}" uses the "${connector.name}" connector, which keeps its own cursor (not a time), ` +
      'so a time window cannot be replayed. To fetch again from an earlier point, set its last run: ' +
      `ferry last-run ${document.id} --set '<json>'.`;

export interface ReplayWindowRequest {
  readonly instanceId: string;
  readonly connector: string;
  readonly from: Date;
  readonly to: Date;
  readonly now: number;
}

/**
 * Finds the unfinished replay of the same window (resumed, so an interrupted `ferry replay` run again
 * continues instead of starting over) or creates a new one.
 */
export const startOrResumeReplay = async (
  replays: ReplayStore,
  request: ReplayWindowRequest,
): Promise<{ progress: ReplayProgress; resumed: boolean }> => {
  const { instanceId, from, to, now } = request;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw new ConfigError('--from and --to must be times: an ISO date or a time back from now ("2 hours").');
  }
  if (from.getTime() >= to.getTime()) {
    throw new ConfigError(
      `--from (${from.toISOString()}) must be before --to (${to.toISOString()}).`,
      instanceId,
    );
  }
  if (to.getTime() > now) {
    throw new ConfigError(
      `--to (${to.toISOString()}) is in the future; a replay covers the past only (the live fetches cover now).`,
      instanceId,
    );
  }
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const unfinished = (await replays.list(instanceId)).find(
    (replay) => replay.status === ReplayStatus.running && replay.from === fromIso && replay.to === toIso,
  );
  if (unfinished) return { progress: unfinished, resumed: true };
  const nowIso = new Date(now).toISOString();
  const progress: ReplayProgress = {
    replayId: randomUUID().slice(0, 8),
    instanceId,
    connector: request.connector,
    from: fromIso,
    to: toIso,
    cursor: { time: fromIso },
    status: ReplayStatus.running,
    startedAt: nowIso,
    updatedAt: nowIso,
    fetches: 0,
    pages: 0,
    pulled: 0,
    dropped: 0,
    pushed: 0,
  };
  await replays.create(progress);
  return { progress, resumed: false };
};

/** How far a replay got, as a fraction of its window (0–1). */
export const replayFraction = (progress: ReplayProgress): number => {
  if (progress.status === ReplayStatus.done) return 1;
  const from = Date.parse(progress.from);
  const to = Date.parse(progress.to);
  const at = Date.parse(String((progress.cursor as WindowLastRun).time ?? progress.from));
  return Number.isNaN(at) || to <= from ? 0 : Math.min(1, Math.max(0, (at - from) / (to - from)));
};
