import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactAndTruncate, redactString, registerSecrets } from '../../shared/redact.js';
import { CUT_RUN, MIN_CUT_SECRET_LENGTH } from '../../shared/secret-cuts.js';

// The registry is process-wide: each test registers its own values, and none is a run of another's.
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
/** A run of more than one kind of character (lower, upper, digit): the runs a cut is found by. */
const mixed = (run: string) => [/[a-z]/, /[A-Z]/, /[0-9]/].filter((kind) => kind.test(run)).length >= 2;
const runsOf = (text: string, length: number) =>
  Array.from({ length: text.length - length + 1 }, (_, start) => text.slice(start, start + length));

describe('redaction of cuts and hex forms of a secret', () => {
  const secret = 'Zq7mW2xKp9Lr4Tv8';
  registerSecrets([secret]);

  it.each([
    [
      'the first 8 characters, as "key abcd1234…"',
      `key ${secret.slice(0, 8)}… rejected`,
      'key ***… rejected',
    ],
    ['all but the last character (21 of 22 shown)', `got ${secret.slice(0, -1)}`, 'got ***'],
    ['a window from the middle', `[${secret.slice(3, 13)}]`, '[***]'],
    ['the last 9 characters', `…${secret.slice(-9)}`, '…***'],
    ['hex, lower case', `bytes ${hex(secret)}`, 'bytes ***'],
    ['hex, upper case', `BYTES ${hex(secret).toUpperCase()}`, 'BYTES ***'],
    ['a cut of the hex (8 characters of the secret)', `${hex(secret).slice(4, 20)}..`, '***..'],
    ['two cuts in one text', `${secret.slice(0, 8)} and ${secret.slice(8)}`, '*** and ***'],
  ])('redacts %s', (_what, text, expected) => {
    expect(redactString(text)).toBe(expected);
  });

  it(`leaves a run of ${CUT_RUN - 1} characters, and the hex of fewer than ${CUT_RUN}, as they are`, () => {
    const seven = secret.slice(2, 2 + CUT_RUN - 1);
    const shortHex = hex(secret).slice(0, 2 * CUT_RUN - 2);

    expect(redactString(`id ${seven} ok`)).toBe(`id ${seven} ok`);
    expect(redactString(shortHex)).toBe(shortHex);
  });

  it('leaves a run of one kind of character alone: a word, a name, a number', () => {
    registerSecrets(['operator-key', 'Summer2024!x']);

    expect(redactString('instance operator-d1f55212, Summer 2024')).toBe(
      'instance operator-d1f55212, Summer 2024',
    );
    expect(redactString('key Summer2024…')).toBe('key ***…');
  });

  it(`redacts a secret under ${MIN_CUT_SECRET_LENGTH} characters whole only, never a cut of it`, () => {
    const short = 'pX4rT9wQ2zK';
    registerSecrets([short]);

    expect(redactString(`${short} ${short.slice(0, 10)}`)).toBe(`*** ${short.slice(0, 10)}`);
  });

  it('cuts before it truncates: a secret straddling the limit shows none of its characters', () => {
    const shown = redactAndTruncate(`${'x'.repeat(295)}${secret}`, 300);

    expect(shown).toBe(`${'x'.repeat(295)}***`);
  });

  it('reaches nested values and errors as everywhere else', () => {
    const error = new Error(`auth failed for ${secret.slice(0, 10)}`);

    expect(redact({ history: [{ message: `key ${hex(secret).slice(0, 24)}` }], error })).toEqual({
      history: [{ message: 'key ***' }],
      error: expect.objectContaining({ message: 'auth failed for ***' }),
    });
  });
});

describe('cut redaction, for any secret and any cut', () => {
  // Secrets of printable characters; the text around a cut uses characters no secret has.
  const secretArbitrary = fc.string({
    unit: fc.constantFrom(...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_.~+/=!"\\'),
    minLength: 12,
    maxLength: 48,
  });
  const filler = fc.string({ unit: fc.constantFrom(' ', '#', ',', '\n', '(', ')'), maxLength: 20 });

  it('leaves no run of 8 characters of the secret that mixes kinds, nor 16 hex digits of its bytes', () => {
    fc.assert(
      fc.property(
        secretArbitrary,
        fc.nat(),
        fc.nat(),
        filler,
        filler,
        fc.constantFrom('plain', 'hex', 'HEX'),
        (secret, a, b, before, after, form) => {
          registerSecrets([secret]);
          const start = a % (secret.length - CUT_RUN + 1);
          const end = start + CUT_RUN + (b % (secret.length - start - CUT_RUN + 1));
          const cut = secret.slice(start, end);
          const shown = form === 'plain' ? cut : form === 'hex' ? hex(cut) : hex(cut).toUpperCase();

          const text = redactString(`${before}${shown}${after}`);

          if (form === 'plain') {
            for (const run of runsOf(secret, CUT_RUN).filter(mixed)) expect(text).not.toContain(run);
            if (runsOf(cut, CUT_RUN).some(mixed)) expect(text).toContain('***');
          } else {
            // An encoded form's runs count whatever kinds of character they hold.
            for (const run of runsOf(hex(secret), 2 * CUT_RUN)) expect(text.toLowerCase()).not.toContain(run);
            expect(text).toContain('***');
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('changes no ordinary text that holds no run of a secret', () => {
    fc.assert(
      fc.property(
        fc.lorem({ maxCount: 40 }),
        fc.string({ unit: fc.constantFrom(...'0123456789 -:TZ'), maxLength: 40 }),
        (words, digits) => {
          const text = `${words} ${digits}`;
          expect(redactString(text)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
