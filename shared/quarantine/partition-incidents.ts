import { createHash } from 'node:crypto';
import {
  ConnectorError,
  ErrorCodes,
  errorCode,
  errorMessage,
  FerryError,
  IncidentInvalidError,
} from '../errors.js';
import { incidentKey, validateIncident } from '../incident.js';
import type { KeyedIncident } from '../sinks/sink.js';
import { boundedJson, depthExceeds, MAX_INCIDENT_DEPTH } from './bounded-json.js';
import { mappingFailureOf } from './unmappable-event.js';

/**
 * Step 4 of a fetch, per event: every entry the connector returned becomes either a keyed incident
 * for the sink or a quarantine candidate with its reason. Nothing here can throw for one event
 * (deep nesting, prototype keys, huge strings, a mapping that threw): only {@link QuarantineThreshold}
 * fails a page, because then the mapping is broken rather than an event.
 */

/**
 * When a page's invalid events stop being poison and become a broken connector: at least
 * `minInvalid` of them AND more than `maxInvalidShare` of the page. Then the fetch fails and the cursor
 * stays, so a broken mapping never silently empties an instance into the quarantine. Below it, invalid
 * events are set aside and the rest delivered: a single poison event (even alone on its page) never
 * wedges an instance.
 */
export const QuarantineThreshold = { minInvalid: 5, maxInvalidShare: 0.5 } as const;

/** The longest `dbotMirrorId` accepted: an id, not a document (it is a DynamoDB key downstream). */
export const MAX_SOURCE_ID_LENGTH = 1_024;
/** Stored per quarantined event at most (its raw JSON is cut beyond, and marked so). */
export const MAX_QUARANTINED_RAW_BYTES = 64 * 1024;
/** Reasons are cut at this length (a huge bad value must not become a huge message). */
const MAX_REASON_LENGTH = 1_000;
/** Kept of an id in the record. */
const MAX_RECORDED_ID_LENGTH = 256;

/** Why an event was set aside. */
export interface QuarantineReason {
  /** `INCIDENT_INVALID` (the incident breaks the contract) or the code the mapping threw with. */
  readonly code: string;
  /** The offending field (`name`, `occurred`, `(depth)`, ...), or `(mapping)` when the mapping threw. */
  readonly field: string;
  readonly message: string;
}

/** One event set aside: what the quarantine store records. */
export interface QuarantineCandidate {
  /** Stable for the same event: the same event fetched again lands on the same record. */
  readonly quarantineId: string;
  /** The event's id at the source (`dbotMirrorId`, or the event's top-level `id`), if it has one. */
  readonly sourceId?: string;
  readonly reason: QuarantineReason;
  /** `incident`: what the connector returned; `event`: the source event its mapping failed on. */
  readonly rawKind: 'incident' | 'event';
  /** Its JSON, cut at {@link MAX_QUARANTINED_RAW_BYTES} (not yet redacted: the store does that). */
  readonly raw: string;
  /** False when `raw` was cut (by size or depth): such a record can be read but not re-driven. */
  readonly rawComplete: boolean;
}

export interface Partition {
  readonly keyed: KeyedIncident[];
  /** Entries whose key (or quarantine id) another entry of the page already had. */
  readonly repeated: number;
  readonly quarantined: QuarantineCandidate[];
}

const cap = (text: string, length: number) => (text.length > length ? `${text.slice(0, length)}…` : text);

const hashId = (basis: string) => createHash('sha256').update(basis).digest('hex').slice(0, 16);

