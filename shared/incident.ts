import { createHash } from 'node:crypto';
import { IncidentInvalidError } from './errors.js';
import { normalizeOccurred } from './occurred.js';

/** XSOAR's severity scale: 0 unknown, 0.5 informational, 1 low, 2 medium, 3 high, 4 critical. */
export const Severity = {
  unknown: 0,
  info: 0.5,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
} as const;

export type SeverityValue = (typeof Severity)[keyof typeof Severity];

/** The only severities XSOAR has (its incident field's select values); 2.5 or NaN are not one of them. */
export const SEVERITY_VALUES: readonly number[] = Object.values(Severity);

/** An incident in XSOAR's shape, as `demisto.incidents()` takes it. */
export interface Incident {
  /** Required: what an analyst sees first. */
  name: string;
  /** When it happened at the source: RFC 3339 with a zone; validation makes it UTC with seconds. */
  occurred?: string;
  /** The original event, `JSON.stringify`-ed, for XSOAR's mapping stage. */
  rawJSON?: string;
  /** The id of the event in the third-party product: Ferry's dedupe key. */
  dbotMirrorId?: string;
  details?: string;
  type?: string;
  severity?: number;
  labels?: { type: string; value: string }[];
  CustomFields?: Record<string, unknown>;
}

/** How to turn one source event into an incident. */
export interface IncidentMapping<E> {
  name: (event: E) => string;
  occurred: (event: E) => string | Date;
  id?: (event: E) => string | number;
  details?: (event: E) => string | undefined;
  severity?: (event: E) => number | undefined;
  type?: string;
  labels?: (event: E) => Record<string, string | number | boolean | undefined>;
}

/**
 * The `rawJSON` each incident had when {@link buildIncident} made it with `JSON.stringify`: valid JSON by
 * construction, so validation need not parse it again (a third of its cost per incident). A connector
 * that changes `rawJSON` afterwards gets it parsed as before.
 */
const stringifiedRawJson = new WeakMap<Incident, string>();

/**
 * Builds an incident from a source event: `rawJSON` is the event itself, `dbotMirrorId` its id.
 * @example buildIncident(alert, { name: (a) => a.name, occurred: (a) => a.created, id: (a) => a.id })
 */
export const buildIncident = <E>(event: E, mapping: IncidentMapping<E>): Incident => {
  const occurred = mapping.occurred(event);
  const incident: Incident = {
    name: mapping.name(event),
    occurred: occurred instanceof Date ? occurred.toISOString() : occurred,
    rawJSON: JSON.stringify(event),
  };
  if (incident.rawJSON !== undefined) stringifiedRawJson.set(incident, incident.rawJSON);
  const id = mapping.id?.(event);
  if (id !== undefined) incident.dbotMirrorId = String(id);
  const details = mapping.details?.(event);
  if (details !== undefined) incident.details = details;
  const severity = mapping.severity?.(event);
  if (severity !== undefined) incident.severity = severity;
  if (mapping.type) incident.type = mapping.type;
  const labels = mapping.labels?.(event);
  if (labels) {
    incident.labels = Object.entries(labels)
      .filter(([, value]) => value !== undefined && value !== '')
      .map(([type, value]) => ({ type, value: String(value) }));
  }
  return incident;
};

const describe = (incident: unknown, index: number): string => {
  const candidate = incident as Partial<Incident> | null;
  const id = typeof candidate?.dbotMirrorId === 'string' ? ` (dbotMirrorId "${candidate.dbotMirrorId}")` : '';
  return `Incident #${index}${id}`;
};

const fail = (incident: unknown, index: number, field: string, problem: string): never => {
  throw new IncidentInvalidError(
    `${describe(incident, index)} is invalid: "${field}" ${problem}. Fix the connector's mapping; ` +
      'the fetch was not committed, so nothing is lost.',
    index,
    field,
  );
};

const checkLabels = (incident: unknown, index: number, labels: unknown): void => {
  if (!Array.isArray(labels)) fail(incident, index, 'labels', 'must be an array of {type, value} strings');
  (labels as unknown[]).forEach((label, position) => {
    const { type, value } = (label ?? {}) as Record<string, unknown>;
    if (typeof label !== 'object' || label === null || typeof type !== 'string' || type === '') {
      fail(incident, index, `labels[${position}].type`, 'must be a non-empty string');
    }
    if (typeof value !== 'string') {
      fail(
        incident,
        index,
        `labels[${position}].value`,
        `must be a string (XSOAR's labels are strings), got ${typeof value}`,
      );
    }
  });
};

