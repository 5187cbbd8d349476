import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredIncident } from '../../../functions/ingest/incident-store.js';
import type { IngestServer } from '../../../functions/ingest/server.js';
import { SinkError } from '../../../shared/errors.js';
import { type Incident, incidentKey } from '../../../shared/incident.js';
import { createFerrySink } from '../../../shared/sinks/ferry-sink.js';
import { aBatch } from '../../helpers/incidents.js';
import { anIncident, anInstance, type IngestFixture, startIngestFixture } from './helpers.js';

// The real client against the real endpoint: what the runner sees when it pushes.
const token = 'sink-test-token-abcdefghij';

let server: IngestServer;
let ingest: IngestFixture;

beforeAll(async () => {
  ingest = await startIngestFixture(token);
  ({ server } = ingest);
});

afterAll(() => ingest?.stop());

const sink = (
  options: { token?: string; batchSize?: number; concurrency?: number; fetch?: typeof fetch } = {},
) =>
  createFerrySink({
    url: server.url,
    token: options.token ?? token,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    http: { retries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) },
  });

/** `fetch` that holds each request `delayMs` (or fails it at once) and counts how many were in flight at most. */
const aSlowFetch = (delayMs: number, failOn?: (body: string) => boolean) => {
  let inFlight = 0;
  const seen = { maxInFlight: 0, requests: 0 };
  const slowFetch: typeof fetch = async (input, init) => {
    seen.requests++;
    inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
    try {
      // A failing request answers at once, while the others are still in flight.
      if (failOn?.(String(init?.body))) return new Response('unavailable', { status: 503 });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return await fetch(input, init);
    } finally {
      inFlight--;
    }
  };
  return { slowFetch, seen };
};

const batch = (instance: string, incidents: Incident[], runId?: string) =>
  aBatch(incidents, { instance, connector: 'demo', runId });

/** Every page of an instance's incidents, following the cursor. */
const listAll = async (
  instance: string,
  limit: number,
): Promise<{ pages: number[]; incidents: StoredIncident[] }> => {
  const pages: number[] = [];
  const incidents: StoredIncident[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ instance, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${server.url}/incidents?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { incidents: StoredIncident[]; cursor?: string };
    pages.push(page.incidents.length);
    incidents.push(...page.incidents);
    cursor = page.cursor;
  } while (cursor);
  return { pages, incidents };
};

