import type { LastRun } from '../connector.js';

const MAX_STRING = 120;

/**
 * A last run as the history keeps it: small. Long strings (packed seen ids, opaque tokens) become
 * their length, so a record stays a few hundred bytes whatever the cursor holds.
 */
export const summarizeLastRun = (lastRun: LastRun | undefined): LastRun | undefined => {
  if (!lastRun) return undefined;
  const summarize = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return value.length > MAX_STRING ? `<${value.length} characters>` : value;
    if (Array.isArray(value))
      return value.length > 10 ? `<${value.length} items>` : value.map((v) => summarize(v, depth + 1));
    if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      if (depth > 2 || entries.length > 20) return `<${entries.length} entries>`;
      return Object.fromEntries(entries.map(([key, inner]) => [key, summarize(inner, depth + 1)]));
    }
    return value;
  };
  return summarize(lastRun, 0) as LastRun;
};
