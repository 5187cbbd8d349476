import { isPath, readPath } from './json-path.js';

/**
 * The two kinds of `{{...}}` templates in httpjson parameters: request templates, filled with the fetch
 * window (`{{start}}`, `{{end}}`, `{{limit}}`, `{{cursor}}`) and the instance's `query`, and item templates, filled with fields of
 * one item of the response (`"{{title}} on {{service.summary}}"`).
 */

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders a request template may use. */
export const REQUEST_PLACEHOLDERS = ['start', 'end', 'limit', 'cursor', 'query'] as const;
/** A details request (chained requests) may also use the ids of the batch: `{{id}}` (one) or `{{ids}}`. */
export const DETAIL_PLACEHOLDERS = [...REQUEST_PLACEHOLDERS, 'id', 'ids'] as const;
export type RequestPlaceholder = (typeof DETAIL_PLACEHOLDERS)[number];

/** Values of the request placeholders for one request; a missing one renders as nothing. */
export type RequestValues = Partial<Record<RequestPlaceholder, string | number | readonly string[]>>;

/** The names inside `{{ }}` in `text`, in order. */
export const placeholdersIn = (text: string): string[] => [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);

/** True when `text` holds at least one `{{...}}`. */
export const isTemplate = (text: string): boolean => placeholdersIn(text).length > 0;

/** What is wrong with a request template, or `undefined` when it is fine. */
export const requestTemplateProblem = (
  text: string,
  allowed: readonly string[] = REQUEST_PLACEHOLDERS,
): string | undefined => {
  const unknown = placeholdersIn(text).filter((name) => !allowed.includes(name));
  const names = allowed.map((name) => `{{${name}}}`);
  return unknown.length === 0
    ? undefined
    : `uses {{${unknown[0]}}}; ${allowed.includes('ids') ? 'a details request' : 'a request'} may use only ${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
};

const asTemplateText = (value: string | number | readonly string[] | undefined): string =>
  value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value);

const exactPlaceholder = (text: string): string | undefined => {
  const match = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(text);
  return match?.[1];
};

/**
 * Fills a request template. A string that is exactly one placeholder keeps the value's type (a JSON
 * body gets `"limit": 100`, not `"100"`) and is `undefined` when the value is missing (the first
 * request has no cursor), so the caller can leave the parameter out.
 */
export const renderRequestValue = (
  text: string,
  values: RequestValues,
): string | number | readonly string[] | undefined => {
  const only = exactPlaceholder(text);
  if (only !== undefined) {
    const value = values[only as RequestPlaceholder];
    return value === '' ? undefined : value;
  }
  // Inside a longer string a list of ids is written comma-separated: "id:['a','b']" needs its own quoting.
  return text.replace(PLACEHOLDER, (_, name: string) => asTemplateText(values[name as RequestPlaceholder]));
};

/** Fills every string of a JSON body; keys whose value renders to nothing are left out. */
export const renderRequestBody = (body: unknown, values: RequestValues): unknown => {
  if (typeof body === 'string') return renderRequestValue(body, values);
  if (Array.isArray(body)) return body.map((entry) => renderRequestBody(entry, values));
  if (body !== null && typeof body === 'object') {
    const rendered: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      const filled = renderRequestBody(value, values);
      if (filled !== undefined) rendered[key] = filled;
    }
    return rendered;
  }
  return body;
};

/** Every string inside a JSON value (to check a body's templates). */
export const stringsIn = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
};

const asText = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

/** What is wrong with an item field (a path or a template), or `undefined` when it is fine. */
export const itemFieldProblem = (spec: string): string | undefined => {
  if (!isTemplate(spec))
    return isPath(spec) ? undefined : 'is not a dot path such as "data.id" or "items[0].name"';
  const bad = placeholdersIn(spec).find((name) => !isPath(name));
  return bad === undefined ? undefined : `uses {{${bad}}}, which is not a dot path such as {{data.id}}`;
};

/**
 * Reads one field of an item: `spec` is a dot path (`security_advisory.summary`) or a template
 * (`"{{title}} ({{urgency}})"`). Objects render as JSON; a missing value as `undefined` (a path) or
 * nothing (inside a template).
 */
export const readItemField = (item: unknown, spec: string): string | undefined => {
  if (!isTemplate(spec)) return asText(readPath(item, spec));
  return spec.replace(PLACEHOLDER, (_, path: string) => asText(readPath(item, path)) ?? '');
};
