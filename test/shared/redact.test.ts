import { describe, expect, it } from 'vitest';
import {
  redact,
  redactAndTruncate,
  redactingReplacer,
  redactString,
  registerCredentialPair,
  registerSecrets,
} from '../../shared/redact.js';

describe('redact', () => {
  it('leaves everything alone while no secret is registered', () => {
    const value = { message: 'nothing secret here' };

    expect(redact(value)).toBe(value);
  });

  it('replaces registered secrets deep inside strings, arrays, objects and errors', () => {
    registerSecrets(['s3cr3t-value', 'tok.en+1']);
    const error = new Error('auth with s3cr3t-value failed');

    const redacted = redact({
      list: ['a s3cr3t-value b', 'tok.en+1', 3],
      nested: { header: 'Bearer tok.en+1' },
      error,
    });

    expect(redacted.list).toEqual(['a *** b', '***', 3]);
    expect(redacted.nested).toEqual({ header: 'Bearer ***' });
    expect(redacted.error).toBeInstanceOf(Error);
    expect(redacted.error.message).toBe('auth with *** failed');
    expect(redacted.error.stack).not.toContain('s3cr3t-value');
    expect(error.message).toBe('auth with s3cr3t-value failed');
  });

  it('replaces a secret that contains another one whole', () => {
    registerSecrets(['abcd', 'abcdefgh']);

    expect(redactString('x abcdefgh y abcd')).toBe('x *** y ***');
  });

  it('ignores values too short to be secrets, which would blank out ordinary words', () => {
    registerSecrets(['on', '']);

    expect(redactString('turned on')).toBe('turned on');
  });

  it('redacts through JSON.stringify for loggers', () => {
    registerSecrets(['logger-secret']);

    expect(JSON.stringify({ line: 'key=logger-secret' }, redactingReplacer)).toBe('{"line":"key=***"}');
  });
});

describe('redaction of derived forms', () => {
  it('redacts a secret JSON-escaped, URL-encoded and base64-encoded, as a source echoes it back', () => {
    const secret = 'k3y"with\\quote/and+plus';
    registerSecrets([secret]);
    const echoed = [
      JSON.stringify({ error: `invalid key ${secret}` }),
      `https://x/cb?key=${encodeURIComponent(secret)}`,
      `form: key=${new URLSearchParams({ k: secret }).toString().slice(2)}`,
      `token ${Buffer.from(secret).toString('base64')}`,
      `token ${Buffer.from(secret).toString('base64url')}`,
      JSON.stringify(JSON.stringify({ key: secret })),
    ];

    const redacted = echoed.map(redactString);

    for (const line of redacted) {
      expect(line).toContain('***');
      expect(line).not.toContain('k3y');
      expect(line).not.toContain(Buffer.from(secret).toString('base64').slice(0, 12));
    }
  });

  it('redacts the Basic form of a user name and password registered as a pair', () => {
    registerCredentialPair('svc-user', 'pa55:word!');
    const header = `Basic ${Buffer.from('svc-user:pa55:word!').toString('base64')}`;

    expect(redactString(`you sent Authorization: ${header}`)).toBe('you sent Authorization: Basic ***');
  });

  it('redacts before it truncates, so no cut secret leaks its first characters', () => {
    const secret = 'abcdefghijklmnopqrstuv';
    registerSecrets([secret]);
    const body = `${'x'.repeat(279)} ${secret}`; // the secret straddles character 300

    const shown = redactAndTruncate(body, 300);

    expect(shown).not.toContain('abcdefghijklmnopqrstu');
    expect(shown).not.toContain('abcdef');
    expect(shown.length).toBeLessThanOrEqual(301);
  });

  it('removes the user:password@ of any URL, registered or not', () => {
    expect(redactString('GET https://admin:hunter22@example.com/x failed')).toBe(
      'GET https://***@example.com/x failed',
    );
    expect(redact({ url: 'ftp://u:p@h/' })).toEqual({ url: 'ftp://***@h/' });
  });

  it('returns a value that holds nothing to redact as it was', () => {
    const value = { nested: { list: ['plain', 1] } };

    expect(redact(value)).toBe(value);
  });
});
