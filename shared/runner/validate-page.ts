import { ConnectorError } from '../errors.js';
import { incidentKey, validateIncident } from '../incident.js';
import type { KeyedIncident } from '../sinks/sink.js';

/** A page after steps 4 and 5: every incident valid and keyed, each key once. */
export interface ValidatedPage {
  readonly keyed: KeyedIncident[];
  /** Incidents of the page that repeated a key already on it (counted as dropped). */
  readonly repeated: number;
}

/**
 * Steps 4 and the first half of 5: every incident valid, each key once per push. An invalid incident
 * fails the page (an `IncidentInvalidError` naming it and the field); nothing of the page is pushed.
 */
export const validateAndKey = (incidents: unknown[]): ValidatedPage => {
  if (!Array.isArray(incidents)) {
    throw new ConnectorError(
      `The connector's fetchIncidents returned ${incidents === null ? 'null' : typeof incidents} as "incidents"; ` +
        'it must return { incidents: [...], nextRun } with an array (an empty one when nothing is new).',
    );
  }
  const byKey = new Map<string, KeyedIncident>();
  incidents.forEach((raw, index) => {
    const incident = validateIncident(raw, index);
    const key = incidentKey(incident);
    if (!byKey.has(key)) byKey.set(key, { key, incident });
  });
  return { keyed: [...byKey.values()], repeated: incidents.length - byKey.size };
};
