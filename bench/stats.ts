/** Min, median and max of repeated measurements. */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** Summarizes samples; the median of an even count is the mean of the middle two. */
export const summarize = (samples: readonly number[]): Summary => {
  if (samples.length === 0) throw new RangeError('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { n: sorted.length, min: sorted[0]!, median, max: sorted.at(-1)! };
};

/** A number for a table: 3 significant digits, thousands separated. */
export const formatNumber = (value: number): string => {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
};

/** A duration in ms as the most readable unit. */
export const formatDuration = (ms: number): string => {
  if (ms < 1000) return `${formatNumber(ms)} ms`;
  if (ms < 120_000) return `${formatNumber(ms / 1000)} s`;
  if (ms < 7_200_000) return `${formatNumber(ms / 60_000)} min`;
  return `${formatNumber(ms / 3_600_000)} h`;
};

/**
 * Elapsed milliseconds of `work` (monotonic clock), and the CPU time this process spent meanwhile
 * (user + system): on a loaded machine the wall clock stretches, the CPU time much less.
 */
export const timed = async <T>(work: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> => {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = await work();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, value };
};
