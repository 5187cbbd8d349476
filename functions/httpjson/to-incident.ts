import { buildIncident, type Incident, Severity } from '../../shared/incident.js';
import { itemId, itemTime } from './items.js';
import type { HttpJsonParams } from './params.js';
import { readItemField } from './template.js';

const severityByName: Readonly<Record<string, number>> = { ...Severity, informational: Severity.info };

/**
 * XSOAR's severity for a source value: `severity_map` first (exact, then ignoring case), then a value
 * that already is an XSOAR name ("high") or number (0–4); anything else is unknown (0).
 */
export const mapSeverity = (params: HttpJsonParams, value: string | undefined): number => {
  if (value === undefined) return Severity.unknown;
  const map = params.severity_map;
  const lower = value.toLowerCase();
  // Own keys only: a source value such as "constructor" must not find Object.prototype's members.
  const mapped =
    (Object.hasOwn(map, value) ? map[value] : undefined) ??
    Object.entries(map).find(([source]) => source.toLowerCase() === lower)?.[1] ??
    value;
  if (typeof mapped === 'number') return mapped;
  const name = mapped.toLowerCase();
  if (Object.hasOwn(severityByName, name)) return severityByName[name]!;
  const number = Number(mapped);
  return mapped.trim() !== '' && Number.isFinite(number) && number >= 0 && number <= 4
    ? number
    : Severity.unknown;
};

/** One item of the response as an XSOAR incident, mapped by `fields`, `labels` and `severity_map`. */
export const itemToIncident = (params: HttpJsonParams, item: unknown): Incident => {
  const id = itemId(params, item, 0);
  const { fields } = params;
  return buildIncident(item, {
    // A blank name would fail the whole fetch; an analyst still gets the source's id.
    name: (event) => readItemField(event, fields.name)?.trim() || `Event ${id}`,
    occurred: (event) => new Date(itemTime(params, event, 0)),
    id: () => id,
    details: fields.details ? (event) => readItemField(event, fields.details!) : undefined,
    severity: fields.severity
      ? (event) => mapSeverity(params, readItemField(event, fields.severity!))
      : undefined,
    type: params.incident_type,
    labels:
      Object.keys(params.labels).length === 0
        ? undefined
        : (event) =>
            Object.fromEntries(
              Object.entries(params.labels).map(([label, spec]) => [label, readItemField(event, spec)]),
            ),
  });
};
