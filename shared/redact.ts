/**
 * Secret redaction. Every resolved secret value is registered here once; logs, history records,
 * error messages and debug output pass through {@link redact} before they leave the process.
 * The registry is process-wide on purpose: a warm Lambda serves many instances, and a value that is
 * secret for one of them must not appear in anything written for another.
 */

const REDACTED = '***';
// Shorter values would blank out ordinary words; such a "secret" protects nothing anyway.
const MIN_SECRET_LENGTH = 4;

const secrets = new Set<string>();
let pattern: RegExp | undefined;

const escapeRegExp = (value: string): string => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Registers secret values to be redacted from everything Ferry writes. */
export const registerSecrets = (values: Iterable<string>): void => {
  let changed = false;
  for (const value of values) {
    if (value.length >= MIN_SECRET_LENGTH && !secrets.has(value)) {
      secrets.add(value);
      changed = true;
    }
  }
  if (changed) {
    // Longest first, so a secret that contains another is replaced whole.
    const sorted = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = new RegExp(sorted.join('|'), 'g');
  }
};

/** Replaces every registered secret inside a string. */
export const redactString = (text: string): string => (pattern ? text.replace(pattern, REDACTED) : text);

/** Deeply replaces every registered secret inside strings of a JSON-like value. */
export const redact = <T>(value: T): T => {
  if (!pattern) return value;
  if (typeof value === 'string') return redactString(value) as T;
  if (Array.isArray(value)) return value.map(redact) as T;
  if (value instanceof Error) {
    const copy = new Error(redactString(value.message));
    copy.name = value.name;
    if (value.stack) copy.stack = redactString(value.stack);
    return copy as T;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redact(inner)])) as T;
  }
  return value;
};

/** A JSON.stringify replacer that redacts strings; for loggers and serializers. */
export const redactingReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? redactString(value) : value;
