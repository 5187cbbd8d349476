import { buildIncident, type Incident, Severity } from '../../shared/incident.js';
import type { SplunkParams } from './params.js';
import type { SplunkResult } from './search-job.js';

// Splunk ES urgencies (and the usual severity words of other searches).
const bySeverityWord: Record<string, number> = {
  informational: Severity.info,
  info: Severity.info,
  low: Severity.low,
  medium: Severity.medium,
  high: Severity.high,
  critical: Severity.critical,
};

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** The `_time` of a result in milliseconds (JSON output writes it ISO-8601 with the user's offset). */
export const resultTimeMs = (result: SplunkResult): number => Date.parse(first(result._time) ?? '');

/** One search result as an incident: `_time` as occurred, the id field as dbotMirrorId. */
export const resultToIncident = (result: SplunkResult, params: SplunkParams): Incident =>
  buildIncident(result, {
    name: (r) =>
      params.name_fields.map((field) => first(r[field])).find((value) => value) ?? 'Splunk search result',
    occurred: (r) => new Date(resultTimeMs(r)),
    ...(result[params.id_field] === undefined
      ? {}
      : { id: (r: SplunkResult) => first(r[params.id_field]) ?? '' }),
    details: (r) => first(r[params.details_field]),
    severity: (r) =>
      bySeverityWord[(first(r[params.severity_field]) ?? '').toLowerCase()] ?? Severity.unknown,
    type: 'Splunk Notable Event',
    labels: (r) => Object.fromEntries(params.label_fields.map((field) => [field, first(r[field])])),
  });
