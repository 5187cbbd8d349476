import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSecretResolver } from '../../../shared/config/secrets.js';
import { SecretMissingError } from '../../../shared/errors.js';
import { redact } from '../../../shared/redact.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';

let aws: AwsEndpoints;
let ssm: SSMClient;

beforeAll(async () => {
  aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  ssm = new SSMClient({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  ssm.destroy();
  await aws.close();
});

describe('createSecretResolver', () => {
  it('resolves an {env} reference from the environment', async () => {
    const resolve = createSecretResolver({ env: { DEMO_API_KEY: 'env-secret-1' } });

    expect(await resolve('demo', { apiKey: { env: 'DEMO_API_KEY' } })).toEqual({ apiKey: 'env-secret-1' });
  });

  it('resolves an {ssm} reference by decrypting the SecureString', async () => {
    aws.ssm.put('/ferry/secrets/demo-key', 'ssm-secret-1', 'SecureString');
    const resolve = createSecretResolver({ ssm });

    expect(await resolve('demo', { apiKey: { ssm: '/ferry/secrets/demo-key' } })).toEqual({
      apiKey: 'ssm-secret-1',
    });
    expect(aws.ssm.calls.at(-1)?.input).toMatchObject({
      Name: '/ferry/secrets/demo-key',
      WithDecryption: true,
    });
  });

  it('registers every resolved value for redaction', async () => {
    aws.ssm.put('/ferry/secrets/redacted', 'ssm-secret-2', 'SecureString');
    const resolve = createSecretResolver({ ssm, env: { TOKEN: 'env-secret-2' } });

    await resolve('demo', { a: { ssm: '/ferry/secrets/redacted' }, b: { env: 'TOKEN' } });

    expect(redact({ message: 'sent ssm-secret-2 and env-secret-2' })).toEqual({
      message: 'sent *** and ***',
    });
  });

  it('names the instance, the secret and the variable when an {env} reference is unset', async () => {
    const resolve = createSecretResolver({ env: {} });

    const error = await resolve('demo', { apiKey: { env: 'MISSING_KEY' } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretMissingError);
    expect(error).toMatchObject({ code: 'SECRET_MISSING' });
    expect((error as Error).message).toBe(
      'Instance "demo": secret "apiKey" refers to environment variable MISSING_KEY, which is not set. Export it before starting Ferry.',
    );
  });

  it("blames the sink's secret, not the instance's, when the sink's reference is unset", async () => {
    const resolve = createSecretResolver({ env: {} });

    const error = await resolve('demo', { token: { env: 'MISSING_TOKEN' } }, 'sink').catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      'Instance "demo": the sink\'s secret "token" refers to environment variable MISSING_TOKEN, which is not set. Export it before starting Ferry.',
    );
  });

  it('tells how to create a missing SecureString', async () => {
    const resolve = createSecretResolver({ ssm });

    const error = await resolve('demo', { apiKey: { ssm: '/ferry/secrets/absent' } }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(SecretMissingError);
    expect((error as Error).message).toContain(
      `aws ssm put-parameter --type SecureString --name "/ferry/secrets/absent" --value '<secret>'`,
    );
  });

  it('says SSM is unavailable when an {ssm} reference is used without an SSM client', async () => {
    const resolve = createSecretResolver({ env: {} });

    await expect(resolve('demo', { apiKey: { ssm: '/x' } })).rejects.toThrow(
      /SSM is not available here\. Locally, use \{"env": "<VARIABLE>"\}/,
    );
  });

  it('caches a SecureString for maxAgeMs, then reads it again', async () => {
    aws.ssm.put('/ferry/secrets/rotating', 'rotating-secret-1', 'SecureString');
    // Only Date is faked: the SDK's sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const resolve = createSecretResolver({ ssm, maxAgeMs: 60_000 });
      await resolve('demo', { key: { ssm: '/ferry/secrets/rotating' } });
      aws.ssm.put('/ferry/secrets/rotating', 'rotating-secret-2', 'SecureString');

      vi.advanceTimersByTime(59_000);
      const cached = await resolve('demo', { key: { ssm: '/ferry/secrets/rotating' } });
      vi.advanceTimersByTime(2_000);
      const fresh = await resolve('demo', { key: { ssm: '/ferry/secrets/rotating' } });

      expect(cached.key).toBe('rotating-secret-1');
      expect(fresh.key).toBe('rotating-secret-2');
    } finally {
      vi.useRealTimers();
    }
  });
});
