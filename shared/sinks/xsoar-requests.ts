/**
 * The requests the `xsoar` sink sends:
 * - XSOAR 6 REST API: `POST <url>/incident` (one `CreateIncidentRequest` per incident) and
 *   `POST <url>/incidents/search` (`SearchIncidentsData`) — demisto-py's server_api_swagger.json;
 * - XSOAR 8 / XSIAM: the same under `https://api-<fqdn>/xsoar/public/v1/` ("Create or update an
 *   incident", "Search incidents", Cortex XSOAR 8 API);
 * - the Generic Webhook integration: `POST <url>/instance/execute/<instance>` with a list of
 *   `{name, type, occurred, raw_json}` (demisto/content, Packs/GenericWebhook: "Multiple incidents can
 *   be created in one request by sending an array").
 */
import type { Incident } from '../incident.js';
import type { IncidentBatch, KeyedIncident } from './sink.js';

export const XsoarModes = { api: 'api', webhook: 'webhook' } as const;
export type XsoarMode = (typeof XsoarModes)[keyof typeof XsoarModes];

/** @default "Ferry": the brand XSOAR shows as the incident's source (Source Brand). */
export const DEFAULT_SOURCE_BRAND = 'Ferry';

/** Options of the create-incident body (REST API mode). */
export interface XsoarBodyOptions {
  /** @default {@link DEFAULT_SOURCE_BRAND} */
  readonly sourceBrand?: string;
  /** Start the investigation (and the type's playbook) on creation. @default true */
  readonly createInvestigation?: boolean;
  readonly playbookId?: string;
  /** The type of incidents that name none. */
  readonly incidentType?: string;
}

const withSlash = (url: URL): URL => new URL(url.href.endsWith('/') ? url.href : `${url.href}/`);

/**
 * The create-incident URL. XSOAR 8's API lives under `/xsoar/public/v1`; a base URL that already ends
 * in `/xsoar` or `/xsoar/public/v1` (pasted from the docs) is accepted as is.
 */
export const xsoarIncidentUrl = (base: URL, version: 6 | 8): string => {
  if (version === 6) return new URL('incident', withSlash(base)).toString();
  const path = base.pathname.replace(/\/+$/, '');
  const prefix = path.endsWith('/xsoar/public/v1')
    ? ''
    : path.endsWith('/xsoar')
      ? 'public/v1/'
      : 'xsoar/public/v1/';
  return new URL(`${prefix}incident`, withSlash(base)).toString();
};

/** The Generic Webhook URL of one webhook instance (XSOAR 8: the base is `https://ext-<fqdn>/xsoar`). */
export const webhookUrl = (base: URL, instanceName: string): string =>
  new URL(`instance/execute/${encodeURIComponent(instanceName)}`, withSlash(base)).toString();

/**
 * XSOAR's custom-field keys are the fields' machine names: lower case, without spaces ("Scan IP" →
 * "scanip"), as both APIs' documentation says.
 */
export const customFieldKey = (key: string): string => key.toLowerCase().replace(/\s+/g, '');

const customFields = (fields: Record<string, unknown> | undefined) =>
  fields === undefined
    ? undefined
    : Object.fromEntries(Object.entries(fields).map(([key, value]) => [customFieldKey(key), value]));

/**
 * The incident's identity as XSOAR shows a fetched one: its source id (`dbotMirrorId`, the incident
 * key when the connector gave none), the instance and brand it came from, and the labels XSOAR gives
 * fetched incidents (`Instance`, `Brand`) plus Ferry's own (`ferry_instance`, `ferry_run`).
 */
export const identityOf = (
  item: KeyedIncident,
  batch: IncidentBatch,
  sourceBrand = DEFAULT_SOURCE_BRAND,
) => ({
  dbotMirrorId: item.incident.dbotMirrorId ?? item.key,
  sourceInstance: batch.instance,
  sourceBrand,
  labels: [
    { type: 'Instance', value: batch.instance },
    { type: 'Brand', value: sourceBrand },
    { type: 'ferry_instance', value: batch.instance },
    { type: 'ferry_run', value: batch.runId },
  ],
});

