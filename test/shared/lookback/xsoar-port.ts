/**
 * A faithful port of XSOAR's generic look-back helpers (CommonServerPython:
 * `get_fetch_run_time_range`, `filter_incidents_by_duplicates_and_limit`, `update_last_run_object`),
 * used only to show, on the same input, what XSOAR does and what Ferry does instead.
 *
 * LastRun: `{time, limit, found_incident_ids: {id: epoch_seconds_added}}`.
 */

export interface XsoarLastRun {
  time?: number;
  limit?: number;
  found_incident_ids?: Record<string, number>;
}

export interface XsoarEvent {
  id: string;
  created: number;
}

export interface XsoarFetchInput {
  now: number;
  firstFetch: number;
  /** Minutes. */
  lookBack: number;
  fetchLimit: number;
  /** The integration's query: events created in [start, end], at most `limit`, oldest first. */
  query: (start: number, end: number, limit: number) => XsoarEvent[];
}

/** One `fetch-incidents` run with the generic look-back helpers; returns the kept events and the new LastRun. */
export const xsoarFetch = (lastRun: XsoarLastRun, input: XsoarFetchInput) => {
  // get_fetch_run_time_range
  let start = lastRun.time ?? input.firstFetch;
  const end = input.now;
  if (input.lookBack > 0 && end - start < input.lookBack * 60_000) start = end - input.lookBack * 60_000;
  const pageSize = lastRun.limit || input.fetchLimit;
  const page = input.query(start, end, pageSize);

  // filter_incidents_by_duplicates_and_limit
  const found = { ...(lastRun.found_incident_ids ?? {}) };
  const kept = page.filter((event) => !(event.id in found)).slice(0, input.fetchLimit);

  // update_last_run_object
  const nowSeconds = Math.floor(input.now / 1000);
  for (const event of kept) found[event.id] = nowSeconds; // stamped with the wall clock
  const time = kept.length > 0 ? Math.max(...kept.map((event) => event.created)) : end;
  const sitsOnWindowStart = kept.length > 0 && time === start;
  if (!sitsOnWindowStart) {
    const threshold = input.lookBack * 2 * 60;
    for (const [id, added] of Object.entries(found)) if (nowSeconds - added > threshold) delete found[id];
  }
  const limit =
    input.lookBack > 0 && kept.length > 0
      ? Object.keys(lastRun.found_incident_ids ?? {}).length + kept.length + input.fetchLimit
      : input.fetchLimit;
  const next: XsoarLastRun = { time, limit, found_incident_ids: found };
  return { kept, lastRun: next };
};
