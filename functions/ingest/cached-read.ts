import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';

export interface CachedReadOptions {
  /** How long a value read is used before it is read again (a rotated token takes effect). @default 5 minutes */
  readonly maxAgeMs?: number;
  /** After a failed re-read, how long the previous value is kept before trying again. @default 30 seconds */
  readonly retryAfterFailureMs?: number;
  readonly logger?: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Wraps a read (of a token from SSM) in a cache: read on first use, again after `maxAgeMs`, one read
 * shared by concurrent callers. When a re-read fails the previous value keeps serving, since an SSM
 * hiccup must not lock every sink out; only a failed first read fails the caller. `what` names the
 * value in the warning (never the value itself).
 */
export const cachedRead = <T>(
  read: () => Promise<T>,
  what: Record<string, unknown>,
  options: CachedReadOptions = {},
): (() => Promise<T>) => {
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000;
  const now = options.now ?? Date.now;
  let cached: { value: T; expiresAt: number } | undefined;
  let reading: Promise<T> | undefined;

  const refresh = async (): Promise<T> => {
    try {
      const value = await read();
      cached = { value, expiresAt: now() + maxAgeMs };
      return value;
    } catch (error) {
      if (!cached) throw error;
      options.logger?.warn('Re-reading the ingestion token failed; the cached one stays in use', {
        ...what,
        error: errorMessage(error),
      });
      cached = { value: cached.value, expiresAt: now() + retryAfterFailureMs };
      return cached.value;
    } finally {
      reading = undefined;
    }
  };

  return async () => {
    if (cached && now() < cached.expiresAt) return cached.value;
    reading ??= refresh();
    return reading;
  };
};
