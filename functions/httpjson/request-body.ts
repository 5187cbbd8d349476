import { ConfigError } from '../../shared/errors.js';

/**
 * Request bodies as a source declares them: JSON, or `application/x-www-form-urlencoded` (OAuth token
 * endpoints, Splunk's search jobs, many older APIs). The type is `body_type`, or what the configured
 * `Content-Type` header says; a header that names neither is a configuration error, never ignored.
 */

export const BODY_TYPES = ['json', 'form'] as const;
export type BodyType = (typeof BODY_TYPES)[number];

const MEDIA_TYPES: Readonly<Record<BodyType, string>> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
};

/** The configured Content-Type header (any case), if any. */
export const contentTypeHeader = (headers: Readonly<Record<string, string>>): string | undefined =>
  Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];

const bodyTypeOfMedia = (value: string): BodyType | undefined => {
  const media = value.split(';')[0]!.trim().toLowerCase();
  if (media === MEDIA_TYPES.form) return 'form';
  if (media === MEDIA_TYPES.json || /^application\/[\w.+-]+\+json$/.test(media)) return 'json';
  return undefined;
};

/** What is wrong with the declared body type and Content-Type, or `undefined`. */
export const bodyTypeProblem = (
  bodyType: BodyType | undefined,
  headers: Readonly<Record<string, string>>,
): string | undefined => {
  const header = contentTypeHeader(headers);
  if (header === undefined) return undefined;
  const fromHeader = bodyTypeOfMedia(header);
  if (fromHeader === undefined) {
    return `Content-Type "${header}" is neither JSON nor application/x-www-form-urlencoded, the bodies httpjson can write; remove it or set body_type`;
  }
  if (bodyType !== undefined && bodyType !== fromHeader) {
    return `Content-Type "${header}" contradicts "body_type": "${bodyType}"; keep one of them`;
  }
  return undefined;
};

/** The body type in force: `body_type`, else the Content-Type header's, else JSON. */
export const bodyTypeOf = (
  bodyType: BodyType | undefined,
  headers: Readonly<Record<string, string>>,
): BodyType => bodyType ?? bodyTypeOfMedia(contentTypeHeader(headers) ?? '') ?? 'json';

const formValue = (key: string, value: unknown): string[] => {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((entry) => formValue(key, entry));
  if (typeof value === 'object') {
    throw new ConfigError(
      `body.${key} is an object, which a form body cannot carry; use "body_type": "json" or flatten it.`,
      undefined,
      `body.${key}`,
    );
  }
  return [String(value)];
};

/** What is wrong with a form body's shape (nested objects), or `undefined`. */
export const formBodyProblem = (body: Readonly<Record<string, unknown>>): string | undefined => {
  const nested = Object.entries(body).find(
    ([, value]) =>
      value !== null &&
      typeof value === 'object' &&
      (!Array.isArray(value) || value.some((entry) => entry !== null && typeof entry === 'object')),
  );
  return nested
    ? `"${nested[0]}" is an object; a form body holds only strings, numbers, booleans and lists of them`
    : undefined;
};

/**
 * The wire form of a rendered body and its Content-Type (the configured header, as written, when
 * there is one). A form list is written as repeated fields (`ids=a&ids=b`).
 */
export const encodeBody = (
  rendered: Record<string, unknown>,
  bodyType: BodyType,
  headers: Readonly<Record<string, string>>,
): { body: string; contentType: string } => {
  const contentType = contentTypeHeader(headers) ?? MEDIA_TYPES[bodyType];
  if (bodyType === 'json') return { body: JSON.stringify(rendered), contentType };
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(rendered)) {
    for (const text of formValue(key, value)) form.append(key, text);
  }
  return { body: form.toString(), contentType };
};
