import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { withoutUserinfo } from '../redact.js';

const pathText = (path: readonly PropertyKey[]): string =>
  path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');

/**
 * Turns zod issues into one ConfigError that names the instance, each field and what is wrong with it.
 * @example "Instance "demo": params.max_fetch must be at most 1000 (got 5000)."
 */
export const configErrorFromIssues = (
  where: string,
  issues: readonly z.core.$ZodIssue[],
  options: { instanceId?: string; prefix?: string; input?: unknown } = {},
): ConfigError => {
  const lines = issues.map((issue) => {
    const field = [options.prefix, pathText(issue.path)].filter(Boolean).join('.');
    const got = describeGot(options.input, issue.path);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => `"${key}"`).join(', ');
      return `${field ? `${field}: ` : ''}unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${keys} (check the spelling; see the config reference in docs/configuration.md)`;
    }
    return `${field || '(document)'} ${issue.message}${got}`;
  });
  const firstField = issues[0]
    ? [options.prefix, pathText(issues[0].path)].filter(Boolean).join('.')
    : undefined;
  return new ConfigError(`${where}: ${lines.join('; ')}.`, options.instanceId, firstField);
};

/**
 * Keys whose values may be secrets written where a reference belongs (every secret-bearing field of an
 * instance and of each sink): never echoed into an error, whatever is wrong with them.
 */
const secretKeys = new Set<PropertyKey>([
  'secrets',
  'token',
  'apiKey',
  'apiKeyId',
  'credentials',
  'username',
  'password',
]);

const describeGot = (input: unknown, path: readonly PropertyKey[]): string => {
  if (input === undefined || path.length === 0) return '';
  if (path.some((part) => secretKeys.has(part))) return '';
  let value: unknown = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  if (value === undefined) return '';
  // A URL's user:password@ is a literal credential: never echoed.
  const text = JSON.stringify(typeof value === 'string' ? withoutUserinfo(value) : value);
  return text && text.length <= 60 ? ` (got ${text})` : '';
};
