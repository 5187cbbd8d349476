import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../../shared/errors.js';
import type { Incident } from '../../../shared/incident.js';
import { entrySize, toEntry } from '../../../shared/sinks/eventbridge-entries.js';
import {
  createEventBridgeSink,
  type EventBridgeSinkOptions,
} from '../../../shared/sinks/eventbridge-sink.js';
import { TRUNCATED_LABEL } from '../../../shared/sinks/fit-incident.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';
import { aBatch, anIncident } from '../../helpers/incidents.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const fast = { baseDelayMs: 1, maxDelayMs: 5 };

let aws: AwsEndpoints;
let client: EventBridgeClient;

const startWith = async (maxRequestBytes?: number) => {
  aws = await startAwsEndpoints(maxRequestBytes ? { eventBridge: { maxRequestBytes } } : {});
  // The real SDK client over the AWS JSON protocol; one attempt so that request counts are exact.
  client = new EventBridgeClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });
};

beforeEach(async () => {
  await startWith();
});

afterEach(async () => {
  client?.destroy();
  await aws?.close();
});

const batch = (incidents: Incident[], runId?: string) => aBatch(incidents, { runId });

const many = (count: number, prefix = 'id') =>
  Array.from({ length: count }, (_, i) => anIncident(`${prefix}-${i}`));

const sink = (options: Partial<EventBridgeSinkOptions> = {}) =>
  createEventBridgeSink({ client, eventBusName: 'soc', backoff: fast, ...options });

const putCalls = () => aws.eventBridge.calls.filter((call) => call.operation === 'PutEvents');
const entriesPerCall = () => putCalls().map((call) => (call.input.Entries as unknown[]).length);

describe('the eventbridge sink', () => {
  it('puts one event per incident: Source ferry.<connector>, DetailType Incident, the incident in Detail', async () => {
    const incident = anIncident('a', { CustomFields: { foo: 'bar' } });

    const result = await sink().push(batch([incident]));

    const [event] = aws.eventBridge.eventsOn('soc');
    expect(event).toMatchObject({ source: 'ferry.helloworld', detailType: 'Incident' });
    expect(event?.detail).toEqual({
      instance: 'soc-demo',
      connector: 'helloworld',
      runId: 'run-1',
      key: 'a',
      incident,
    });
    expect(result).toEqual({ accepted: 1, duplicates: 0, ids: [event?.eventId] });
  });

  it('puts on the default bus when none is configured', async () => {
    await sink({ eventBusName: undefined }).push(batch([anIncident('a')]));
    expect(aws.eventBridge.eventsOn('default')).toHaveLength(1);
  });

  it('sends at most 10 entries a call', async () => {
    const result = await sink().push(batch(many(25)));
    expect(result.accepted).toBe(25);
    expect(entriesPerCall().sort()).toEqual([10, 10, 5]);
    expect(aws.eventBridge.events.map((event) => event.detail.key)).toHaveLength(25);
  });

  it('packs calls under the size limit, counted as AWS counts it', async () => {
    // ~100 KB each: two fit a 256 KB request, three do not.
    const incidents = many(5).map((incident) => ({ ...incident, details: 'x'.repeat(100_000) }));
    await sink({ concurrency: 1 }).push(batch(incidents));
    expect(entriesPerCall()).toEqual([2, 2, 1]);
  });

  it('takes a larger limit where EventBridge allows it (1 MB)', async () => {
    await aws.close();
    await startWith(1024 * 1024);
    const incidents = many(5).map((incident) => ({ ...incident, details: 'x'.repeat(100_000) }));
    await sink({ maxEntryBytes: 1024 * 1024 }).push(batch(incidents));
    expect(entriesPerCall()).toEqual([5]);
  });

  it('re-sends only the entries the response reports failed, never the ones it accepted', async () => {
    aws.eventBridge.failNext(3); // the first three entries of the first call: ThrottlingException

    const result = await sink({ concurrency: 1 }).push(batch(many(12)));

    expect(result.accepted).toBe(12);
    expect(entriesPerCall()).toEqual([10, 2, 3]);
    const keys = aws.eventBridge.events.map((event) => event.detail.key as string);
    expect(keys).toHaveLength(12);
    expect(new Set(keys).size).toBe(12);
    expect(result.ids).toEqual(
      many(12).map(
        (incident) => aws.eventBridge.events.find((e) => e.detail.key === incident.dbotMirrorId)?.eventId,
      ),
    );
  });

  it('gives up on entries that keep failing with a retryable error; the rest are put once', async () => {
    aws.eventBridge.setFailure((entry) =>
      JSON.parse(entry.Detail ?? '{}').key === 'id-1'
        ? { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal' }
        : undefined,
    );

    const push = sink({ retries: 2 }).push(batch(many(4)));

    await expect(push).rejects.toMatchObject({ details: { retryable: true } });
    await expect(push).rejects.toThrow(/1 of 4 entries failed \(InternalFailure\) after 3 attempts/);
    expect(aws.eventBridge.events.map((event) => event.detail.key)).toEqual(['id-0', 'id-2', 'id-3']);
  });

  it('does not retry an entry refused for good (permissions), and says what to grant', async () => {
    aws.eventBridge.setFailure(() => ({
      ErrorCode: 'NotAuthorizedForSourceException',
      ErrorMessage: 'Not authorized for the source.',
    }));
    const push = sink().push(batch(many(2)));
    await expect(push).rejects.toMatchObject({ details: { retryable: false } });
    await expect(push).rejects.toThrow(/events:PutEvents/);
    expect(putCalls()).toHaveLength(1);
  });

  it('stops retrying when the backoff would end past the deadline', async () => {
    aws.eventBridge.setFailure(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }));
    const push = sink({ backoff: { baseDelayMs: 5_000, maxDelayMs: 5_000 } }).push(batch(many(1)), {
      deadline: Date.now() + 1_000,
    });
    await expect(push).rejects.toThrow(/after 1 attempts/);
  });

  it('fails retryable when EventBridge cannot be reached', async () => {
    const unreachable = new EventBridgeClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    const push = sink({ client: unreachable }).push(batch(many(1)));
    await expect(push).rejects.toBeInstanceOf(SinkError);
    await expect(push).rejects.toMatchObject({ details: { retryable: true } });
    unreachable.destroy();
  });

  it('shortens an incident over the entry limit, so that EventBridge takes it', async () => {
    const huge = anIncident('huge', { rawJSON: JSON.stringify({ blob: 'z'.repeat(600_000) }) });

    const result = await sink().push(batch([huge, anIncident('small')]));

    expect(result).toMatchObject({ accepted: 2, truncated: 1 });
    expect(result.notice).toMatch(/262144-byte limit.*"huge"/);
    const [event] = aws.eventBridge.events;
    const incident = event?.detail.incident as Incident;
    expect(incident.labels?.[0]?.type).toBe(TRUNCATED_LABEL);
    const entry = toEntry(batch([huge]), 'huge', incident, { eventBusName: 'soc' });
    expect(entrySize(entry)).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('entrySize', () => {
  it('counts Source, DetailType, Detail and resources in UTF-8 bytes, and 14 for Time', () => {
    expect(
      entrySize({ Source: 'ferry.x', DetailType: 'Incident', Detail: '{"é":1}', Resources: ['arn:1'] }),
    ).toBe(7 + 8 + 8 + 5);
    expect(entrySize({ Source: 'a', DetailType: 'b', Detail: '{}', Time: new Date() })).toBe(14 + 4);
  });
});
