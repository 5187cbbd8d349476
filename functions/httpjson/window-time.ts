import { formatEdge, type TimeFormat, timeFormat } from '../../shared/time-format/time-format.js';

/**
 * How httpjson writes the window's `{{start}}`/`{{end}}` (`time_format`) and reads an item's time
 * (`fields.occurred_format`): named formats or patterns in `time_zone` (see shared/time-format/).
 * Compiled formats are kept: every request and every item uses them.
 */

const compiled = new Map<string, TimeFormat>();

const formatOf = (spec: string, zone: string): TimeFormat => {
  const key = `${spec}\u0000${zone}`;
  let format = compiled.get(key);
  if (!format) {
    format = timeFormat(spec, zone);
    compiled.set(key, format);
  }
  return format;
};

/**
 * Writes one edge of the window. A coarser format widens the window, never narrows it: the start is
 * rounded down and the end up, so the source returns at least [start, end) and the connector drops the
 * few extra items itself (narrowing the end would lose the events of its last second or minute).
 */
export const formatWindowEdge = (
  time: Date,
  spec: string,
  edge: 'start' | 'end',
  zone = 'UTC',
): string | number => formatEdge(formatOf(spec, zone), time.getTime(), edge);

/**
 * Reads an item's time in `spec` (`auto`: an ISO-8601 string, or epoch seconds or milliseconds as a
 * number or a numeric string). `undefined` when it is not one.
 */
export const parseItemTime = (value: unknown, spec = 'auto', zone = 'UTC'): number | undefined =>
  formatOf(spec, zone).read(value);
