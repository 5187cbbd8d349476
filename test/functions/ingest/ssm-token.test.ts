import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSsmTokenSource } from '../../../functions/ingest/ssm-token.js';
import { redactString } from '../../../shared/redact.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';
import { silentLogger } from './helpers.js';

const parameterName = '/ferry/ingest/token';

let aws: AwsEndpoints;
let client: SSMClient;
let clock: number;

beforeAll(async () => {
  aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  client = new SSMClient({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  await aws?.close();
});

beforeEach(() => {
  clock = 1_000_000;
  aws.ssm.put(parameterName, 'token-version-one', 'SecureString');
  aws.ssm.calls.length = 0;
});

const tokenSource = () =>
  createSsmTokenSource({ client, parameterName, logger: silentLogger, now: () => clock, maxAgeMs: 300_000 });

const reads = () => aws.ssm.calls.filter((call) => call.operation === 'GetParameter').length;

describe('createSsmTokenSource', () => {
  it('reads the SecureString decrypted, once for concurrent callers', async () => {
    const token = tokenSource();
    expect(await Promise.all([token(), token(), token()])).toEqual(Array(3).fill('token-version-one'));
    expect(reads()).toBe(1);
    expect(aws.ssm.calls[0]?.input).toMatchObject({ WithDecryption: true });
  });

  it('serves the cached token for five minutes, then reads the rotated one', async () => {
    const token = tokenSource();
    await token();
    aws.ssm.put(parameterName, 'token-version-two', 'SecureString');
    clock += 299_000;
    expect(await token()).toBe('token-version-one');
    clock += 2_000;
    expect(await token()).toBe('token-version-two');
    expect(reads()).toBe(2);
  });

  it('keeps the previous token when a re-read fails', async () => {
    const token = tokenSource();
    await token();
    aws.ssm.delete(parameterName);
    clock += 301_000;
    expect(await token()).toBe('token-version-one');
  });

  it('fails when the first read fails', async () => {
    aws.ssm.delete(parameterName);
    await expect(tokenSource()()).rejects.toThrow(/ParameterNotFound|not found/);
  });

  it('registers the token for redaction', async () => {
    await tokenSource()();
    expect(redactString('Bearer token-version-one')).toBe('Bearer ***');
  });
});
