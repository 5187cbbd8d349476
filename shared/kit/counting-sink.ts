import type { Incident } from '../incident.js';
import type { IncidentBatch, PushResult, Sink } from '../sinks/sink.js';

/** One batch as the runner pushed it. */
export interface RecordedBatch {
  readonly runId: string;
  readonly incidents: readonly Incident[];
}

/** A {@link Sink} that accepts everything and counts each incident key it was handed. */
export interface CountingSink extends Sink {
  readonly batches: readonly RecordedBatch[];
  /** How often each incident key was pushed. */
  readonly counts: ReadonlyMap<string, number>;
  /** The `dbotMirrorId`s pushed, in push order, repeats included. */
  pushedIds(): string[];
}

/**
 * A sink for the conformance checks: it keeps every batch so a check can ask "was each event pushed
 * exactly once, and was no batch larger than max_fetch?".
 */
export const createCountingSink = (): CountingSink => {
  const batches: RecordedBatch[] = [];
  const counts = new Map<string, number>();
  return {
    type: 'counting',
    batches,
    counts,
    async push(batch: IncidentBatch): Promise<PushResult> {
      batches.push({ runId: batch.runId, incidents: batch.incidents.map((keyed) => keyed.incident) });
      let duplicates = 0;
      for (const { key } of batch.incidents) {
        const seen = counts.get(key) ?? 0;
        if (seen > 0) duplicates++;
        counts.set(key, seen + 1);
      }
      return { accepted: batch.incidents.length, duplicates };
    },
    pushedIds: () =>
      batches.flatMap((batch) =>
        batch.incidents.map((incident) => incident.dbotMirrorId ?? '(no dbotMirrorId)'),
      ),
  };
};
