import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Incident } from '../incident.js';
import { utf8Bytes } from './fit-incident.js';
import type { IncidentBatch } from './sink.js';

/** The `DetailType` of every event the sink puts. */
export const INCIDENT_DETAIL_TYPE = 'Incident';
/** PutEvents takes at most 10 entries a call. */
export const MAX_ENTRIES_PER_CALL = 10;
/** EventBridge's entry (and request) limit until 2026; now configurable up to 1 MB. */
export const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;

/** The `Source` of an instance's events: rules match on it (`{"source": ["ferry.helloworld"]}`). */
export const eventSource = (connector: string): string => `ferry.${connector}`;

/** What a rule or a consumer finds in `detail`. */
export interface IncidentDetail {
  readonly instance: string;
  readonly connector: string;
  readonly runId: string;
  /** The incident's deterministic key: consumers dedupe on (`instance`, `key`). */
  readonly key: string;
  readonly incident: Incident;
}

export interface EntryOptions {
  readonly eventBusName?: string;
  readonly resources?: readonly string[];
}

/** One incident as a PutEvents entry. `Time` is left to EventBridge (the put time). */
export const toEntry = (
  batch: IncidentBatch,
  key: string,
  incident: Incident,
  options: EntryOptions = {},
): PutEventsRequestEntry => {
  const detail: IncidentDetail = {
    instance: batch.instance,
    connector: batch.connector,
    runId: batch.runId,
    key,
    incident,
  };
  return {
    Source: eventSource(batch.connector),
    DetailType: INCIDENT_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    ...(options.eventBusName ? { EventBusName: options.eventBusName } : {}),
    ...(options.resources && options.resources.length > 0 ? { Resources: [...options.resources] } : {}),
  };
};

/**
 * An entry's size as AWS counts it against the PutEvents limit ("Calculating PutEvents event entry
 * size"): 14 bytes for `Time` when set, plus the UTF-8 bytes of Source, DetailType, Detail and each
 * resource. EventBusName does not count.
 */
export const entrySize = (entry: PutEventsRequestEntry): number =>
  (entry.Time === undefined ? 0 : 14) +
  utf8Bytes(entry.Source ?? '') +
  utf8Bytes(entry.DetailType ?? '') +
  utf8Bytes(entry.Detail ?? '') +
  (entry.Resources ?? []).reduce((total, resource) => total + utf8Bytes(resource), 0);

/**
 * Packs sized entries, in order, into PutEvents calls: at most 10 a call and at most `maxBytes` in
 * total (the limit applies to the request as a whole).
 */
export const packEntries = <T extends { readonly size: number }>(
  entries: readonly T[],
  maxBytes: number,
): T[][] => {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === MAX_ENTRIES_PER_CALL || (current.length > 0 && bytes + entry.size > maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
};
