import { describe, expect, it } from 'vitest';
import { createAlertStore } from '../../../local/demo-source/alert-store.js';
import { ConfigError } from '../../../shared/errors.js';

const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER, limit: Number.POSITIVE_INFINITY };

const ids = (alerts: { id: string }[]) => alerts.map((alert) => alert.id);
const createdTimes = (alerts: { created: string }[]) => alerts.map((alert) => Date.parse(alert.created));

describe('createAlertStore', () => {
  it('keeps alerts sorted by created whatever the insertion order', () => {
    const store = createAlertStore();
    store.insert([T0 + 30, T0 + 10]);
    store.insert([T0 + 20, T0 + 5, T0 + 40]);
    store.insertOne(T0 + 15);

    const alerts = store.query(ALL);

    expect(createdTimes(alerts)).toEqual([5, 10, 15, 20, 30, 40].map((ms) => T0 + ms));
    expect(store.size).toBe(6);
  });

  it('assigns increasing ids in created order within one insert', () => {
    const store = createAlertStore();
    const inserted = store.insert([T0 + 2, T0 + 1, T0]);

    expect(inserted).toMatchObject({ count: 3, firstId: 'A-000001', lastId: 'A-000003' });
    expect(ids(store.query(ALL))).toEqual(['A-000001', 'A-000002', 'A-000003']);
  });

  it('answers since inclusive, until exclusive, at most limit', () => {
    const store = createAlertStore();
    store.insert([T0, T0 + 1, T0 + 1, T0 + 2, T0 + 3]);

    expect(createdTimes(store.query({ since: T0 + 1, until: T0 + 3, limit: 10 }))).toEqual([
      T0 + 1,
      T0 + 1,
      T0 + 2,
    ]);
    expect(store.query({ since: T0, until: T0 + 10, limit: 2 })).toHaveLength(2);
    expect(store.query({ since: T0 + 4, until: T0 + 10, limit: 10 })).toEqual([]);
  });

  it('sorts alerts of one instant by id as a string, also across the A-999999 / A-1000000 boundary', () => {
    const store = createAlertStore();
    store.insert(new Float64Array(999_997).fill(T0)); // A-000001 … A-999997
    store.insert(new Float64Array(4).fill(T0 + 1)); // A-999998 … A-1000001

    const tied = store.query({ since: T0 + 1, until: T0 + 2, limit: 10 });

    expect(ids(tied)).toEqual(['A-1000000', 'A-1000001', 'A-999998', 'A-999999']);
  });

  it('places an alert with its own id among ties by that id', () => {
    const store = createAlertStore();
    store.insert([T0, T0]); // A-000001, A-000002
    store.insertOne(T0, { id: 'A-000001b', name: 'Custom', extra: 1 });

    const alerts = store.query(ALL);

    expect(ids(alerts)).toEqual(['A-000001', 'A-000001b', 'A-000002']);
    expect(alerts[1]).toMatchObject({ name: 'Custom', extra: 1, created: new Date(T0).toISOString() });
  });

  it('keeps generated fields that are given as undefined', () => {
    const store = createAlertStore();
    const alert = store.insertOne(T0, { id: undefined, name: undefined, severity: 'low' });
    expect(alert).toMatchObject({ id: 'A-000001', name: expect.any(String), severity: 'low' });
  });

  it('returns an alert only once it is visible', () => {
    const store = createAlertStore();
    store.insert([T0], { indexingDelayMs: 1000 });
    store.insertOne(T0 + 1, {}, { visibleAt: T0 + 5000 });

    expect(store.query({ ...ALL, visibleAt: T0 + 999 })).toEqual([]);
    expect(ids(store.query({ ...ALL, visibleAt: T0 + 1000 }))).toEqual(['A-000001']);
    expect(ids(store.query({ ...ALL, visibleAt: T0 + 5000 }))).toEqual(['A-000001', 'A-000002']);
  });

  it('rejects times that are not finite', () => {
    const store = createAlertStore();
    expect(() => store.insert([Number.NaN])).toThrow(ConfigError);
    expect(() => store.insertOne(Number.POSITIVE_INFINITY)).toThrow(ConfigError);
    expect(store.size).toBe(0);
  });

  it('clears alerts but keeps ids increasing', () => {
    const store = createAlertStore();
    store.insert([T0]);
    store.clear();
    store.insert([T0]);

    expect(ids(store.query(ALL))).toEqual(['A-000002']);
  });

  it('holds a million alerts and answers a range from the middle', () => {
    const store = createAlertStore();
    const created = new Float64Array(1_000_000);
    for (let i = 0; i < created.length; i++) created[i] = T0 + i * 10;
    store.insert(created);

    const page = store.query({ since: T0 + 5_000_000, until: T0 + 6_000_000, limit: 1000 });

    expect(page).toHaveLength(1000);
    expect(page[0]).toMatchObject({ id: 'A-500001', created: new Date(T0 + 5_000_000).toISOString() });
  });
});
