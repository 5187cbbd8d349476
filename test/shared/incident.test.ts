import { describe, expect, it } from 'vitest';
import { IncidentInvalidError } from '../../shared/errors.js';
import {
  buildIncident,
  type Incident,
  incidentKey,
  Severity,
  validateIncident,
} from '../../shared/incident.js';

const valid = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'Suspicious login',
  occurred: '2026-03-01T10:00:00.000Z',
  rawJSON: '{"id":"E-1"}',
  dbotMirrorId: 'E-1',
  ...overrides,
});

const failure = (incident: unknown, index = 3): IncidentInvalidError => {
  try {
    validateIncident(incident, index);
  } catch (error) {
    if (error instanceof IncidentInvalidError) return error;
    throw error;
  }
  throw new Error('expected validateIncident to throw');
};

describe('validateIncident', () => {
  it('accepts an incident in XSOAR shape and returns it unchanged', () => {
    const incident = valid({ severity: Severity.high, labels: [{ type: 'host', value: 'h1' }] });

    expect(validateIncident(incident, 0)).toBe(incident);
  });

  it.each([
    ['2026-01-31T10:00:00Z', '2026-01-31T10:00:00Z'],
    ['2026-01-31T10:00:00.123Z', '2026-01-31T10:00:00.123Z'],
    ['2026-01-31T10:00Z', '2026-01-31T10:00:00Z'],
    ['2026-01-31 10:00+0100', '2026-01-31T09:00:00Z'],
    ['2026-01-31T10:00:00+01:00', '2026-01-31T09:00:00Z'],
    ['2026-01-31t00:30:00-02', '2026-01-31T02:30:00Z'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00Z'],
    ['2024-02-29T12:00:00,5z', '2024-02-29T12:00:00.5Z'],
  ])('sends occurred %s to XSOAR as %s (RFC 3339, UTC, seconds), in a copy', (occurred, expected) => {
    const incident = valid({ occurred });

    const validated = validateIncident(incident, 0);

    expect(validated.occurred).toBe(expected);
    expect(incident.occurred).toBe(occurred);
  });

  it("takes severity 0.5 (informational), XSOAR's one fractional severity", () => {
    expect(validateIncident(valid({ severity: 0.5 }), 0).severity).toBe(0.5);
  });

  it('accepts an incident with only a name (occurred and rawJSON are optional in XSOAR)', () => {
    expect(validateIncident({ name: 'x' }, 0)).toEqual({ name: 'x' });
  });

  it.each([
    ['name', valid({ name: undefined }), /"name" is required/],
    ['name', valid({ name: '  ' }), /"name" is required/],
    [
      'occurred',
      valid({ occurred: '01/03/2026' }),
      /"occurred" is not a date and time XSOAR can read \("01\/03\/2026"\); use RFC 3339 with a zone/,
    ],
    ['occurred', valid({ occurred: 1_700_000_000_000 }), /"occurred" must be an RFC 3339 string, got number/],
    [
      'occurred',
      valid({ occurred: '2026-01-31 10:00' }),
      /"occurred" has no time zone \("2026-01-31 10:00"\)/,
    ],
    ['occurred', valid({ occurred: '2026-02-30T10:00:00Z' }), /"occurred" is not a real date and time/],
    [
      'rawJSON',
      valid({ rawJSON: { id: 'E-1' } }),
      /"rawJSON" must be a JSON string \(JSON.stringify the event\)/,
    ],
    ['rawJSON', valid({ rawJSON: '{id: E-1}' }), /"rawJSON" is not valid JSON/],
    ['severity', valid({ severity: 7 }), /"severity" must be one of XSOAR's severities 0 \(unknown\), 0.5/],
    ['severity', valid({ severity: 2.5 }), /"severity" must be one of .*; got 2.5/],
    ['severity', valid({ severity: Number.NaN }), /"severity" must be one of .*; got NaN/],
    ['severity', valid({ severity: '2' }), /"severity" must be one of .*; got "2"/],
    [
      'labels[1].value',
      valid({
        labels: [
          { type: 'a', value: 'x' },
          { type: 'b', value: 3 },
        ],
      }),
      /must be a string/,
    ],
    ['labels[0].type', valid({ labels: [{ value: 'x' }] }), /must be a non-empty string/],
    ['labels', valid({ labels: { host: 'h1' } }), /"labels" must be an array/],
  ])('names the incident and the field "%s" when it is wrong', (field, incident, message) => {
    const error = failure(incident, 3);

    expect(error).toMatchObject({ code: 'INCIDENT_INVALID', index: 3, field });
    expect(error.message).toMatch(/^Incident #3 \(dbotMirrorId "E-1"\) is invalid: /);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/Fix the connector's mapping; the fetch was not committed/);
  });

  it('still parses the rawJSON of a built incident that the connector changed afterwards', () => {
    const incident = buildIncident(
      { id: 'E-1' },
      { name: () => 'n', occurred: () => '2026-03-01T10:00:00Z' },
    );
    expect(validateIncident(incident, 0)).toBe(incident);

    incident.rawJSON = '{id: E-1}';

    expect(failure(incident, 0)).toMatchObject({ field: 'rawJSON' });
  });

  it('names a dbotMirrorId that is not a string', () => {
    const error = failure(valid({ dbotMirrorId: 42 }), 0);

    expect(error).toMatchObject({ field: 'dbotMirrorId', index: 0 });
    expect(error.message).toMatch(/^Incident #0 is invalid: "dbotMirrorId" must be a string, got number/);
  });

  it('refuses an id with a lone surrogate, which UTF-8 would merge with another id', () => {
    // "\ud800" and "\udbff" both become U+FFFD once encoded: stored or hashed, they would be one id.
    expect(() => validateIncident({ name: 'n', dbotMirrorId: 'a\ud800' }, 0)).toThrow(
      /Incident #0 .*"dbotMirrorId".*lone UTF-16 surrogate/,
    );
    expect(() => validateIncident({ name: 'n', rawJSON: '{"id":"\udbff"}' }, 1)).toThrow(/"rawJSON".*lone/);
    expect(validateIncident({ name: 'n', dbotMirrorId: 'a\ud83d\ude00' }, 2).dbotMirrorId).toBe('a😀');
    expect(validateIncident({ name: 'n', rawJSON: JSON.stringify({ id: 'a\ud800' }) }, 3).rawJSON).toBe(
      '{"id":"a\\ud800"}',
    );
  });

  it('refuses something that is not an object', () => {
    expect(failure('just text', 5)).toMatchObject({ field: '(incident)', index: 5 });
    expect(failure(null, 5).message).toMatch(/must be an object/);
  });

  it('refuses an incident over the size limit, saying how large it is', () => {
    const error = (() => {
      try {
        validateIncident(valid({ details: 'x'.repeat(2_000) }), 1, 1_000);
      } catch (caught) {
        return caught as IncidentInvalidError;
      }
    })();

    expect(error?.field).toBe('(size)');
    expect(error?.message).toMatch(/is \d+ bytes, over the 1000-byte limit/);
  });
});

describe('incidentKey', () => {
  it('is the dbotMirrorId when there is one', () => {
    expect(incidentKey({ name: 'a', dbotMirrorId: 'E-1', rawJSON: '{"a":1}' })).toBe('E-1');
  });

  it('hashes rawJSON without a dbotMirrorId: the same event always gets the same key', () => {
    const first: Incident = { name: 'a', rawJSON: '{"id":7,"kind":"login"}' };
    const again: Incident = { name: 'renamed later', rawJSON: '{"id":7,"kind":"login"}' };
    const other: Incident = { name: 'a', rawJSON: '{"id":8,"kind":"login"}' };

    expect(incidentKey(first)).toMatch(/^sha256:[A-Za-z0-9_-]{32}$/);
    expect(incidentKey(again)).toBe(incidentKey(first));
    expect(incidentKey(other)).not.toBe(incidentKey(first));
  });

  it('hashes the whole incident when it has neither', () => {
    const incident: Incident = { name: 'a', occurred: '2026-03-01T00:00:00Z' };

    expect(incidentKey(incident)).toBe(incidentKey({ ...incident }));
    expect(incidentKey(incident)).not.toBe(incidentKey({ ...incident, name: 'b' }));
  });
});

describe('buildIncident', () => {
  it('keeps the event as rawJSON and its id as a string dbotMirrorId', () => {
    const event = { id: 100, title: 'event_1', at: new Date('2019-10-23T10:11:00Z'), host: 'h1', user: '' };

    const incident = buildIncident(event, {
      name: (e) => e.title,
      occurred: (e) => e.at,
      id: (e) => e.id,
      severity: () => Severity.medium,
      type: 'Demo',
      labels: (e) => ({ host: e.host, user: e.user }),
    });

    expect(incident).toEqual({
      name: 'event_1',
      occurred: '2019-10-23T10:11:00.000Z',
      rawJSON: JSON.stringify(event),
      dbotMirrorId: '100',
      severity: 2,
      type: 'Demo',
      labels: [{ type: 'host', value: 'h1' }],
    });
    expect(validateIncident(incident, 0)).toBe(incident);
  });
});
