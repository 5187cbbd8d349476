import type { ScheduledRun } from '../../../local/scheduler.js';
import type { Percentiles } from './scale-run.js';

/** One scheduled fetch as the scale run saw it. */
export interface FetchRecord {
  readonly run: ScheduledRun;
  readonly status: string;
  readonly code?: string;
  /** The handler's start (the history's `startedAt`), epoch ms. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly pushed: number;
}

const percentiles = (values: number[]): Percentiles => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? 0 };
};

/**
 * The fetches counted: outcomes, delays, and per instance whether every slot whose window closed
 * before the cut-off had an `ok` fetch (the flexible window puts a slot's fetch anywhere in it, so
 * "fetched every interval" is per slot, not per clock interval).
 */
export const tallyFetches = (
  records: readonly FetchRecord[],
  { intervalMs, cutoff }: { intervalMs: number; cutoff: number },
) => {
  const errorCodes: Record<string, number> = {};
  const okSlots = new Map<string, Set<number>>();
  const slotZero = new Map<string, number>();
  let ok = 0;
  let skipped = 0;
  let errors = 0;
  let incidentsPushed = 0;
  for (const { run, status, code, pushed } of records) {
    incidentsPushed += pushed;
    slotZero.set(run.instanceId, run.slotStart - run.slot * intervalMs);
    if (status === 'ok') {
      ok++;
      const slots = okSlots.get(run.instanceId) ?? new Set<number>();
      slots.add(run.slot);
      okSlots.set(run.instanceId, slots);
    } else if (status === 'skipped') skipped++;
    else {
      errors++;
      errorCodes[code ?? 'UNKNOWN'] = (errorCodes[code ?? 'UNKNOWN'] ?? 0) + 1;
    }
  }
  let slotsWithoutFetch = 0;
  const perInstance: number[] = [];
  for (const [id, base] of slotZero) {
    const slots = okSlots.get(id) ?? new Set<number>();
    const closed = Number.isFinite(cutoff) ? Math.floor((cutoff - base) / intervalMs) : 0;
    for (let slot = 0; slot < closed; slot++) if (!slots.has(slot)) slotsWithoutFetch++;
    perInstance.push([...slots].filter((slot) => slot < Math.max(closed, 1)).length);
  }
  return {
    fetches: records.length,
    ok,
    skipped,
    errors,
    errorCodes,
    incidentsPushed,
    slotsWithoutFetch,
    fetchesPerInstance: {
      min: perInstance.length > 0 ? Math.min(...perInstance) : 0,
      max: perInstance.length > 0 ? Math.max(...perInstance) : 0,
    },
    delayMs: percentiles(records.map((r) => r.startedAt - r.run.scheduledAt)),
    /** The part of the delay before the scheduler fired (its tick, a busy event loop). */
    firingDelayMs: percentiles(records.map((r) => r.run.firedAt - r.run.scheduledAt)),
    durationOfFetchMs: percentiles(records.map((r) => r.durationMs)),
  };
};
