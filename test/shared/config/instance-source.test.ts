import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSsmInstanceSource, instanceParameterName } from '../../../shared/config/instance-source.js';
import { ConfigError } from '../../../shared/errors.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';

let aws: AwsEndpoints;
let ssm: SSMClient;

beforeAll(async () => {
  aws = await startAwsEndpoints();
  ssm = new SSMClient({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  ssm.destroy();
  await aws.close();
});

const aDocument = (id: string, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    id,
    connector: 'helloworld',
    params: { url: 'http://127.0.0.1:8788', max_fetch: 50 },
    secrets: { apiKey: { ssm: '/ferry/secrets/demo-key' } },
    sink: { type: 'ferry' },
    ...overrides,
  });

describe('createSsmInstanceSource', () => {
  it('reads the instance document from /ferry/instances/<id>', async () => {
    aws.ssm.put(instanceParameterName('reader'), aDocument('reader'));
    const source = createSsmInstanceSource({ ssm });

    expect(await source.getInstance('reader')).toMatchObject({
      id: 'reader',
      connector: 'helloworld',
      enabled: true,
      params: { max_fetch: 50 },
    });
  });

  it('says which parameter is missing and how to create it', async () => {
    const source = createSsmInstanceSource({ ssm });

    const error = await source.getInstance('ghost').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Instance "ghost" has no configuration: SSM parameter /ferry/instances/ghost does not exist. ' +
        'Add the instance to ferry.config.json and run "npx cdk deploy", or remove its schedule.',
    );
  });

  it('names the parameter and the field of an invalid document', async () => {
    aws.ssm.put(instanceParameterName('invalid'), aDocument('invalid', { enabled: 'yes' }));
    const source = createSsmInstanceSource({ ssm });

    await expect(source.getInstance('invalid')).rejects.toThrow(
      /^SSM \/ferry\/instances\/invalid: instance "invalid": enabled /,
    );
  });

  it('serves an edited parameter once the cached one is older than maxAgeMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    aws.ssm.put(instanceParameterName('edited'), aDocument('edited'));
    const source = createSsmInstanceSource({ ssm, maxAgeMs: 5_000 });
    await source.getInstance('edited');
    aws.ssm.put(instanceParameterName('edited'), aDocument('edited', { enabled: false }));

    vi.advanceTimersByTime(4_000);
    const cached = await source.getInstance('edited');
    vi.advanceTimersByTime(1_500);
    const edited = await source.getInstance('edited');

    expect(cached.enabled).toBe(true);
    expect(edited.enabled).toBe(false);
  });
});
