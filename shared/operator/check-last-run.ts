import type { Connector, LastRun } from '../connector.js';
import { ConfigError } from '../errors.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An ISO-8601 instant as the runner writes it (`2026-01-01T00:00:00Z`, with or without ms or offset). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The runner's half of a time-window cursor (see `lookback/window-fetch.ts`): a `time` that is not an
 * ISO-8601 instant would fail every fetch with STATE_CORRUPT, one in the future would fetch nothing
 * until then, and `seen` holds packed ids by minute.
 */
const windowCursorProblems = (lastRun: LastRun, now: number): string[] => {
  const problems: string[] = [];
  const { time, settled, seen } = lastRun;
  if (time !== undefined) {
    if (typeof time !== 'string' || !ISO_INSTANT.test(time) || Number.isNaN(Date.parse(time))) {
      problems.push(
        `"time" must be an ISO-8601 date such as "2026-01-01T00:00:00Z" (got ${JSON.stringify(time)}).`,
      );
    } else if (Date.parse(time) > now) {
      problems.push(`"time" is in the future (${time}): nothing would be fetched until then.`);
    }
  }
  if (
    seen !== undefined &&
    (!isPlainObject(seen) || Object.values(seen).some((v) => typeof v !== 'string'))
  ) {
    problems.push(
      '"seen" must be an object of packed ids by minute, as a fetch writes it; leave it out to set only the time.',
    );
  }
  if (
    settled !== undefined &&
    (typeof settled !== 'string' || !ISO_INSTANT.test(settled) || Number.isNaN(Date.parse(settled)))
  ) {
    problems.push(
      `"settled" must be an ISO-8601 date at or before "time" (got ${JSON.stringify(settled)}); leave it out and the look-back reaches back from "time".`,
    );
  } else if (
    typeof settled === 'string' &&
    typeof time === 'string' &&
    Date.parse(settled) > Date.parse(time)
  ) {
    problems.push(`"settled" (${settled}) is after "time" (${time}); it is at most the cursor.`);
  }
  for (const key of Object.keys(lastRun)) {
    if (key !== 'time' && key !== 'settled' && key !== 'seen')
      problems.push(`"${key}" is not part of a time-window cursor (it has "time", "settled" and "seen").`);
  }
  return problems;
};

/** What is wrong with `lastRun` as the cursor of `connector`'s next fetch; empty when it is usable. */
export const lastRunProblems = (connector: Connector, lastRun: LastRun, now = Date.now()): string[] => [
  ...(connector.style === 'window' ? windowCursorProblems(lastRun, now) : []),
  ...(connector.checkLastRun?.(lastRun) ?? []),
];

/**
 * Refuses a last run the next fetch could not use, before anything is written: a wedged instance is
 * worse than a refused command. `connector` is undefined for an instance whose connector is unknown
 * (a misconfigured entry): only `{}` (a reset) is safe then.
 */
export const assertUsableLastRun = (
  instanceId: string,
  connector: Connector | undefined,
  lastRun: LastRun,
  now = Date.now(),
): void => {
  const problems = connector
    ? lastRunProblems(connector, lastRun, now)
    : Object.keys(lastRun).length > 0
      ? ['its connector is unknown, so only --reset is safe until its configuration is repaired.']
      : [];
  if (problems.length === 0) return;
  throw new ConfigError(
    `Instance "${instanceId}": this last run was not set, nothing changed. ${problems.join(' ')}`,
    instanceId,
    'lastRun',
  );
};
