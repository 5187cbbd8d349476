import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncidentInvalidError } from '../../shared/errors.js';
import { validateIncident } from '../../shared/incident.js';
import { RFC3339_UTC } from '../../shared/occurred.js';

// Whatever a connector puts in `occurred`, validation either hands XSOAR an RFC 3339 UTC time with
// seconds that is the same instant, or refuses the incident naming "occurred". Never anything else.

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

/** Date-like text as connectors produce it: right, nearly right, and wrong in every part. */
const dateLike = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
    month: two(13),
    day: two(32),
    separator: fc.constantFrom('T', 't', ' ', '  ', '_'),
    hour: two(25),
    minute: two(61),
    second: fc.option(two(61), { nil: undefined }),
    fraction: fc.option(fc.stringMatching(/^[.,]\d{1,10}$/), { nil: undefined }),
    zone: fc.constantFrom(
      '',
      'Z',
      'z',
      '+01:00',
      '-05:30',
      '+0100',
      '-02',
      '+14:00',
      '+24:00',
      ' UTC',
      'GMT',
    ),
  })
  .map(
    (p) =>
      `${p.year}-${p.month}-${p.day}${p.separator}${p.hour}:${p.minute}` +
      `${p.second === undefined ? '' : `:${p.second}${p.fraction ?? ''}`}${p.zone}`,
  );

const anyOccurred = fc.oneof(
  dateLike,
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.date({ noInvalidDate: true }).map((date) => date.toString()),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(null, true, {}, [], '2026-01-31', '1700000000', '2026-01-31 10:00'),
);

/** The instant of an RFC 3339 text with an explicit zone, by JavaScript's own reading. */
const instantOf = (text: string): number =>
  Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));

describe('occurred, for any value a connector may return', () => {
  it('becomes RFC 3339 UTC with seconds at the same instant, or fails validation naming "occurred"', () => {
    fc.assert(
      fc.property(anyOccurred, (occurred) => {
        let validated: { occurred?: string };
        try {
          validated = validateIncident({ name: 'n', occurred }, 0);
        } catch (error) {
          expect(error).toBeInstanceOf(IncidentInvalidError);
          expect(error).toMatchObject({ field: 'occurred' });
          expect((error as Error).message).toMatch(/"occurred"/);
          return;
        }
        expect(validated.occurred).toMatch(RFC3339_UTC);
        const original = typeof occurred === 'string' ? instantOf(occurred.trim()) : Number.NaN;
        // Where JavaScript reads the original too, both name the same millisecond.
        if (!Number.isNaN(original) && (validated.occurred as string).slice(0, 4) >= '1000') {
          expect(Date.parse(validated.occurred as string)).toBe(original);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
