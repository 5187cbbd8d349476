import { IncidentInvalidError } from '../../shared/errors.js';
import { Severity } from '../../shared/incident.js';

/**
 * What the reference endpoint checks beyond `validateIncident`, as the sink's contract (docs/sinks.md)
 * and XSOAR's incident fields say: a hostile or broken client gets a 400 naming the field, never a 500
 * and never a stored incident XSOAR would refuse. Checked before anything recursive touches the incident
 * (size measuring, storing): nesting is bounded first, without recursion.
 */

/** Deeper than any real incident; DynamoDB itself nests at most 32 levels in a document. */
export const MAX_INCIDENT_DEPTH = 32;

const SEVERITIES = new Set<number>(Object.values(Severity));

const invalid = (index: number, field: string, problem: string) =>
  new IncidentInvalidError(`Incident #${index} is invalid: "${field}" ${problem}.`, index, field);

/** The path of the first value nested deeper than `max` (iteratively: a 6,000-deep value is no stack risk). */
const tooDeep = (value: unknown, max: number): string | undefined => {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) return path;
    for (const [key, inner] of Object.entries(current)) {
      if (inner !== null && typeof inner === 'object') {
        stack.push({ value: inner, depth: depth + 1, path: path ? `${path}.${key}` : key });
      }
    }
  }
  return undefined;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the fields `validateIncident` leaves loose; throws an IncidentInvalidError naming the field.
 * @example checkIncidentContract(body.incidents[3], 3)
 */
export const checkIncidentContract = (incident: unknown, index: number): void => {
  if (!isPlainObject(incident)) return; // validateIncident names this one
  const deep = tooDeep(incident, MAX_INCIDENT_DEPTH);
  if (deep !== undefined) {
    const field = deep.split('.')[0] ?? '(incident)';
    throw invalid(
      index,
      field,
      `is nested more than ${MAX_INCIDENT_DEPTH} levels deep (at ${deep.slice(0, 120)})`,
    );
  }
  const own = (name: string) => (Object.hasOwn(incident, name) ? incident[name] : undefined);
  const severity = own('severity');
  if (severity !== undefined && !(typeof severity === 'number' && SEVERITIES.has(severity))) {
    throw invalid(index, 'severity', "must be one of XSOAR's severities: 0, 0.5, 1, 2, 3 or 4");
  }
  for (const field of ['details', 'type', 'occurred', 'rawJSON']) {
    const value = own(field);
    if (value !== undefined && typeof value !== 'string')
      throw invalid(index, field, `must be a string, got ${typeof value}`);
  }
  const labels = own('labels');
  if (Array.isArray(labels)) {
    labels.forEach((label, at) => {
      if (
        !isPlainObject(label) ||
        typeof label.type !== 'string' ||
        label.type === '' ||
        typeof label.value !== 'string'
      ) {
        throw invalid(
          index,
          `labels[${at}]`,
          'must be an object {"type": "<non-empty string>", "value": "<string>"}',
        );
      }
    });
  }
  const customFields = own('CustomFields');
  if (customFields !== undefined && !isPlainObject(customFields)) {
    throw invalid(index, 'CustomFields', 'must be an object of field names to values');
  }
  // Lone surrogates in dbotMirrorId and rawJSON (which would merge two ids) are validateIncident's,
  // which runs next.
  const id = own('dbotMirrorId');
  if (id === '') {
    throw invalid(
      index,
      'dbotMirrorId',
      'must not be empty (leave it out to key the incident by its rawJSON)',
    );
  }
};
