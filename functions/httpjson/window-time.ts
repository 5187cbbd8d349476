/** How the window's `{{start}}` and `{{end}}` are written into a request. */
export const TIME_FORMATS = ['iso', 'iso_seconds', 'epoch_seconds', 'epoch_ms'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/**
 * Writes one edge of the window. A coarser format widens the window, never narrows it: the start is
 * rounded down and the end up, so the source returns at least [start, end) and the connector drops the
 * few extra items itself (narrowing the end would lose the events of its last second).
 */
export const formatWindowEdge = (time: Date, format: TimeFormat, edge: 'start' | 'end'): string | number => {
  const ms = time.getTime();
  const seconds = edge === 'start' ? Math.floor(ms / 1000) : Math.ceil(ms / 1000);
  switch (format) {
    case 'iso':
      return time.toISOString();
    case 'iso_seconds':
      return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
    case 'epoch_seconds':
      return seconds;
    case 'epoch_ms':
      return ms;
  }
};

// Numbers below this are epoch seconds, above it milliseconds (1e12 ms is September 2001).
const EPOCH_MS_THRESHOLD = 1e12;

/**
 * Reads an item's time: an ISO-8601 string, or epoch seconds or milliseconds (as a number or a numeric
 * string). `undefined` when it is none of these.
 */
export const parseItemTime = (value: unknown): number | undefined => {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return value < EPOCH_MS_THRESHOLD ? value * 1000 : value;
  }
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseItemTime(Number(text));
  // A date-time without an offset would be read as local time; sources that omit it mean UTC.
  const withZone = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
};
