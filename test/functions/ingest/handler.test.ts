import type { LambdaEvent } from 'hono/aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { handler as IngestHandler } from '../../../functions/ingest/handler.js';
import { type AwsEndpoints, startAwsEndpoints } from '../../helpers/aws-endpoints/server.js';
import { anIncident, anInstance, type IncidentsTableFixture, startIncidentsTable } from './helpers.js';
import { httpApiEvent } from './http-api-event.js';

const token = 'lambda-test-token-0123456789';
const parameterName = '/ferry/ingest/token';

let table: IncidentsTableFixture;
let aws: AwsEndpoints;
let handler: typeof IngestHandler;

const authorized = { authorization: `Bearer ${token}` };

beforeAll(async () => {
  table = await startIncidentsTable();
  // strictSecureString: a GetParameter without WithDecryption would get a ciphertext, not the token.
  aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  aws.ssm.put(parameterName, token, 'SecureString');
  vi.stubEnv('INCIDENTS_TABLE', table.tableName);
  vi.stubEnv('INGEST_TOKEN_PARAMETER', parameterName);
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', aws.url);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', table.dynamo.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('LOG_LEVEL', 'SILENT');
  vi.resetModules();
  ({ handler } = await import('../../../functions/ingest/handler.js'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await aws?.close();
  await table?.stop();
});

describe('the ingest Lambda handler', () => {
  it('stores a batch from an HTTP API event and lists it back', async () => {
    const instance = anInstance();
    const body = JSON.stringify({
      instance,
      connector: 'demo',
      runId: 'run-1',
      incidents: [anIncident('a')],
    });
    const posted = await handler(
      httpApiEvent({ method: 'POST', path: '/incidents', headers: authorized, body }),
    );
    expect(posted.statusCode).toBe(200);
    expect(JSON.parse(posted.body)).toEqual({ accepted: 1, new: 1, duplicates: 0 });

    const again = await handler(
      httpApiEvent({ method: 'POST', path: '/incidents', headers: authorized, body }),
    );
    expect(JSON.parse(again.body)).toEqual({ accepted: 1, new: 0, duplicates: 1 });

    const listed = await handler(
      httpApiEvent({
        method: 'GET',
        path: '/incidents',
        query: `instance=${instance}&limit=10`,
        headers: authorized,
      }),
    );
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body).incidents.map((item: { key: string }) => item.key)).toEqual(['a']);
  });

  it('accepts a base64-encoded body', async () => {
    const body = JSON.stringify({
      instance: anInstance(),
      connector: 'demo',
      runId: 'r',
      incidents: [anIncident('b')],
    });
    const event = httpApiEvent({ method: 'POST', path: '/incidents', headers: authorized, body });
    const encoded = {
      ...event,
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    } as LambdaEvent;
    const response = await handler(encoded);
    expect(JSON.parse(response.body)).toEqual({ accepted: 1, new: 1, duplicates: 0 });
  });

  it('refuses a wrong token with 401', async () => {
    const response = await handler(
      httpApiEvent({
        method: 'GET',
        path: '/incidents',
        query: 'instance=x',
        headers: { authorization: 'Bearer nope' },
      }),
    );
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).error.code).toBe('UNAUTHORIZED');
  });

  it('answers /health without a token', async () => {
    const response = await handler(httpApiEvent({ method: 'GET', path: '/health' }));
    expect(response.statusCode).toBe(200);
  });

  it('read the token from SSM once, decrypted, for all these invocations', () => {
    const reads = aws.ssm.calls.filter((call) => call.operation === 'GetParameter');
    expect(reads).toHaveLength(1);
    expect(reads[0]?.input).toMatchObject({ Name: parameterName, WithDecryption: true });
  });
});