// The validator's advice fits a failed fetch; a quarantined event did not fail one.
const quarantineMessage = (message: string) =>
  cap(
    message.replace(/ Fix the connector's mapping; the fetch was not committed, so nothing is lost\.$/, ''),
    MAX_REASON_LENGTH,
  );

const topLevelId = (event: unknown): string | undefined => {
  if (typeof event !== 'object' || event === null || !Object.hasOwn(event, 'id')) return undefined;
  const id = (event as { id: unknown }).id;
  return typeof id === 'string' || typeof id === 'number'
    ? cap(String(id), MAX_RECORDED_ID_LENGTH)
    : undefined;
};

const candidate = (entry: unknown, reason: QuarantineReason): QuarantineCandidate => {
  const failure = mappingFailureOf(entry);
  const subject = failure ? failure.event : entry;
  const raw = boundedJson(subject, { maxBytes: MAX_QUARANTINED_RAW_BYTES, maxDepth: MAX_INCIDENT_DEPTH });
  const mirrorId = failure ? undefined : (entry as { dbotMirrorId?: unknown } | null)?.dbotMirrorId;
  const sourceId =
    typeof mirrorId === 'string' && mirrorId !== ''
      ? cap(mirrorId, MAX_RECORDED_ID_LENGTH)
      : topLevelId(subject);
  // The same event gets the same id: by its source id, else by its (bounded) content.
  const basis = failure ? (entry as { dbotMirrorId: string }).dbotMirrorId : (sourceId ?? raw.text);
  return {
    quarantineId: hashId(basis),
    ...(sourceId !== undefined ? { sourceId } : {}),
    reason,
    rawKind: failure ? 'event' : 'incident',
    raw: raw.text,
    rawComplete: raw.complete,
  };
};

/** Why `entry` cannot be pushed, or `undefined` with its key when it can. */
const check = (
  entry: unknown,
  index: number,
): { key: string; incident: KeyedIncident['incident'] } | { reason: QuarantineReason } => {
  const failure = mappingFailureOf(entry);
  if (failure)
    return {
      reason: { code: failure.code, field: '(mapping)', message: cap(failure.message, MAX_REASON_LENGTH) },
    };
  // Before anything that recurses (JSON.stringify in the validator, the key, the sink).
  if (depthExceeds(entry, MAX_INCIDENT_DEPTH)) {
    return {
      reason: {
        code: ErrorCodes.INCIDENT_INVALID,
        field: '(depth)',
        message: `Incident #${index} nests deeper than ${MAX_INCIDENT_DEPTH} levels (the most a sink can store).`,
      },
    };
  }
  try {
    const incident = validateIncident(entry, index);
    if (incident.dbotMirrorId !== undefined && incident.dbotMirrorId.length > MAX_SOURCE_ID_LENGTH) {
      return {
        reason: {
          code: ErrorCodes.INCIDENT_INVALID,
          field: 'dbotMirrorId',
          message: `Incident #${index} has a dbotMirrorId of ${incident.dbotMirrorId.length} characters; an id has at most ${MAX_SOURCE_ID_LENGTH}.`,
        },
      };
    }
    // The validated copy: `occurred` normalized to RFC 3339 UTC is what the sink must send.
    return { key: incidentKey(incident), incident };
  } catch (error) {
    const field = error instanceof IncidentInvalidError ? error.field : '(incident)';
    return { reason: { code: errorCode(error), field, message: quarantineMessage(errorMessage(error)) } };
  }
};

/**
 * Splits a page into incidents to push (each key once) and events to quarantine. Throws a
 * `FerryError` (`INCIDENT_INVALID`) only past {@link QuarantineThreshold}.
 */
export const partitionIncidents = (entries: unknown[]): Partition => {
  if (!Array.isArray(entries)) {
    throw new ConnectorError(
      `The connector's fetchIncidents returned ${entries === null ? 'null' : typeof entries} as "incidents"; ` +
        'it must return { incidents: [...], nextRun } with an array (an empty one when nothing is new).',
    );
  }
  const byKey = new Map<string, KeyedIncident>();
  const quarantined = new Map<string, QuarantineCandidate>();
  let valid = 0;
  entries.forEach((entry, index) => {
    const result = check(entry, index);
    if ('reason' in result) {
      const set = candidate(entry, result.reason);
      quarantined.set(set.quarantineId, set);
      return;
    }
    valid++;
    if (!byKey.has(result.key)) byKey.set(result.key, { key: result.key, incident: result.incident });
  });
  const invalid = entries.length - valid;
  if (
    invalid >= QuarantineThreshold.minInvalid &&
    invalid > entries.length * QuarantineThreshold.maxInvalidShare
  ) {
    const first = [...quarantined.values()][0]!;
    throw new FerryError(
      ErrorCodes.INCIDENT_INVALID,
      `${invalid} of the ${entries.length} incidents of this page are invalid (at least ${QuarantineThreshold.minInvalid} and more than ` +
        `${QuarantineThreshold.maxInvalidShare * 100}%): the connector's mapping is broken, not an event, so nothing was quarantined and ` +
        `the fetch was not committed (nothing is lost). The first: ${first.reason.message} Fix the mapping; the next fetch retries the page.`,
    );
  }
  return {
    keyed: [...byKey.values()],
    // A poison event twice on one page is quarantined once; the second copy counts as repeated.
    repeated: entries.length - byKey.size - quarantined.size,
    quarantined: [...quarantined.values()],
  };
};
