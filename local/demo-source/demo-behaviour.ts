import { parseDuration } from '../../shared/duration.js';
import { ConfigError } from '../../shared/errors.js';
import { parseRateLimit, type RateLimit } from './rate-limit.js';
import type { DemoSource } from './server.js';

/** How `npm start`'s demo source misbehaves, to show the look-back at work. */
export interface DemoBehaviour {
  /** Alerts become visible this long after their timestamp (late indexing). */
  readonly indexingDelayMs: number;
  /** Every `everyMs`, `size` alerts on one timestamp. */
  readonly burst?: { readonly size: number; readonly everyMs: number };
  /** A vendor-like rate limit: headers on every answer, 429 beyond it. */
  readonly rateLimit?: RateLimit;
}

/**
 * Reads `DEMO_INDEXING_DELAY` ("20s", "1 minute"), `DEMO_BURST` ("500 every 30s") and
 * `DEMO_RATE_LIMIT` ("5 per second") from the environment; an unreadable value is a clear error rather
 * than a silently calm demo.
 */
export const demoBehaviourFromEnv = (env: NodeJS.ProcessEnv = process.env): DemoBehaviour => {
  const delayText = env.DEMO_INDEXING_DELAY;
  const indexingDelayMs = delayText ? parseDuration(delayText) : 0;
  if (indexingDelayMs === undefined) {
    throw new ConfigError(
      `DEMO_INDEXING_DELAY="${delayText}" is not a duration; use for example "20s" or "1 minute".`,
    );
  }
  const rateText = env.DEMO_RATE_LIMIT;
  const rateLimit = rateText ? parseRateLimit(rateText) : undefined;
  if (rateText && !rateLimit) {
    throw new ConfigError(
      `DEMO_RATE_LIMIT="${rateText}" is not "<requests> per <window>"; use for example "5 per second" or "100 per minute".`,
    );
  }
  const calm = { indexingDelayMs, ...(rateLimit ? { rateLimit } : {}) };
  const burstText = env.DEMO_BURST;
  if (!burstText) return calm;
  const match = /^\s*(\d+)\s+every\s+(.+)$/i.exec(burstText);
  const everyMs = match ? parseDuration(match[2]!) : undefined;
  if (!match || !everyMs || Number(match[1]) < 1) {
    throw new ConfigError(
      `DEMO_BURST="${burstText}" is not "<count> every <duration>"; use for example "500 every 30s".`,
    );
  }
  return { ...calm, burst: { size: Number(match[1]), everyMs } };
};

/** Applies the behaviour to a running demo source; returns what stops the bursts. */
export const applyDemoBehaviour = (source: DemoSource, behaviour: DemoBehaviour): (() => void) => {
  if (behaviour.indexingDelayMs > 0) source.setIndexingDelay(behaviour.indexingDelayMs);
  if (behaviour.rateLimit) source.setRateLimit(behaviour.rateLimit);
  if (!behaviour.burst) return () => undefined;
  const { size, everyMs } = behaviour.burst;
  const timer = setInterval(() => source.addBurst(size), everyMs);
  timer.unref();
  return () => clearInterval(timer);
};
