/**
 * The requests the `xsoar` sink sends, one per incident:
 * - XSOAR 6 REST API: `POST <url>/incident`, header `Authorization: <api key>`;
 * - XSOAR 8 / XSIAM public API: `POST https://api-<fqdn>/xsoar/public/v1/incident`, headers
 *   `Authorization: <api key>` and `x-xdr-auth-id: <key id>` (a standard key);
 * - the Generic Webhook integration: `POST <url>/instance/execute/<instance>`, basic auth, body
 *   `{name, type, occurred, raw_json}`.
 * Sources: "Create single incident" (Cortex XSOAR 6 API), "Create or update an incident" (Cortex
 * XSOAR 8 API), and the Generic Webhook integration (demisto/content, Packs/GenericWebhook).
 */
import type { Incident } from '../incident.js';
import type { IncidentBatch, KeyedIncident } from './sink.js';

export const XsoarModes = { api: 'api', webhook: 'webhook' } as const;
export type XsoarMode = (typeof XsoarModes)[keyof typeof XsoarModes];

/** Options of the create-incident body (REST API mode). */
export interface XsoarBodyOptions {
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

/** The create-incident request body of XSOAR 6 and 8 (undefined fields are left out). */
export const toXsoarIncident = (incident: Incident, options: XsoarBodyOptions = {}) => ({
  name: incident.name,
  type: incident.type ?? options.incidentType,
  severity: incident.severity,
  occurred: incident.occurred,
  details: incident.details,
  labels: incident.labels,
  rawJSON: incident.rawJSON,
  CustomFields: customFields(incident.CustomFields),
  createInvestigation: options.createInvestigation ?? true,
  playbookId: options.playbookId,
});

/** The key under which the webhook body carries what its four fields have no room for. */
export const WEBHOOK_EXTRAS_KEY = '_ferry';

const parseRaw = (rawJSON: string | undefined): Record<string, unknown> => {
  if (rawJSON === undefined) return {};
  const parsed: unknown = JSON.parse(rawJSON);
  // The webhook takes an object; anything else is wrapped so that nothing is lost.
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : { value: parsed };
};

/**
 * The Generic Webhook body. Its incident has only name, type, occurred and the raw JSON, so the rest
 * (severity, details, labels, CustomFields, dbotMirrorId and Ferry's key) travels inside `raw_json`
 * under `_ferry`, where a mapper can pick it up.
 */
export const toWebhookIncident = (item: KeyedIncident, batch: IncidentBatch, incidentType?: string) => {
  const { incident } = item;
  const extras = {
    instance: batch.instance,
    connector: batch.connector,
    key: item.key,
    dbotMirrorId: incident.dbotMirrorId,
    severity: incident.severity,
    details: incident.details,
    labels: incident.labels,
    CustomFields: customFields(incident.CustomFields),
  };
  return {
    name: incident.name,
    type: incident.type ?? incidentType,
    occurred: incident.occurred,
    raw_json: { ...parseRaw(incident.rawJSON), [WEBHOOK_EXTRAS_KEY]: extras },
  };
};

/** The created incident's id in an answer: XSOAR's incident object, or the webhook's list of them. */
export const createdId = (answer: unknown): string | undefined => {
  const first = Array.isArray(answer) ? answer[0] : answer;
  const id = (first as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
};