/** The `CreateIncidentRequest` of XSOAR 6 and 8 (undefined fields are left out). */
export const toXsoarIncident = (
  item: KeyedIncident,
  incident: Incident,
  batch: IncidentBatch,
  options: XsoarBodyOptions = {},
) => {
  const identity = identityOf({ key: item.key, incident }, batch, options.sourceBrand);
  return {
    name: incident.name,
    type: incident.type ?? options.incidentType,
    severity: incident.severity,
    occurred: incident.occurred,
    details: incident.details,
    labels: [...(incident.labels ?? []), ...identity.labels],
    rawJSON: incident.rawJSON,
    CustomFields: customFields(incident.CustomFields),
    dbotMirrorId: identity.dbotMirrorId,
    sourceInstance: identity.sourceInstance,
    sourceBrand: identity.sourceBrand,
    createInvestigation: options.createInvestigation ?? true,
    playbookId: options.playbookId,
  };
};

/** The key under which the webhook body carries Ferry's part of the incident. */
export const WEBHOOK_EXTRAS_KEY = 'ferry';
/** The key under which the webhook body carries the source event. */
export const WEBHOOK_EVENT_KEY = 'event';
/** What to set the webhook's `duplication_key` parameter to, so that it drops what it created before. */
export const WEBHOOK_DUPLICATION_KEY = `${WEBHOOK_EXTRAS_KEY}.key`;

const parseRaw = (rawJSON: string | undefined): unknown =>
  rawJSON === undefined ? undefined : JSON.parse(rawJSON);

/**
 * One incident of a Generic Webhook request. The webhook keeps only name, type, occurred and the raw
 * JSON, and writes the request's headers into the raw JSON's `headers` key; so the event is nested
 * under `event` (a `headers` field of it survives) and the rest of the incident — severity, details,
 * labels, CustomFields, dbotMirrorId, the key — goes under `ferry`, where the instance's mapper picks
 * it up.
 */
export const toWebhookIncident = (
  item: KeyedIncident,
  incident: Incident,
  batch: IncidentBatch,
  options: { readonly incidentType?: string; readonly sourceBrand?: string } = {},
) => {
  const identity = identityOf({ key: item.key, incident }, batch, options.sourceBrand);
  return {
    name: incident.name,
    type: incident.type ?? options.incidentType,
    occurred: incident.occurred,
    raw_json: {
      [WEBHOOK_EVENT_KEY]: parseRaw(incident.rawJSON),
      [WEBHOOK_EXTRAS_KEY]: {
        key: item.key,
        instance: batch.instance,
        connector: batch.connector,
        runId: batch.runId,
        dbotMirrorId: identity.dbotMirrorId,
        sourceBrand: identity.sourceBrand,
        severity: incident.severity,
        details: incident.details,
        labels: [...(incident.labels ?? []), ...identity.labels],
        CustomFields: customFields(incident.CustomFields),
      },
    },
  };
};

/** XSOAR's query syntax quotes a value in double quotes; a quote or backslash inside is escaped. */
export const quoteQueryValue = (value: string): string => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** At most this many source ids per search: the query stays short, the answer under `size`. */
export const SEARCH_IDS_PER_QUERY = 100;

/**
 * The `SearchIncidentsData` that finds incidents by their source ids on one source instance. `size`
 * must be set: the swagger says it "is limited to 1000, if not passed it defaults to 0, and no
 * results will return".
 */
export const searchBody = (sourceInstance: string, ids: readonly string[]) => ({
  filter: {
    query: `sourceInstance:${quoteQueryValue(sourceInstance)} and (${ids
      .map((id) => `dbotMirrorId:${quoteQueryValue(id)}`)
      .join(' or ')})`,
    page: 0,
    size: 1000,
  },
});

/** The search URL next to an incident URL: `…/incident` → `…/incidents/search`. */
export const searchUrlOf = (incidentUrl: string): string =>
  incidentUrl.replace(/\/incident$/, '/incidents/search');

/** The created incident's id in an answer: XSOAR's incident object, or the webhook's list of them. */
export const createdId = (answer: unknown): string | undefined => {
  const first = Array.isArray(answer) ? answer[0] : answer;
  const id = (first as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
};

/** The ids of the incidents a Generic Webhook request created, in order (`null`: it created none). */
export const createdIds = (answer: unknown): (string | undefined)[] =>
  Array.isArray(answer) ? answer.map((item) => createdId(item)) : [];

/** The `{dbotMirrorId → incident id}` pairs of a search answer (`data` is `null` when nothing matched). */
export const foundIds = (answer: unknown): Map<string, string> => {
  const found = new Map<string, string>();
  const data = (answer as { data?: unknown } | null)?.data;
  for (const item of Array.isArray(data) ? data : []) {
    const mirrorId = (item as { dbotMirrorId?: unknown })?.dbotMirrorId;
    const id = createdId(item);
    if (typeof mirrorId === 'string' && id !== undefined && !found.has(mirrorId)) found.set(mirrorId, id);
  }
  return found;
};
