import { createHash } from 'node:crypto';
import { SinkError } from '../errors.js';
import type { Incident } from '../incident.js';

/** The label every shortened incident carries, so an analyst (and a playbook) can tell. */
export const TRUNCATED_LABEL = 'ferry_truncated';

/** The smallest limit a sink may be configured with: what a stripped incident needs, with room. */
export const MIN_INCIDENT_BYTES = 8 * 1024;

/** Characters of `name` a stripped incident keeps. */
const MAX_STRIPPED_NAME = 1_024;

/** How an incident was shortened to fit a sink's size limit. */
export interface Truncation {
  /** Its size before, as the sink measures it. */
  readonly originalBytes: number;
  readonly limitBytes: number;
  /** The fields that were shortened (`rawJSON`, `details`, `name`) or dropped (`CustomFields`, `labels`). */
  readonly fields: readonly string[];
}

export interface FittedIncident {
  readonly incident: Incident;
  /** Its size as measured: at most the limit. */
  readonly bytes: number;
  /** Set only when the incident had to be shortened. */
  readonly truncation?: Truncation;
}

/** What the sink sends for an incident, in bytes, counted the way the endpoint counts its limit. */
export type MeasureIncident = (incident: Incident) => number;

/** Bytes of a string as UTF-8. */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** A prefix of at most `length` UTF-16 units that does not end inside a surrogate pair. */
const headOf = (text: string, length: number): string => {
  if (length >= text.length) return text;
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
};

interface Shape {
  /** UTF-16 units kept of each long field. */
  readonly keep: number;
  /** Stage 2: CustomFields and labels dropped, name shortened. */
  readonly strip: boolean;
}

/**
 * Builds the shortened incident for one shape. `rawJSON` stays valid JSON — XSOAR's mappers parse
 * it — so it becomes an envelope holding the head of the original text, its size and its hash.
 */
const shorten = (incident: Incident, shape: Shape, originalBytes: number, limitBytes: number) => {
  const fields: string[] = [];
  const out: Incident = { ...incident };
  if (shape.strip) {
    if (out.CustomFields !== undefined) fields.push('CustomFields');
    if (out.labels !== undefined && out.labels.length > 0) fields.push('labels');
    delete out.CustomFields;
    out.labels = [];
    if (out.name.length > MAX_STRIPPED_NAME) {
      out.name = `${headOf(out.name, MAX_STRIPPED_NAME)}…`;
      fields.push('name');
    }
  }
  if (incident.details !== undefined && incident.details.length > shape.keep) {
    out.details = `${headOf(incident.details, shape.keep)}… [truncated by Ferry: ${utf8Bytes(incident.details)} bytes originally]`;
    fields.push('details');
  }
  const rawJSON = incident.rawJSON;
  if (rawJSON !== undefined && (rawJSON.length > shape.keep || shape.strip)) {
    fields.push('rawJSON');
    out.rawJSON = JSON.stringify({
      [TRUNCATED_LABEL]: true,
      originalBytes: utf8Bytes(rawJSON),
      sha256: createHash('sha256').update(rawJSON).digest('hex'),
      fields,
      head: headOf(rawJSON, shape.keep),
    });
  }
  out.labels = [
    ...(out.labels ?? []),
    {
      type: TRUNCATED_LABEL,
      value: `${fields.join(',')} (incident was ${originalBytes} bytes, the sink takes ${limitBytes})`,
    },
  ];
  return { incident: out, fields };
};

/**
 * Makes an incident fit a sink's size limit instead of failing the fetch on it — an oversized incident
 * would otherwise be refused at every retry and wedge the instance. In order, until it fits:
 * 1. `rawJSON` and `details` are cut to the longest head that fits (`rawJSON` becomes a JSON envelope
 *    `{ferry_truncated, originalBytes, sha256, fields, head}`), and a `ferry_truncated` label is added;
 * 2. `CustomFields` and the labels are dropped and the name shortened, keeping what still fits of the
 *    head.
 * The incident's key, `dbotMirrorId`, `occurred`, `type` and `severity` are never changed. Throws a
 * non-retryable SinkError only when even the stripped incident is over the limit (a limit below
 * {@link MIN_INCIDENT_BYTES}, or an absurd `dbotMirrorId`).
 * @example const { incident, truncation } = fitIncident(item.incident, 262_144, (i) => utf8Bytes(JSON.stringify(i)));
 */
export const fitIncident = (
  incident: Incident,
  limitBytes: number,
  measure: MeasureIncident,
): FittedIncident => {
  const originalBytes = measure(incident);
  if (originalBytes <= limitBytes) return { incident, bytes: originalBytes };
  const longest = Math.max(incident.rawJSON?.length ?? 0, incident.details?.length ?? 0);
  for (const strip of [false, true]) {
    const build = (keep: number) => shorten(incident, { keep, strip }, originalBytes, limitBytes);
    if (measure(build(0).incident) > limitBytes) continue;
    // Largest head that fits: every extra character costs at least one byte, so this converges fast.
    let fits = 0;
    let over = longest + 1;
    while (over - fits > 1) {
      const middle = Math.floor((fits + over) / 2);
      if (measure(build(middle).incident) <= limitBytes) fits = middle;
      else over = middle;
    }
    const best = build(fits);
    return {
      incident: best.incident,
      bytes: measure(best.incident),
      truncation: { originalBytes, limitBytes, fields: best.fields },
    };
  }
  throw new SinkError(
    `Incident "${incident.dbotMirrorId ?? incident.name.slice(0, 80)}" is ${originalBytes} bytes and cannot be made to fit ` +
      `the sink's ${limitBytes}-byte limit even without its rawJSON, details, CustomFields and labels ` +
      '(its dbotMirrorId, type or name alone are too long). Raise the sink\'s "maxIncidentBytes" or fix the connector\'s mapping.',
    { retryable: false },
  );
};

/** A sentence for the fetch history naming what was shortened. */
export const truncationNotice = (truncated: readonly { key: string; truncation: Truncation }[]): string => {
  const first = truncated[0];
  if (!first) return '';
  const keys = truncated.slice(0, 5).map((item) => `"${item.key}"`);
  const more = truncated.length > 5 ? ` and ${truncated.length - 5} more` : '';
  return (
    `${truncated.length} incident${truncated.length === 1 ? ' was' : 's were'} over the sink's ${first.truncation.limitBytes}-byte limit ` +
    `and sent shortened, labelled ${TRUNCATED_LABEL}: ${keys.join(', ')}${more}.`
  );
};
