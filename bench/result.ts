import { type Summary, summarize } from './stats.js';

/** One measured quantity, repeated: the samples and their min / median / max. */
export interface Measurement {
  readonly name: string;
  readonly unit: string;
  readonly samples: readonly number[];
  readonly summary: Summary;
}

/** A benchmark's verdict on its target; `met` is judged on the median. */
export interface TargetCheck {
  /** What is compared, e.g. "bare loop time / runner time". */
  readonly what: string;
  /** The target as written in the issue, e.g. "≤ 1.3". */
  readonly target: string;
  readonly value: Summary;
  readonly unit: string;
  readonly met: boolean;
}

/** What one benchmark reports. */
export interface BenchResult {
  readonly id: string;
  readonly title: string;
  /** How it was measured, in a sentence or two: sizes, repetitions, what the baseline is. */
  readonly method: string;
  readonly measurements: readonly Measurement[];
  /** The ratio of each run to the baseline measured in the same run, when there is one. */
  readonly ratio?: Measurement;
  readonly checks: readonly TargetCheck[];
  /** Markdown tables shown after the measurements (a benchmark whose figures read best as a grid). */
  readonly tables?: readonly string[];
  readonly notes: readonly string[];
  /** Wall-clock time the benchmark took, setup included. */
  readonly elapsedMs: number;
}

/** A measurement from its samples. */
export const measurement = (name: string, unit: string, samples: readonly number[]): Measurement => ({
  name,
  unit,
  samples,
  summary: summarize(samples),
});

/** A target check on the median of `samples`, where lower is better unless `higherIsBetter`. */
export const check = (
  what: string,
  target: string,
  samples: readonly number[],
  unit: string,
  limit: number,
  higherIsBetter = false,
): TargetCheck => {
  const value = summarize(samples);
  return {
    what,
    target,
    value,
    unit,
    met: higherIsBetter ? value.median >= limit : value.median <= limit,
  };
};

/** How a benchmark is run: `quick` for a smoke run; `log` prints progress. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}
