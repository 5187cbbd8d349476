import { describe, expect, it } from 'vitest';
import { readPath } from '../../../functions/httpjson/json-path.js';
import { httpJsonParams } from '../../../functions/httpjson/params.js';
import { mapSeverity } from '../../../functions/httpjson/to-incident.js';
import { boundedJson, depthExceeds, MAX_INCIDENT_DEPTH } from '../../../shared/quarantine/bounded-json.js';
import {
  MAX_QUARANTINED_RAW_BYTES,
  partitionIncidents,
  QuarantineThreshold,
} from '../../../shared/quarantine/partition-incidents.js';
import { mapEventSafely } from '../../../shared/quarantine/unmappable-event.js';
import { anIncident } from '../../helpers/incidents.js';

/** An object nested `depth` levels, built without recursion. */
const nested = (depth: number): Record<string, unknown> => {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let level = 1; level < depth; level++) {
    const child: Record<string, unknown> = {};
    node.a = child;
    node = child;
  }
  return root;
};

const good = (id: string) => anIncident(id);

describe('partitionIncidents', () => {
  it('keys the valid incidents and sets each invalid one aside with its field and source id', () => {
    const page = [
      good('1'),
      { ...good('2'), name: '' },
      good('3'),
      { ...good('4'), occurred: '2026-13-45T99:00:00Z' },
    ];

    const { keyed, quarantined, repeated } = partitionIncidents(page);

    expect(keyed.map((k) => k.key)).toEqual(['1', '3']);
    expect(repeated).toBe(0);
    expect(quarantined.map((q) => [q.sourceId, q.reason.field, q.rawKind])).toEqual([
      ['2', 'name', 'incident'],
      ['4', 'occurred', 'incident'],
    ]);
    expect(quarantined[0]!.reason.message).not.toContain('the fetch was not committed');
    expect(quarantined[0]!.quarantineId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives the same event the same quarantine id on every fetch', () => {
    const bad = { ...good('7'), name: '' };

    expect(partitionIncidents([bad]).quarantined[0]!.quarantineId).toBe(
      partitionIncidents([good('x'), structuredClone(bad)]).quarantined[0]!.quarantineId,
    );
  });

  it('sets aside an incident nested deeper than a sink can store, without recursing into it', () => {
    const deep = { ...good('deep'), CustomFields: nested(20_000) };

    const { keyed, quarantined } = partitionIncidents([good('1'), deep]);

    expect(keyed).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({
      sourceId: 'deep',
      rawComplete: false,
      reason: { field: '(depth)' },
    });
    expect(quarantined[0]!.raw).toContain(`nested deeper than ${MAX_INCIDENT_DEPTH} levels`);
  });

  it('caps what it keeps of a huge event, and refuses an id that is a document', () => {
    const huge = { ...good('huge'), name: '', details: 'x'.repeat(1_000_000) };
    const longId = good('i'.repeat(5_000));

    const { quarantined } = partitionIncidents([good('1'), good('2'), good('3'), huge, longId]);

    expect(Buffer.byteLength(quarantined[0]!.raw)).toBeLessThanOrEqual(MAX_QUARANTINED_RAW_BYTES);
    expect(quarantined[0]!.rawComplete).toBe(false);
    expect(quarantined[1]!.reason).toMatchObject({ field: 'dbotMirrorId' });
    expect(quarantined[1]!.sourceId!.length).toBeLessThan(300);
  });

  it('counts a poison event repeated on one page once', () => {
    const bad = { ...good('9'), name: '' };

    const { quarantined, repeated } = partitionIncidents([good('1'), bad, { ...bad }]);

    expect(quarantined).toHaveLength(1);
    expect(repeated).toBe(1);
  });

  it(`fails the page when at least ${QuarantineThreshold.minInvalid} and more than half of its events are invalid`, () => {
    const broken = Array.from({ length: 5 }, (_, i) => ({ ...good(`b${i}`), name: '' }));

    expect(() => partitionIncidents([good('1'), good('2'), good('3'), good('4'), ...broken])).toThrow(
      /5 of the 9 incidents of this page are invalid.*"name" is required/,
    );
    // Half is not more than half; and a handful is never the mapping's fault.
    expect(partitionIncidents([...broken, ...['1', '2', '3', '4', '5'].map(good)]).quarantined).toHaveLength(
      5,
    );
    expect(partitionIncidents(broken.slice(0, 4)).quarantined).toHaveLength(4);
  });
});

describe('mapEventSafely', () => {
  it('turns a mapping that throws into a stand-in the partition quarantines with the event', () => {
    const event = { id: 'E-1', when: 'never' };

    const mapped = mapEventSafely(event, () => {
      throw new Error('no time at fields.occurred');
    });
    const { quarantined } = partitionIncidents([mapped.incident]);

    expect(mapped.key).toMatch(/^unmappable:/);
    expect(quarantined[0]).toMatchObject({
      sourceId: 'E-1',
      rawKind: 'event',
      reason: { field: '(mapping)', message: 'no time at fields.occurred' },
    });
    expect(JSON.parse(quarantined[0]!.raw)).toEqual(event);
  });

  it('says an event was too deep rather than "Maximum call stack size exceeded"', () => {
    const event = { id: 'E-2', payload: nested(6_000) };

    const mapped = mapEventSafely(event, (e) => anIncident('E-2', { rawJSON: JSON.stringify(e) }));
    const { quarantined } = partitionIncidents([mapped.incident]);

    expect(quarantined[0]!.reason.message).toMatch(/^The event nests deeper than 1000 levels/);
  });

  it('refuses a mapping that returns no incident', () => {
    expect(mapEventSafely({}, () => null as never).key).toMatch(/^unmappable:/);
  });
});

describe('bounded JSON', () => {
  it('measures depth with its own stack, far past what JSON.stringify survives', () => {
    expect(depthExceeds(nested(100_000), 64)).toBe(true);
    expect(depthExceeds(nested(32), 32)).toBe(false);
    expect(depthExceeds(nested(33), 32)).toBe(true);
  });

  it('keeps a shallow value whole and marks a cut one', () => {
    expect(boundedJson({ a: [1, 2] }, { maxBytes: 100, maxDepth: 8 })).toEqual({
      text: '{"a":[1,2]}',
      complete: true,
      bytes: 11,
    });
    expect(boundedJson({ a: 'é'.repeat(100) }, { maxBytes: 51, maxDepth: 8 })).toMatchObject({
      complete: false,
    });
    expect(boundedJson({ a: 'é'.repeat(100) }, { maxBytes: 51, maxDepth: 8 }).text).not.toContain('\uFFFD');
  });
});

describe('prototype keys are not values', () => {
  const params = httpJsonParams.parse({
    url: 'https://feed.example/events',
    auth: { type: 'none' },
    query_params: { since: '{{start}}' },
    fields: { id: 'id', occurred: 'ts', name: 'title' },
    severity_map: { sev1: 'critical' },
  });

  it('maps a source severity of "constructor" or "__proto__" to unknown', () => {
    expect(mapSeverity(params, 'constructor')).toBe(0);
    expect(mapSeverity(params, '__proto__')).toBe(0);
    expect(mapSeverity(params, 'toString')).toBe(0);
    expect(mapSeverity(params, 'sev1')).toBe(4);
  });

  it('reads only an item’s own properties along a path', () => {
    expect(readPath({ a: {} }, 'a.constructor')).toBeUndefined();
    expect(readPath({ a: { constructor: 'mine' } }, 'a.constructor')).toBe('mine');
    expect(readPath({ list: [1, 2] }, 'list[1]')).toBe(2);
  });
});
