/**
 * What XSOAR's REST API takes and how it refuses, for the stand-in. Every rule names its source:
 * - [swagger] demisto-py's server_api_swagger.json (demisto/demisto-py): `CreateIncidentRequest`,
 *   `Label`, `Severity` (`number`), `SearchIncidentsData`/`IncidentFilter`, and the error object.
 * - [go] XSOAR's server is Go (`x-go-package: github.com/demisto/server/domain` in the swagger): a body
 *   is decoded with encoding/json, which refuses a value of the wrong JSON type and a `date-time`
 *   that is not RFC 3339 (`time.Time` takes only "2006-01-02T15:04:05Z07:00"), and ignores unknown keys.
 * - [csp] demisto/content CommonServerPython.py `IncidentSeverity`: UNKNOWN 0, INFO 0.5, LOW 1,
 *   MEDIUM 2, HIGH 3, CRITICAL 4 — XSOAR's severity field takes these and nothing else.
 * - [xsoar8] Cortex XSOAR 8 API reference: public API errors are `{reply: {err_code, err_msg, err_extra}}`.
 */

export type Flavour = 6 | 8;

/** [swagger] the error body XSOAR 6 answers with (its `id`, `status`, `title`, `detail`, `error`). */
export const xsoar6Error = (status: number, id: string, title: string, detail: string) => ({
  id,
  status,
  title,
  detail,
  error: detail,
  encrypted: false,
  multires: null,
});

/** [xsoar8] the public API's error body. */
export const xsoar8Error = (status: number, message: string) => ({
  reply: { err_code: status, err_msg: message, err_extra: null },
});

export const errorBody = (flavour: Flavour, status: number, id: string, title: string, detail: string) =>
  flavour === 8 ? xsoar8Error(status, detail) : xsoar6Error(status, id, title, detail);

/** [go] RFC 3339 as Go's time.Time reads it: `T`, seconds, optional fraction, `Z` or `±hh:mm`. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

export const isGoTime = (text: string): boolean => {
  const match = RFC3339.exec(text);
  if (!match) return false;
  const [, y, mo, d, h, mi, s, , , oh = '0', om = '0'] = match.map((part) => part ?? '');
  const days = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  return (
    Number(mo) >= 1 &&
    Number(mo) <= 12 &&
    Number(d) >= 1 &&
    Number(d) <= days &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s) <= 59 &&
    Number(oh) <= 23 &&
    Number(om) <= 59
  );
};

/** [csp] XSOAR's severities. */
export const SEVERITIES = [0, 0.5, 1, 2, 3, 4];

const STRING_FIELDS = [
  'name',
  'type',
  'details',
  'rawJSON',
  'playbookId',
  'owner',
  'reason',
  'closeNotes',
  'closeReason',
  'phase',
  'category',
  'dbotMirrorId',
  'dbotMirrorInstance',
  'sourceInstance',
  'sourceBrand',
  'id',
];
const TIME_FIELDS = ['occurred', 'created', 'modified', 'closed', 'dueDate', 'reminder'];
const jsonType = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'number'
        ? 'number'
        : typeof value;

/**
 * Checks a `CreateIncidentRequest` as the server decodes it; returns the problem in Go's words, or
 * undefined. `null` is accepted for any field ([go]: null leaves the zero value).
 */
export const createRequestProblem = (body: unknown): string | undefined => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `json: cannot unmarshal ${jsonType(body)} into Go value of type domain.CreateIncidentRequest`;
  }
  const incident = body as Record<string, unknown>;
  const wrong = (field: string, goType: string) =>
    `json: cannot unmarshal ${jsonType(incident[field])} into Go struct field CreateIncidentRequest.${field} of type ${goType}`;
  for (const field of STRING_FIELDS) {
    if (incident[field] != null && typeof incident[field] !== 'string') return wrong(field, 'string');
  }
  for (const field of TIME_FIELDS) {
    const value = incident[field];
    if (value == null) continue;
    if (typeof value !== 'string') return wrong(field, 'time.Time');
    if (!isGoTime(value)) {
      return `parsing time ${JSON.stringify(JSON.stringify(value))} as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse it as RFC 3339`;
    }
  }
  if (incident.severity != null) {
    if (typeof incident.severity !== 'number') return wrong('severity', 'domain.Severity');
    if (!SEVERITIES.includes(incident.severity)) return `invalid severity ${incident.severity}`;
  }
  if (incident.createInvestigation != null && typeof incident.createInvestigation !== 'boolean') {
    return wrong('createInvestigation', 'bool');
  }
  if (
    incident.CustomFields != null &&
    (typeof incident.CustomFields !== 'object' || Array.isArray(incident.CustomFields))
  ) {
    return wrong('CustomFields', 'domain.CustomFields');
  }
  if (incident.labels != null) {
    if (!Array.isArray(incident.labels)) return wrong('labels', '[]domain.Label');
    for (const label of incident.labels) {
      if (typeof label !== 'object' || label === null || Array.isArray(label)) {
        return `json: cannot unmarshal ${jsonType(label)} into Go struct field CreateIncidentRequest.labels of type domain.Label`;
      }
      for (const key of ['type', 'value'] as const) {
        const value = (label as Record<string, unknown>)[key];
        if (value != null && typeof value !== 'string') {
          return `json: cannot unmarshal ${jsonType(value)} into Go struct field Label.labels.${key} of type string`;
        }
      }
    }
  }
  return undefined;
};
