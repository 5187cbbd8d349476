import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  paginateGetParametersByPath,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsEndpoints, startAwsEndpoints } from './server.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local SSM', () => {
  let aws: AwsEndpoints | undefined;
  let ssm: SSMClient;

  beforeEach(async () => {
    aws = await startAwsEndpoints();
    ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', credentials });
  });

  afterEach(async () => {
    ssm?.destroy();
    await aws?.close();
  });

  it('returns a stored parameter to GetParameter', async () => {
    aws!.ssm.put('/ferry/instances/demo', '{"connector":"demo"}');

    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/ferry/instances/demo' }));

    expect(Parameter).toMatchObject({
      Name: '/ferry/instances/demo',
      Type: 'String',
      Value: '{"connector":"demo"}',
      Version: 1,
      ARN: 'arn:aws:ssm:us-east-1:000000000000:parameter/ferry/instances/demo',
    });
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date);
  });

  it('raises the SDK ParameterNotFound for a missing parameter', async () => {
    const error = await ssm
      .send(new GetParameterCommand({ Name: '/ferry/missing' }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ParameterNotFound);
    expect(error).toMatchObject({ name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
  });

  it('records the call with WithDecryption, so a test can assert a secret was decrypted', async () => {
    aws!.ssm.put('/ferry/secrets/demo/api-key', 's3cret', 'SecureString');

    const { Parameter } = await ssm.send(
      new GetParameterCommand({ Name: '/ferry/secrets/demo/api-key', WithDecryption: true }),
    );

    expect(Parameter).toMatchObject({ Type: 'SecureString', Value: 's3cret' });
    expect(aws!.ssm.calls).toEqual([
      {
        target: 'AmazonSSM.GetParameter',
        operation: 'GetParameter',
        input: { Name: '/ferry/secrets/demo/api-key', WithDecryption: true },
      },
    ]);
  });

  it('lists direct children by path, and the whole subtree when recursive', async () => {
    aws!.ssm.put('/ferry/instances/a', 'A');
    aws!.ssm.put('/ferry/instances/b', 'B');
    aws!.ssm.put('/ferry/instances/b/nested', 'N');
    aws!.ssm.put('/ferry/other', 'O');

    const direct = await ssm.send(new GetParametersByPathCommand({ Path: '/ferry/instances' }));
    const all = await ssm.send(
      new GetParametersByPathCommand({ Path: '/ferry/instances/', Recursive: true }),
    );

    expect(direct.Parameters?.map((p) => p.Name)).toEqual(['/ferry/instances/a', '/ferry/instances/b']);
    expect(all.Parameters?.map((p) => p.Name)).toEqual([
      '/ferry/instances/a',
      '/ferry/instances/b',
      '/ferry/instances/b/nested',
    ]);
  });

  it('pages GetParametersByPath ten at a time, like SSM', async () => {
    for (let i = 0; i < 23; i += 1) aws!.ssm.put(`/ferry/instances/i${String(i).padStart(2, '0')}`, `${i}`);

    const pages = [];
    for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: '/ferry/instances' })) {
      pages.push(page.Parameters?.length);
    }

    expect(pages).toEqual([10, 10, 3]);
  });

  it('answers GetParameters with the found parameters and the invalid names', async () => {
    aws!.ssm.put('/a', '1');

    const result = await ssm.send(new GetParametersCommand({ Names: ['/a', '/nope'] }));

    expect(result.Parameters?.map((p) => p.Value)).toEqual(['1']);
    expect(result.InvalidParameters).toEqual(['/nope']);
  });

  it('versions PutParameter, refuses to overwrite without Overwrite, deletes', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/p', Value: 'one', Type: 'String' }));
    const refused = await ssm
      .send(new PutParameterCommand({ Name: '/p', Value: 'two', Type: 'String' }))
      .catch((e: unknown) => e);
    const second = await ssm.send(new PutParameterCommand({ Name: '/p', Value: 'two', Overwrite: true }));

    expect(refused).toBeInstanceOf(ParameterAlreadyExists);
    expect(second.Version).toBe(2);
    expect(aws!.ssm.get('/p')).toMatchObject({ value: 'two', version: 2, type: 'String' });

    await ssm.send(new DeleteParameterCommand({ Name: '/p' }));
    await expect(ssm.send(new DeleteParameterCommand({ Name: '/p' }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
    expect(aws!.ssm.get('/p')).toBeUndefined();
  });

  it('rejects a Standard parameter over 4096 characters, as SSM does', async () => {
    await expect(
      ssm.send(new PutParameterCommand({ Name: '/big', Value: 'x'.repeat(4097), Type: 'String' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('is reachable through AWS_ENDPOINT_URL_SSM, with no endpoint in the client config', async () => {
    aws!.ssm.put('/env', 'via-env');
    const saved = process.env.AWS_ENDPOINT_URL_SSM;
    process.env.AWS_ENDPOINT_URL_SSM = aws!.environment.AWS_ENDPOINT_URL_SSM;
    const fromEnv = new SSMClient({ region: 'us-east-1', credentials });
    try {
      const { Parameter } = await fromEnv.send(new GetParameterCommand({ Name: '/env' }));
      expect(Parameter?.Value).toBe('via-env');
    } finally {
      fromEnv.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SSM;
      else process.env.AWS_ENDPOINT_URL_SSM = saved;
    }
  });
});

describe('local SSM with strictSecureString', () => {
  let aws: AwsEndpoints | undefined;
  let ssm: SSMClient;

  beforeEach(async () => {
    aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
    ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', credentials });
  });

  afterEach(async () => {
    ssm?.destroy();
    await aws?.close();
  });

  it('hides a SecureString value unless WithDecryption is requested', async () => {
    aws!.ssm.put('/secret', 's3cret', 'SecureString');

    const hidden = await ssm.send(new GetParameterCommand({ Name: '/secret' }));
    const shown = await ssm.send(new GetParameterCommand({ Name: '/secret', WithDecryption: true }));

    expect(hidden.Parameter?.Value).not.toContain('s3cret');
    expect(shown.Parameter?.Value).toBe('s3cret');
  });
});
