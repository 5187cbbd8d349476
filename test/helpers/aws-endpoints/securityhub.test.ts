import {
  GetFindingsCommand,
  InvalidAccessException,
  InvalidInputException,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsEndpoints, startAwsEndpoints } from './server.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const MINUTE = 60_000;
const at = (ms: number) => new Date(ms).toISOString();

describe('local Security Hub, through the real SDK client', () => {
  let aws: AwsEndpoints | undefined;
  let hub: SecurityHubClient;

  beforeEach(async () => {
    aws = await startAwsEndpoints();
    hub = new SecurityHubClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });

  afterEach(async () => {
    hub?.destroy();
    await aws?.close();
  });

  it('filters on a date range with both ends included, sorts, and pages by NextToken', async () => {
    const base = Date.now() - 60 * MINUTE;
    const ids = Array.from(
      { length: 7 },
      (_, i) => aws!.securityHub.add({ CreatedAt: at(base + i * MINUTE) }).Id,
    );
    const query = {
      Filters: { CreatedAt: [{ Start: at(base + MINUTE), End: at(base + 5 * MINUTE) }] },
      SortCriteria: [{ Field: 'CreatedAt', SortOrder: 'asc' as const }],
      MaxResults: 2,
    };

    const first = await hub.send(new GetFindingsCommand(query));
    const second = await hub.send(new GetFindingsCommand({ ...query, NextToken: first.NextToken }));
    const third = await hub.send(new GetFindingsCommand({ ...query, NextToken: second.NextToken }));

    expect([first, second, third].flatMap((page) => page.Findings!.map((f) => f.Id))).toEqual(
      ids.slice(1, 6),
    );
    expect(third.NextToken).toBeUndefined();
  });

  it('refuses a NextToken replayed with other filters, as XSOAR handles it', async () => {
    for (let i = 0; i < 3; i++) aws!.securityHub.add({ CreatedAt: at(Date.now() - i * MINUTE) });
    const first = await hub.send(new GetFindingsCommand({ MaxResults: 1 }));

    const replayed = hub.send(
      new GetFindingsCommand({
        MaxResults: 1,
        NextToken: first.NextToken,
        Filters: { Region: [{ Value: 'x', Comparison: 'EQUALS' }] },
      }),
    );

    await expect(replayed).rejects.toBeInstanceOf(InvalidInputException);
  });

  it.each([
    ['MaxResults over 100', { MaxResults: 101 }, 'MaxResults must be between 1 and 100'],
    [
      'a timestamp in no documented format',
      { Filters: { CreatedAt: [{ Start: '2026-12-05 08:00' }] } },
      'is not a valid timestamp',
    ],
    [
      'an unknown comparison',
      { Filters: { Title: [{ Value: 'x', Comparison: 'LIKE' }] } },
      'Invalid comparison LIKE',
    ],
    [
      'EQUALS with NOT_EQUALS on one field',
      {
        Filters: {
          Title: [
            { Value: 'a', Comparison: 'EQUALS' },
            { Value: 'b', Comparison: 'NOT_EQUALS' },
          ],
        },
      },
      'cannot combine EQUALS',
    ],
    [
      'more than 20 values for one attribute',
      {
        Filters: {
          Id: Array.from({ length: 21 }, (_, i) => ({ Value: String(i), Comparison: 'EQUALS' as const })),
        },
      },
      'at most 20',
    ],
  ])('answers %s with InvalidInputException (400)', async (_title, input, message) => {
    const refused = hub.send(new GetFindingsCommand(input as never));

    await expect(refused).rejects.toBeInstanceOf(InvalidInputException);
    await expect(refused).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining(message),
    });
  });

  it('refuses more than 10 filter attributes', async () => {
    const filters = Object.fromEntries(
      [
        'Id',
        'ProductArn',
        'AwsAccountId',
        'GeneratorId',
        'Region',
        'Type',
        'Title',
        'ProductName',
        'CompanyName',
        'RecordState',
        'WorkflowStatus',
      ].map((name) => [name, [{ Value: 'x', Comparison: 'EQUALS' }]]),
    );

    await expect(hub.send(new GetFindingsCommand({ Filters: filters }))).rejects.toThrow(
      'up to 10 finding attributes',
    );
  });

  it('throttles with 429 TooManyRequestsException when asked, and the SDK retries it', async () => {
    aws!.securityHub.add({ CreatedAt: at(Date.now()) });
    aws!.securityHub.throttleNext(1);
    const retrying = new SecurityHubClient({ endpoint: aws!.url, region: 'us-east-1', credentials });

    const page = await retrying.send(new GetFindingsCommand({}));
    retrying.destroy();

    expect(page.Findings).toHaveLength(1);
    expect(aws!.securityHub.calls.map((call) => [call.status, call.errorType])).toEqual([
      [429, 'TooManyRequestsException'],
      [200, undefined],
    ]);
  });

  it('throttles past its burst when a rate is configured (GetFindings: 3 a second, a burst of 6)', async () => {
    await aws!.close();
    // A refill too slow to matter during the test: exactly the burst gets through, whatever the machine's speed.
    aws = await startAwsEndpoints({ securityHub: { rateLimit: { perSecond: 0.001, burst: 6 } } });
    hub = new SecurityHubClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });

    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => hub.send(new GetFindingsCommand({}))),
    );

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(6);
    expect(
      outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.name),
    ).toEqual(['TooManyRequestsException', 'TooManyRequestsException']);
  });

  it('answers 401 InvalidAccessException when the account is not subscribed, 403 AccessDeniedException when denied', async () => {
    aws!.securityHub.setEnabled(false);
    await expect(hub.send(new GetFindingsCommand({}))).rejects.toBeInstanceOf(InvalidAccessException);
    aws!.securityHub.denyAccess(true);
    await expect(hub.send(new GetFindingsCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
  });
});
