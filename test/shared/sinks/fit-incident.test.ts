import { describe, expect, it } from 'vitest';
import { SinkError } from '../../../shared/errors.js';
import type { Incident } from '../../../shared/incident.js';
import {
  fitIncident,
  TRUNCATED_LABEL,
  truncationNotice,
  utf8Bytes,
} from '../../../shared/sinks/fit-incident.js';

const measure = (incident: Incident) => utf8Bytes(JSON.stringify(incident));

const big = (overrides: Partial<Incident> = {}): Incident => ({
  name: 'Huge alert',
  occurred: '2024-05-01T10:00:00.000Z',
  dbotMirrorId: 'A-1',
  severity: 3,
  type: 'Phishing',
  rawJSON: JSON.stringify({ id: 'A-1', blob: 'é"\\'.repeat(40_000) }),
  details: 'd'.repeat(30_000),
  labels: [{ type: 'source', value: 'demo' }],
  ...overrides,
});

describe('fitIncident', () => {
  it('leaves an incident under the limit untouched', () => {
    const incident = big({ rawJSON: '{"id":1}', details: 'short' });
    const fitted = fitIncident(incident, 10_000, measure);
    expect(fitted.incident).toBe(incident);
    expect(fitted.truncation).toBeUndefined();
  });

  it('cuts rawJSON and details to the longest head that fits, keeping rawJSON valid JSON', () => {
    const incident = big();
    const fitted = fitIncident(incident, 50_000, measure);

    expect(measure(fitted.incident)).toBeLessThanOrEqual(50_000);
    expect(measure(fitted.incident)).toBeGreaterThan(49_000); // nothing given away needlessly
    const envelope = JSON.parse(fitted.incident.rawJSON ?? '');
    expect(envelope).toMatchObject({
      ferry_truncated: true,
      originalBytes: utf8Bytes(incident.rawJSON ?? ''),
      fields: ['details', 'rawJSON'],
    });
    expect(incident.rawJSON?.startsWith(envelope.head)).toBe(true);
    expect(envelope.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fitted.incident.details).toMatch(/… \[truncated by Ferry: 30000 bytes originally\]$/);
    expect(fitted.truncation).toEqual({
      originalBytes: measure(incident),
      limitBytes: 50_000,
      fields: ['details', 'rawJSON'],
    });
  });

  it('keeps the identity of the incident: key fields, severity, type, and the original labels', () => {
    const fitted = fitIncident(big(), 50_000, measure).incident;
    expect(fitted).toMatchObject({
      name: 'Huge alert',
      dbotMirrorId: 'A-1',
      occurred: '2024-05-01T10:00:00.000Z',
      severity: 3,
      type: 'Phishing',
    });
    expect(fitted.labels?.[0]).toEqual({ type: 'source', value: 'demo' });
    expect(fitted.labels?.[1]?.type).toBe(TRUNCATED_LABEL);
  });

  it('drops CustomFields and labels when trimming the long fields is not enough', () => {
    const incident = big({ CustomFields: { blob: 'c'.repeat(60_000) }, details: undefined });
    const fitted = fitIncident(incident, 20_000, measure);

    expect(measure(fitted.incident)).toBeLessThanOrEqual(20_000);
    expect(fitted.incident.CustomFields).toBeUndefined();
    expect(fitted.incident.labels).toEqual([
      { type: TRUNCATED_LABEL, value: expect.stringContaining('CustomFields') },
    ]);
    expect(JSON.parse(fitted.incident.rawJSON ?? '').fields).toEqual(['CustomFields', 'labels', 'rawJSON']);
  });

  it('never splits a surrogate pair', () => {
    const incident = big({ rawJSON: JSON.stringify({ emoji: '😀'.repeat(30_000) }), details: undefined });
    const fitted = fitIncident(incident, 20_000, measure);
    const head: string = JSON.parse(fitted.incident.rawJSON ?? '').head;
    // A lone surrogate would not survive UTF-8: it becomes U+FFFD.
    expect(Buffer.from(head, 'utf8').toString('utf8')).toBe(head);
  });

  it("measures with the sink's own measure (its envelope counts too)", () => {
    const wrapped = (incident: Incident) =>
      utf8Bytes(JSON.stringify({ detail: JSON.stringify({ incident }) }));
    const fitted = fitIncident(big(), 30_000, wrapped);
    expect(wrapped(fitted.incident)).toBeLessThanOrEqual(30_000);
    expect(fitted.bytes).toBe(wrapped(fitted.incident));
  });

  it('refuses clearly, without retry, when even the stripped incident is over the limit', () => {
    const absurd = big({ dbotMirrorId: 'x'.repeat(20_000) });
    expect(() => fitIncident(absurd, 10_000, measure)).toThrow(SinkError);
    expect(() => fitIncident(absurd, 10_000, measure)).toThrow(/maxIncidentBytes/);
  });

  it('names what was shortened for the history', () => {
    const truncation = { originalBytes: 900_000, limitBytes: 262_144, fields: ['rawJSON'] };
    expect(truncationNotice([{ key: 'A-1', truncation }])).toBe(
      `1 incident was over the sink's 262144-byte limit and sent shortened, labelled ${TRUNCATED_LABEL}: "A-1".`,
    );
  });
});
