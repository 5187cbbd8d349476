import { describe, expect, it } from 'vitest';
import { redact, redactingReplacer, redactString, registerSecrets } from '../../shared/redact.js';

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
