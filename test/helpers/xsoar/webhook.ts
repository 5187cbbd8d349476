/**
 * The Generic Webhook integration, as demisto/content Packs/GenericWebhook/Integrations/GenericWebhook/
 * GenericWebhook.py (the version with `duplication_key`) handles a POST:
 * - the body is one incident object or a list of them (`parse_incidents`); a body that is not JSON is
 *   answered 400 "Request, and rawJson field if exists must be in JSON format";
 * - each incident's raw JSON is its `rawJson`, else its `raw_json`, else the whole object; the raw
 *   JSON's `headers` key is then overwritten with the request's headers, the secret header removed —
 *   a raw JSON that is not an object, or an element that is not one, raises (uvicorn answers 500);
 * - with `duplication_key` set (comma-separated paths into the raw JSON), an incident whose
 *   `path:value` was seen before is dropped; the ids seen are kept in the integration context, the
 *   newest 5000 (MAX_FOUND_IDS);
 * - no incidents left: the answer is `null`; else `demisto.createIncidents` of
 *   `{name or "Generic webhook triggered incident", type or the instance's incidentType, occurred,
 *   rawJSON: json.dumps(raw), details: json.dumps(raw)}`, answered with the created incidents.
 * Incidents an integration creates go through its instance's classifier and mapper and get the
 * instance as their source (sourceInstance / sourceBrand "Generic Webhook"): the stand-in applies
 * `mapper`, a map of incident field → dotted path in the raw JSON, as an incoming mapper would.
 */

export interface WebhookInstance {
  readonly name: string;
  readonly incidentType?: string;
  /** The instance's `duplication_key` parameter. */
  readonly duplicationKey?: string;
  /** Incident field → path in the raw JSON (the instance's incoming mapper). */
  readonly mapper?: Record<string, string>;
}

export type WebhookOutcome =
  | { readonly status: 200; readonly incidents: Record<string, unknown>[] }
  | { readonly status: 400 | 500; readonly text: string };

const MAX_FOUND_IDS = 5000;

/** `demisto.get`: a dotted path into an object. */
export const getPath = (object: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((value, part) => (value as Record<string, unknown> | null)?.[part], object);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const handleWebhook = (
  instance: WebhookInstance,
  text: string,
  headers: Record<string, string>,
  foundIds: string[],
): WebhookOutcome => {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { status: 400, text: 'Request, and rawJson field if exists must be in JSON format' };
  }
  const incoming = Array.isArray(body) ? body : [body];
  const prepared: { incident: Record<string, unknown>; raw: Record<string, unknown> }[] = [];
  for (const incident of incoming) {
    if (!isObject(incident)) return { status: 500, text: 'Internal Server Error' };
    const raw = incident.rawJson ?? incident.raw_json ?? { ...incident };
    if (!isObject(raw)) return { status: 500, text: 'Internal Server Error' };
    raw.headers = headers;
    prepared.push({ incident, raw });
  }
  const keys = (instance.duplicationKey ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  const seen = new Set(foundIds);
  const fresh: string[] = [];
  const kept = prepared.filter(({ raw }) => {
    const key = keys.find((candidate) => getPath(raw, candidate) != null);
    if (key === undefined) return true;
    const composite = `${key}:${String(getPath(raw, key))}`;
    if (seen.has(composite)) return false;
    seen.add(composite);
    fresh.push(composite);
    return true;
  });
  foundIds.unshift(...fresh);
  foundIds.splice(MAX_FOUND_IDS);
  const incidents = kept.map(({ incident, raw }) => {
    const mapped = Object.fromEntries(
      Object.entries(instance.mapper ?? {}).map(([field, path]) => [field, getPath(raw, path)]),
    );
    return {
      name: incident.name || 'Generic webhook triggered incident',
      type: incident.type || instance.incidentType,
      occurred: incident.occurred,
      rawJSON: JSON.stringify(raw),
      details: JSON.stringify(raw),
      ...mapped,
      sourceInstance: instance.name,
      sourceBrand: 'Generic Webhook',
    };
  });
  return { status: 200, incidents };
};