describe('the ferry sink against the reference endpoint', () => {
  it('pushes a first batch: every incident accepted, none a duplicate', async () => {
    const instance = anInstance();
    const result = await sink().push(batch(instance, [anIncident('a'), anIncident('b'), anIncident('c')]));
    expect(result).toEqual({ accepted: 3, duplicates: 0 });
  });

  it('re-pushes the same batch: all duplicates, one copy stored', async () => {
    const instance = anInstance();
    const incidents = [anIncident('a'), anIncident('b'), anIncident('c')];
    await sink().push(batch(instance, incidents));
    const again = await sink().push(batch(instance, incidents, 'run-2'));
    expect(again).toEqual({ accepted: 3, duplicates: 3 });
    const { incidents: stored } = await listAll(instance, 100);
    expect(stored.map((item) => item.incident)).toEqual(incidents);
  });

  it('dedupes incidents without a dbotMirrorId by the hash of their rawJSON', async () => {
    const instance = anInstance();
    const event = (id: number): Incident => ({ name: `Event ${id}`, rawJSON: JSON.stringify({ id }) });
    await sink().push(batch(instance, [event(1), event(2)]));
    // Renamed by a changed mapping, same event: still the same incident.
    const result = await sink().push(batch(instance, [{ ...event(1), name: 'Renamed' }, event(3)]));
    expect(result).toEqual({ accepted: 2, duplicates: 1 });
    const { incidents: stored } = await listAll(instance, 100);
    expect(stored.map((item) => item.incident.name)).toEqual(['Event 1', 'Event 2', 'Event 3']);
    expect(stored.map((item) => item.key)).toEqual([event(1), event(2), event(3)].map(incidentKey));
    expect(stored[0]?.key).toMatch(/^sha256:/);
  });

  it('sends a large batch in several requests, every incident acknowledged', async () => {
    const instance = anInstance();
    const incidents = Array.from({ length: 25 }, (_, i) => anIncident(`id-${i}`));
    expect(await sink({ batchSize: 10 }).push(batch(instance, incidents))).toEqual({
      accepted: 25,
      duplicates: 0,
    });
    const { incidents: stored } = await listAll(instance, 1000);
    expect(stored.map((item) => item.key).sort()).toEqual(incidents.map(incidentKey).sort());
  });

  it('sends up to `concurrency` requests at once (4 by default)', async () => {
    const instance = anInstance();
    const incidents = Array.from({ length: 100 }, (_, i) => anIncident(`id-${i}`));
    const { slowFetch, seen } = aSlowFetch(30);

    const pushed = await sink({ batchSize: 10, fetch: slowFetch }).push(batch(instance, incidents));

    expect(pushed).toEqual({ accepted: 100, duplicates: 0 });
    expect(seen).toEqual({ requests: 10, maxInFlight: 4 });
    expect((await listAll(instance, 1000)).incidents).toHaveLength(100);
  });

  it('keeps the arrival order of the incidents with concurrency 1', async () => {
    const instance = anInstance();
    const incidents = Array.from({ length: 25 }, (_, i) => anIncident(`id-${i}`));
    const { slowFetch, seen } = aSlowFetch(5);

    await sink({ batchSize: 10, concurrency: 1, fetch: slowFetch }).push(batch(instance, incidents));

    expect(seen.maxInFlight).toBe(1);
    const { incidents: stored } = await listAll(instance, 1000);
    expect(stored.map((item) => item.key)).toEqual(incidents.map(incidentKey));
  });

  it('starts no new request once one failed, and fails the push as retryable', async () => {
    const instance = anInstance();
    const incidents = Array.from({ length: 100 }, (_, i) => anIncident(`id-${i}`));
    const { slowFetch, seen } = aSlowFetch(20, (body) => body.includes('"id-0"'));

    const push = sink({ batchSize: 10, fetch: slowFetch }).push(batch(instance, incidents));

    await expect(push).rejects.toMatchObject({ code: 'SINK_FAILED', details: { retryable: true } });
    // The first four went together; the failure stopped the other six.
    expect(seen.requests).toBe(4);
  });

  it('pages oldest first across several batches with the cursor', async () => {
    const instance = anInstance();
    const runs = [1, 2, 3].map((run) => Array.from({ length: 4 }, (_, i) => anIncident(`r${run}-${i}`)));
    for (const [index, incidents] of runs.entries())
      await sink().push(batch(instance, incidents, `run-${index + 1}`));
    const { pages, incidents } = await listAll(instance, 5);
    expect(pages).toEqual([5, 5, 2]);
    expect(incidents.map((item) => item.key)).toEqual(runs.flat().map(incidentKey));
    expect(incidents.map((item) => item.runId)).toEqual(
      ['run-1', 'run-2', 'run-3'].flatMap((run) => Array(4).fill(run)),
    );
    const arrivals = incidents.map((item) => item.receivedAt);
    expect([...arrivals].sort()).toEqual(arrivals);
  });

  it('gives the last page no cursor when exactly a page remains', async () => {
    const instance = anInstance();
    await sink().push(batch(instance, [anIncident('a'), anIncident('b')]));
    expect((await listAll(instance, 2)).pages).toEqual([2]);
  });

  it('keeps instances apart: the same id is new in each, and each lists only its own', async () => {
    const [first, second] = [anInstance(), anInstance()];
    expect(await sink().push(batch(first, [anIncident('shared'), anIncident('only-first')]))).toEqual({
      accepted: 2,
      duplicates: 0,
    });
    expect(await sink().push(batch(second, [anIncident('shared')]))).toEqual({ accepted: 1, duplicates: 0 });
    expect((await listAll(first, 100)).incidents.map((item) => item.key)).toEqual(['shared', 'only-first']);
    const secondListed = (await listAll(second, 100)).incidents;
    expect(secondListed.map((item) => [item.instance, item.key])).toEqual([[second, 'shared']]);
  });

  it('fails with a non-retryable SinkError naming the token when the token is wrong', async () => {
    const push = sink({ token: 'wrong-token-value' }).push(batch(anInstance(), [anIncident('a')]));
    await expect(push).rejects.toBeInstanceOf(SinkError);
    await expect(push).rejects.toMatchObject({ details: { status: 401, retryable: false } });
    await expect(push).rejects.toThrow(/token/);
    // The sink's own token is at fault, not the instance's credentials for its source.
    await expect(push).rejects.toThrow(/check the sink's "token" secret/);
    await expect(push).rejects.not.toThrow(/instance's credentials/);
  });

  it('fails with a SinkError naming the field when an incident is invalid', async () => {
    const bad = { ...anIncident('a'), severity: 9 };
    const push = sink().push(batch(anInstance(), [bad]));
    await expect(push).rejects.toMatchObject({ details: { status: 400, retryable: false } });
    await expect(push).rejects.toThrow(/severity/);
  });
});
