/**
 * Secret redaction. Every resolved secret value is registered here once; logs, history records,
 * error messages and debug output pass through {@link redact} before they leave the process.
 * The registry is process-wide on purpose: a warm Lambda serves many instances, and a value that is
 * secret for one of them must not appear in anything written for another.
 *
 * A secret rarely comes back verbatim: a source's error body echoes it JSON-escaped, URL-encoded or as
 * the `Basic` header it came in. Each value is registered with those derived forms ({@link derivedForms}),
 * and a pair of credentials with its `user:password` base64 ({@link registerCredentialPair}). Text is
 * redacted before it is shortened ({@link redactAndTruncate}). A source may also echo a cut of a
 * secret (its first characters, a window of it): any run of 8 or more characters of a secret of 12 or
 * more is redacted too, in every form (`secret-cuts.ts` says why those numbers).
 */

import { type CutIndex, indexCuts, redactCuts } from './secret-cuts.js';

const REDACTED = '***';
// Shorter values would blank out ordinary words; such a "secret" protects nothing anyway.
const MIN_SECRET_LENGTH = 4;

const secrets = new Set<string>();
let pattern: RegExp | undefined;
const cuts: CutIndex = new Map();

const escapeRegExp = (value: string): string => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * The forms a secret takes on its way back from a source: verbatim, JSON-escaped (a `"` or `\` in it,
 * once or twice over), URL-encoded (`encodeURIComponent` and form encoding), base64 and base64url
 * (padding dropped: an encoded value inside a longer text has none), and hex of its UTF-8 bytes in
 * lower and upper case (a source dumping the bytes it received).
 * @example derivedForms('a"b') // ['a"b', 'a\\"b', 'a%22b', 'YSJi', …]
 */
export const derivedForms = (value: string): string[] => [
  ...new Set([...textualForms(value), ...encodedForms(value)]),
];

/** The forms that read as the secret's own characters: verbatim, JSON-escaped, URL-encoded. */
const textualForms = (value: string): string[] => {
  const json = JSON.stringify(value).slice(1, -1);
  return [
    value,
    json,
    JSON.stringify(json).slice(1, -1),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
  ];
};

/** The forms that encode its bytes: base64, base64url, hex lower and upper case. */
const encodedForms = (value: string): string[] => [
  base64(value).replace(/=+$/, ''),
  Buffer.from(value, 'utf8').toString('base64url'),
  Buffer.from(value, 'utf8').toString('hex'),
  Buffer.from(value, 'utf8').toString('hex').toUpperCase(),
];

/** Adds the forms of one secret `secretLength` characters long; true when any was new. */
const add = (value: string, secretLength: number): boolean => {
  let changed = false;
  const encoded = new Set(encodedForms(value));
  for (const form of derivedForms(value)) {
    if (form.length >= MIN_SECRET_LENGTH && !secrets.has(form)) {
      secrets.add(form);
      indexCuts(cuts, form, secretLength, encoded.has(form) ? 'encoded' : 'textual');
      changed = true;
    }
  }
  return changed;
};

/** Registers secret values, with their {@link derivedForms}, to be redacted from everything Ferry writes. */
export const registerSecrets = (values: Iterable<string>): void => {
  let changed = false;
  for (const value of values) {
    if (value.length >= MIN_SECRET_LENGTH && add(value, value.length)) changed = true;
  }
  if (changed) rebuild();
};

/**
 * Registers a user name and password as the pair HTTP Basic sends: `base64(user:password)` is what a
 * source echoes back in an error (the user name alone may be short or public; the pair is not), with
 * that value's own derived forms (a source may echo the header escaped, encoded or hex-dumped).
 */
export const registerCredentialPair = (username: string, password: string): void => {
  const encoded = base64(`${username}:${password}`);
  // With and without its padding: inside a longer text an encoded value has none.
  const padded = add(encoded, encoded.length);
  if (add(encoded.replace(/=+$/, ''), encoded.length) || padded) rebuild();
};

function rebuild(): void {
  // Longest first, so a secret that contains another is replaced whole.
  const sorted = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
  pattern = new RegExp(sorted.join('|'), 'g');
}

// `scheme://user:password@host`: the userinfo of any URL in a text, registered or not.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@"'<>]*@/gi;

/** Replaces the `user:password@` of every URL in a text by `***@`. */
export const withoutUserinfo = (text: string): string =>
  text.includes('@') ? text.replace(USERINFO, `$1${REDACTED}@`) : text;

/** Replaces every registered secret (whole or cut), and every URL's userinfo, inside a string. */
export const redactString = (text: string): string =>
  withoutUserinfo(pattern ? redactCuts(cuts, text.replace(pattern, REDACTED), REDACTED) : text);

/**
 * Redacts, then shortens to `max` characters (with `…`): shortening first would cut a secret so that
 * it no longer matches, and its first characters would go out (21 of 22 shown).
 * @example redactAndTruncate(body, 300)
 */
export const redactAndTruncate = (text: string, max: number): string => {
  const redacted = redactString(text);
  return redacted.length > max ? `${redacted.slice(0, max)}…` : redacted;
};

/**
 * Deeply replaces every registered secret (and URL userinfo) inside strings of a JSON-like value. What
 * holds nothing to replace is returned as it was (the same object), so clean values cost no copy.
 */
export const redact = <T>(value: T): T => {
  if (typeof value === 'string') return redactString(value) as T;
  if (Array.isArray(value)) {
    const items = value.map(redact);
    return (items.every((item, index) => item === value[index]) ? value : items) as T;
  }
  if (value instanceof Error) {
    const message = redactString(value.message);
    const stack = value.stack === undefined ? undefined : redactString(value.stack);
    if (message === value.message && stack === value.stack) return value;
    // The same kind of error (a FerryError keeps its class and code), its text redacted; the cause,
    // which may hold anything, is left behind.
    const copy: Error = Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value));
    copy.message = message;
    if (stack !== undefined) copy.stack = stack;
    delete copy.cause;
    return copy as T;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    const redacted = entries.map(([key, inner]) => [key, redact(inner)] as const);
    if (redacted.every(([, inner], index) => inner === entries[index]![1])) return value;
    return Object.fromEntries(redacted) as T;
  }
  return value;
};

/** A JSON.stringify replacer that redacts strings; for loggers and serializers. */
export const redactingReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? redactString(value) : value;
