import {
  BadRequestException,
  GetFindingsCommand,
  GuardDutyClient,
  ListFindingsCommand,
} from '@aws-sdk/client-guardduty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsEndpoints, startAwsEndpoints } from './server.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const MINUTE = 60_000;
const at = (ms: number) => new Date(ms).toISOString();

describe('local GuardDuty, through the real SDK client', () => {
  let aws: AwsEndpoints | undefined;
  let guardDuty: GuardDutyClient;
  let detector: string;

  beforeEach(async () => {
    aws = await startAwsEndpoints();
    detector = aws.guardDuty.detectorIds[0]!;
    guardDuty = new GuardDutyClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });

  afterEach(async () => {
    guardDuty?.destroy();
    await aws?.close();
  });

  it('lists ids by updatedAt in epoch ms, pages by nextToken, and gets the findings', async () => {
    const base = Date.now() - 60 * MINUTE;
    const ids = Array.from(
      { length: 5 },
      (_, i) => aws!.guardDuty.add({ updatedAt: at(base + i * MINUTE) }).id,
    );
    const request = {
      DetectorId: detector,
      FindingCriteria: {
        Criterion: { updatedAt: { GreaterThanOrEqual: base + MINUTE, LessThan: base + 4 * MINUTE } },
      },
      SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'ASC' as const },
      MaxResults: 2,
    };

    const first = await guardDuty.send(new ListFindingsCommand(request));
    const second = await guardDuty.send(new ListFindingsCommand({ ...request, NextToken: first.NextToken }));
    const got = await guardDuty.send(
      new GetFindingsCommand({
        DetectorId: detector,
        FindingIds: [...first.FindingIds!, ...second.FindingIds!],
      }),
    );

    expect([...first.FindingIds!, ...second.FindingIds!]).toEqual(ids.slice(1, 4));
    expect(second.NextToken).toBe('');
    expect(got.Findings!.map((f) => f.Id).sort()).toEqual(ids.slice(1, 4).sort());
    expect(got.Findings![0]).toMatchObject({
      Service: { DetectorId: detector, Archived: false },
      Severity: 8,
    });
  });

  it.each([
    [
      'a detector the account does not own',
      { DetectorId: 'ffffffffffffffffffffffffffffffff' },
      'is not owned by the current account',
    ],
    ['maxResults over 50', { MaxResults: 51 }, 'out-of-range value'],
    [
      'epoch ms in the deprecated Integer condition',
      { FindingCriteria: { Criterion: { updatedAt: { Gte: Date.now() } } } },
      'out-of-range value',
    ],
    [
      'an unknown sort order',
      { SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'UP' as never } },
      'out-of-range value',
    ],
  ])('answers %s with BadRequestException (400)', async (_title, input, message) => {
    const refused = guardDuty.send(new ListFindingsCommand({ DetectorId: detector, ...input }));

    await expect(refused).rejects.toBeInstanceOf(BadRequestException);
    await expect(refused).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining(message),
    });
  });

  it('refuses GetFindings of more than 50 ids', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => String(i));

    await expect(
      guardDuty.send(new GetFindingsCommand({ DetectorId: detector, FindingIds: ids })),
    ).rejects.toBeInstanceOf(BadRequestException);
  });

  it('throttles with ThrottlingException when asked, and the SDK retries it', async () => {
    aws!.guardDuty.add({ updatedAt: at(Date.now()) });
    aws!.guardDuty.throttleNext(1);
    const retrying = new GuardDutyClient({ endpoint: aws!.url, region: 'us-east-1', credentials });

    const listed = await retrying.send(new ListFindingsCommand({ DetectorId: detector }));
    retrying.destroy();

    expect(listed.FindingIds).toHaveLength(1);
    expect(aws!.guardDuty.calls.map((call) => call.errorType)).toEqual(['ThrottlingException', undefined]);
  });

  it('is reachable through AWS_ENDPOINT_URL_GUARDDUTY, with no endpoint in the client config', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_GUARDDUTY;
    process.env.AWS_ENDPOINT_URL_GUARDDUTY = aws!.environment.AWS_ENDPOINT_URL_GUARDDUTY;
    try {
      const fromEnvironment = new GuardDutyClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
      const listed = await fromEnvironment.send(new ListFindingsCommand({ DetectorId: detector }));
      fromEnvironment.destroy();
      expect(listed.FindingIds).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_GUARDDUTY;
      else process.env.AWS_ENDPOINT_URL_GUARDDUTY = saved;
    }
  });
});