/** A UTF-16 surrogate without its pair: no UTF-8 text can hold it (stored or hashed, it becomes U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` has a lone surrogate: two distinct ids or keys holding one would become the same. */
export const hasLoneSurrogate = (text: string): boolean => LONE_SURROGATE.test(text);

/**
 * Checks one incident against XSOAR's contract and returns it as XSOAR takes it: `occurred` in
 * RFC 3339 UTC with seconds (converted when its instant is certain), `severity` one of XSOAR's values,
 * labels `{type, value}` strings. Throws an {@link IncidentInvalidError} naming the incident and the
 * field; the incident itself is never changed (a converted `occurred` comes back in a copy).
 */
export const validateIncident = (incident: unknown, index: number, maxBytes?: number): Incident => {
  if (typeof incident !== 'object' || incident === null || Array.isArray(incident)) {
    return fail(incident, index, '(incident)', 'must be an object');
  }
  const { name, occurred, rawJSON, dbotMirrorId, severity, labels } = incident as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '')
    fail(incident, index, 'name', 'is required (a non-empty string)');
  let normalized: string | undefined;
  if (occurred !== undefined) {
    const result = normalizeOccurred(occurred);
    if ('problem' in result) fail(incident, index, 'occurred', result.problem);
    else if (result.value !== occurred) normalized = result.value;
  }
  if (rawJSON !== undefined) {
    if (typeof rawJSON !== 'string')
      fail(incident, index, 'rawJSON', 'must be a JSON string (JSON.stringify the event)');
    if (stringifiedRawJson.get(incident as Incident) !== rawJSON) {
      try {
        JSON.parse(rawJSON as string);
      } catch {
        fail(incident, index, 'rawJSON', 'is not valid JSON');
      }
    }
  }
  if (dbotMirrorId !== undefined && typeof dbotMirrorId !== 'string') {
    fail(incident, index, 'dbotMirrorId', `must be a string, got ${typeof dbotMirrorId}`);
  }
  // A lone surrogate has no UTF-8 form: hashed (seen ids) or stored, it becomes U+FFFD, and two distinct
  // ids would become one, the second silently dropped as a duplicate.
  if (typeof dbotMirrorId === 'string' && hasLoneSurrogate(dbotMirrorId)) {
    fail(incident, index, 'dbotMirrorId', 'has a lone UTF-16 surrogate, which no UTF-8 text can hold');
  }
  if (dbotMirrorId === undefined && typeof rawJSON === 'string' && hasLoneSurrogate(rawJSON)) {
    fail(
      incident,
      index,
      'rawJSON',
      'has a lone UTF-16 surrogate (escape it as \\uXXXX, as JSON.stringify does)',
    );
  }
  if (severity !== undefined && !SEVERITY_VALUES.includes(severity as number)) {
    fail(
      incident,
      index,
      'severity',
      `must be one of XSOAR's severities 0 (unknown), 0.5 (informational), 1 (low), 2 (medium), 3 (high), 4 (critical); got ${typeof severity === 'number' ? String(severity) : JSON.stringify(severity)}`,
    );
  }
  if (labels !== undefined) checkLabels(incident, index, labels);
  if (maxBytes !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(incident));
    if (size > maxBytes) fail(incident, index, '(size)', `is ${size} bytes, over the ${maxBytes}-byte limit`);
  }
  if (normalized === undefined) return incident as Incident;
  const copy = { ...(incident as Incident), occurred: normalized };
  if (typeof rawJSON === 'string' && stringifiedRawJson.get(incident as Incident) === rawJSON) {
    stringifiedRawJson.set(copy, rawJSON);
  }
  return copy;
};

/**
 * The deterministic key of an incident: its `dbotMirrorId`, or a hash of its `rawJSON` (or of the
 * whole incident) without one. Re-pushing after a crash sends the same key, so the endpoint drops it.
 */
export const incidentKey = (incident: Incident): string => {
  if (incident.dbotMirrorId) return incident.dbotMirrorId;
  const basis = incident.rawJSON ?? JSON.stringify(incident);
  return `sha256:${createHash('sha256').update(basis).digest('base64url').slice(0, 32)}`;
};
