import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIncidentStore } from '../../../functions/ingest/incident-store.js';
import { type IngestServer, startIngestServer } from '../../../functions/ingest/server.js';
import type { Incident } from '../../../shared/incident.js';
import { createLogger } from '../../../shared/logger.js';
import { createFerrySink } from '../../../shared/sinks/ferry-sink.js';
import { TRUNCATED_LABEL } from '../../../shared/sinks/fit-incident.js';
import { aBatch } from '../../helpers/incidents.js';
import { anInstanceId, type LedgerFixture, startLedgerFixture } from './ledger-fixture.js';

// The reference endpoint refuses an incident over 384 KiB and a body over 5 MiB (400 and 413, for good):
// the ferry sink must never send either, or one large incident would wedge the instance.

const token = 'limits-token';
let fixture: LedgerFixture;
let ingest: IngestServer;
const requestSizes: number[] = [];

beforeAll(async () => {
  fixture = await startLedgerFixture();
  const store = new DynamoIncidentStore({ client: fixture.client, tableName: fixture.tables.incidents });
  ingest = await startIngestServer({ store, token, port: 0, logger: createLogger({ level: 'SILENT' }) });
});

afterAll(async () => {
  await ingest?.close();
  await fixture?.stop();
});

const recordingFetch: typeof fetch = async (input, init) => {
  requestSizes.push(Buffer.byteLength(String(init?.body ?? '')));
  return fetch(input, init);
};

const sink = () => createFerrySink({ url: ingest.url, token, http: { retries: 0, fetch: recordingFetch } });

const batch = (instance: string, incidents: Incident[]) => aBatch(incidents, { instance });

/**
 * How many incidents the table holds for the instance, counted in DynamoDB itself: the endpoint's
 * list pages by item count and these items are large.
 */
const countStored = async (instance: string) => {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await fixture.client.send(
      new QueryCommand({
        TableName: fixture.tables.incidents,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: instance } },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
};

/** Every incident the endpoint holds for the instance, following the cursor. */
const stored = async (instance: string) => {
  const all: { key: string; incident: Incident }[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ instance, limit: '1000', ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${ingest.url}/incidents?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const page = (await response.json()) as {
      incidents: { key: string; incident: Incident }[];
      cursor?: string;
    };
    all.push(...page.incidents);
    cursor = page.cursor;
  } while (cursor);
  return all;
};

describe('the ferry sink and the reference endpoint limits', () => {
  it('delivers an incident over 384 KiB shortened and labelled, under its own key', async () => {
    const instance = anInstanceId();
    const huge: Incident = {
      name: 'Huge',
      dbotMirrorId: 'H-1',
      rawJSON: JSON.stringify({ blob: 'x'.repeat(1_000_000) }),
    };

    const result = await sink().push(batch(instance, [huge]));

    expect(result).toMatchObject({ accepted: 1, duplicates: 0, truncated: 1 });
    expect(result.notice).toMatch(/"H-1"/);
    const [item] = await stored(instance);
    expect(item?.key).toBe('H-1');
    expect(item?.incident.labels?.[0]?.type).toBe(TRUNCATED_LABEL);
    expect(JSON.parse(item?.incident.rawJSON ?? '')).toMatchObject({
      ferry_truncated: true,
      originalBytes: Buffer.byteLength(huge.rawJSON ?? ''),
    });
  });

  it('splits a batch by bytes so that no request is over the endpoint body limit', async () => {
    const instance = anInstanceId();
    // 18 × 300 KB ≈ 5.4 MB: over the endpoint's 5 MiB, so at least two requests.
    const incidents = Array.from({ length: 18 }, (_, i) => ({
      name: `Big ${i}`,
      dbotMirrorId: `B-${i}`,
      rawJSON: JSON.stringify({ blob: 'y'.repeat(300_000) }),
    }));
    requestSizes.length = 0;

    const result = await sink().push(batch(instance, incidents));

    expect(result).toEqual({ accepted: 18, duplicates: 0 });
    expect(requestSizes.length).toBeGreaterThan(1);
    expect(Math.max(...requestSizes)).toBeLessThan(5 * 1024 * 1024);
    expect(await countStored(instance)).toBe(18);
  }, 60_000);
});
