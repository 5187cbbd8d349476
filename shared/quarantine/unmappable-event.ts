import { createHash } from 'node:crypto';
import { ConnectorError, ErrorCodes, errorCode, errorMessage } from '../errors.js';
import { type Incident, incidentKey } from '../incident.js';
import { boundedJson, depthExceeds } from './bounded-json.js';

/**
 * A source event the connector could not turn into an incident (its mapping threw: a missing field, an
 * unparseable time, an event nested too deep for `JSON.stringify`). It travels in the fetch's incident
 * list in place of the incident, so the look-back's dedupe and the page's cursor treat it like any other
 * event, and the runner sets it aside in the quarantine (see `partition-incidents.ts`).
 */
const UNMAPPABLE = Symbol('ferry.unmappableEvent');

/** Why the mapping failed, and the event it failed on. */
export interface MappingFailure {
  readonly event: unknown;
  readonly code: string;
  readonly message: string;
}

type UnmappableEvent = Incident & { readonly [UNMAPPABLE]: MappingFailure };

/** Nesting past which a stack overflow in a mapping is put down to the event's depth. */
const DEEP_EVENT_LEVELS = 1_000;

// `JSON.stringify` and recursive mappers throw a bare "Maximum call stack size exceeded": say why.
const tooDeep = (event: unknown, error: unknown) =>
  error instanceof RangeError && depthExceeds(event, DEEP_EVENT_LEVELS);

/** Hashing at most this much of a failed event: enough to tell two events apart, bounded work. */
const KEY_BASIS_BYTES = 64 * 1024;

/**
 * The stand-in for an event that could not be mapped. Its key (`unmappable:<hash of the event>`) is
 * stable across fetches, so a look-back that reads the event again drops it as already seen.
 */
export const unmappableEvent = (event: unknown, error: unknown): Incident => {
  const basis = boundedJson(event, { maxBytes: KEY_BASIS_BYTES, maxDepth: 64 }).text;
  const hash = createHash('sha256').update(basis).digest('base64url').slice(0, 32);
  const failure: MappingFailure = tooDeep(event, error)
    ? {
        event,
        code: ErrorCodes.INCIDENT_INVALID,
        message: `The event nests deeper than ${DEEP_EVENT_LEVELS} levels: its mapping ran out of stack (${errorMessage(error)}).`,
      }
    : { event, code: errorCode(error), message: errorMessage(error) };
  return { name: '', dbotMirrorId: `unmappable:${hash}`, [UNMAPPABLE]: failure } as UnmappableEvent;
};

/** The mapping failure an incident list entry stands for, if it is one. */
export const mappingFailureOf = (entry: unknown): MappingFailure | undefined =>
  typeof entry === 'object' && entry !== null && UNMAPPABLE in entry
    ? (entry as UnmappableEvent)[UNMAPPABLE]
    : undefined;

/**
 * Maps one event with `map`, never throwing: a mapping that throws, returns something that is not an
 * object, or whose key cannot be computed yields an {@link unmappableEvent} instead. One hostile event
 * therefore costs only itself, never the page.
 */
export const mapEventSafely = <E>(
  event: E,
  map: (event: E) => Incident,
): { readonly incident: Incident; readonly key: string } => {
  try {
    const incident = map(event);
    if (typeof incident !== 'object' || incident === null || Array.isArray(incident)) {
      throw new ConnectorError(
        `toIncident returned ${incident === null ? 'null' : typeof incident}, not an incident`,
      );
    }
    return { incident, key: incidentKey(incident) };
  } catch (error) {
    const incident = unmappableEvent(event, error);
    return { incident, key: incident.dbotMirrorId! };
  }
};
