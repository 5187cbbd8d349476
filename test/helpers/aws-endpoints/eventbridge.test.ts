import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsEndpoints, startAwsEndpoints } from './server.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const entry = (id: number, extra: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'ferry',
  DetailType: 'Incident',
  Detail: JSON.stringify({ id }),
  EventBusName: 'ferry-incidents',
  ...extra,
});

describe('local EventBridge', () => {
  let aws: AwsEndpoints | undefined;
  let events: EventBridgeClient;

  beforeEach(async () => {
    aws = await startAwsEndpoints();
    // maxAttempts 1: the SDK never retries a 200, but keep the test's request count exact anyway.
    events = new EventBridgeClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });

  afterEach(async () => {
    events?.destroy();
    await aws?.close();
  });

  it('accepts entries and records them per bus', async () => {
    const result = await events.send(
      new PutEventsCommand({ Entries: [entry(1), entry(2, { EventBusName: undefined, Time: new Date(0) })] }),
    );

    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.every((e) => typeof e.EventId === 'string')).toBe(true);
    expect(aws!.eventBridge.eventsOn('ferry-incidents').map((e) => e.detail)).toEqual([{ id: 1 }]);
    expect(aws!.eventBridge.eventsOn('default')).toMatchObject([{ detail: { id: 2 }, time: new Date(0) }]);
  });

  it('fails chosen entries with their ErrorCode, in order, like AWS partial failures', async () => {
    aws!.eventBridge.setFailure((_entry, index) =>
      index === 1 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : undefined,
    );

    const result = await events.send(new PutEventsCommand({ Entries: [entry(1), entry(2), entry(3)] }));

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.EventId).toBeDefined();
    expect(result.Entries?.[1]).toEqual({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' });
    expect(result.Entries?.[2]?.EventId).toBeDefined();
    expect(aws!.eventBridge.events.map((e) => e.detail)).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('fails the next N entries across requests with failNext', async () => {
    aws!.eventBridge.failNext(2);

    const first = await events.send(new PutEventsCommand({ Entries: [entry(1)] }));
    const second = await events.send(new PutEventsCommand({ Entries: [entry(2), entry(3)] }));

    expect(first.FailedEntryCount).toBe(1);
    expect(second.Entries?.map((e) => e.ErrorCode)).toEqual(['ThrottlingException', undefined]);
    expect(aws!.eventBridge.events.map((e) => e.detail)).toEqual([{ id: 3 }]);
    expect(aws!.eventBridge.calls).toHaveLength(2);
  });

  it('rejects a detail that is not a JSON object as MalformedDetail', async () => {
    const result = await events.send(new PutEventsCommand({ Entries: [entry(1, { Detail: '[1]' })] }));

    expect(result.Entries).toEqual([{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }]);
  });

  it('rejects more than 10 entries and requests over 256 KB with ValidationException', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => entry(i));
    const large = [entry(1, { Detail: JSON.stringify({ blob: 'x'.repeat(256 * 1024) }) })];

    await expect(events.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(events.send(new PutEventsCommand({ Entries: large }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(aws!.eventBridge.events).toHaveLength(0);
  });
});
