import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestServer } from '../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import type { HistoryRecord } from '../../shared/state/history-record.js';
import { type AwsEndpoints, startAwsEndpoints } from '../helpers/aws-endpoints/server.js';
import { INGEST_TOKEN, startTestIngest, storedIds } from '../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../helpers/local-dynamo.js';
import { closedPortUrl } from '../helpers/servers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const API_KEY = 'aws-cli-demo-key';
const FUNCTION_NAME = 'Ferry-ConnectorHelloworld-abc123';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let fixture: DynamoFixture;
let aws: AwsEndpoints;
let ingest: IngestServer;
let source: DemoSource;
let cloudFormation: Server;
let cloudFormationUrl: string;
const describeStacksCalls: string[] = [];
const savedEnv = { ...process.env };

/**
 * CloudFormation's DescribeStacks (the awsQuery protocol: a form-encoded POST, an XML answer), just
 * enough for the stack outputs `--aws` reads.
 */
const startCloudFormation = async (outputs: () => Record<string, string>) => {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      describeStacksCalls.push(form.get('StackName') ?? '');
      if (form.get('Action') !== 'DescribeStacks' || form.get('StackName') !== 'Ferry') {
        response.writeHead(400, { 'content-type': 'text/xml' });
        response.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${form.get('StackName')} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
        );
        return;
      }
      const members = Object.entries(outputs())
        .map(
          ([key, value]) =>
            `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
        )
        .join('');
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>Ferry</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/Ferry/1</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
};

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `ferry <args> --aws` as an operator runs it: a separate process that knows only the endpoints. */
const ferry = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ferry.js'), ...args, '--aws'],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NO_COLOR: '1',
          NODE_NO_WARNINGS: '1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'operator',
          AWS_SECRET_ACCESS_KEY: 'operator',
          AWS_ENDPOINT_URL_DYNAMODB: fixture.dynamo.endpoint,
          AWS_ENDPOINT_URL_SSM: aws.url,
          AWS_ENDPOINT_URL_LAMBDA: aws.url,
          AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationUrl,
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });

type Handler = (event: unknown, context: Context) => Promise<unknown>;

beforeAll(async () => {
  fixture = await startDynamoFixture();
  aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  ingest = await startTestIngest(fixture.incidents);
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  cloudFormation = await startCloudFormation(() => ({
    StateTableName: fixture.tables.state,
    HelloworldFunctionName: FUNCTION_NAME,
  }));
  cloudFormationUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`;
  aws.ssm.put('/ferry/secrets/demo-key', API_KEY, 'SecureString');
  aws.ssm.put('/ferry/ingest/token', INGEST_TOKEN, 'SecureString');

  // The deployed function: the real Lambda entry, its environment pointed at the local servers.
  Object.assign(process.env, {
    STATE_TABLE: fixture.tables.state,
    FERRY_INGEST_URL: ingest.url,
    AWS_ENDPOINT_URL_SSM: aws.url,
    AWS_ENDPOINT_URL_DYNAMODB: fixture.dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'function',
    AWS_SECRET_ACCESS_KEY: 'function',
    LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = (await import('../../functions/helloworld/handler.js')) as unknown as {
    handler: Handler;
  };
  aws.lambda.register(FUNCTION_NAME, handler, { timeoutMs: 60_000 });
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  process.env = savedEnv;
  await new Promise((done) => cloudFormation?.close(done));
  await source?.close();
  await ingest?.close();
  await aws?.close();
  await fixture?.stop();
});

/** What `cdk deploy` writes: the instance's document in SSM. */
const deploy = (instanceId: string, params: Record<string, unknown> = {}) =>
  aws.ssm.put(
    `/ferry/instances/${instanceId}`,
    JSON.stringify({
      id: instanceId,
      connector: 'helloworld',
      enabled: true,
      fetchInterval: '1 minute',
      params: { url: source.url, first_fetch: '1 hour', ...params },
      secrets: { apiKey: { ssm: '/ferry/secrets/demo-key' } },
      sink: { type: 'ferry', token: { ssm: '/ferry/ingest/token' } },
      historyRetentionDays: 30,
    }),
  );

/** The schedule's invocation of the deployed function. */
const scheduledFetch = async (instanceId: string) =>
  (await fetch(`${aws.url}/2015-03-31/functions/${FUNCTION_NAME}/invocations`, {
    method: 'POST',
    body: JSON.stringify({ instanceId }),
  }).then((response) => response.json())) as { status: string; pushed: number };

const invocations = (instanceId: string) =>
  aws.lambda.calls.filter((call) => (call.event as { instanceId?: string }).instanceId === instanceId);

// Each command is a fresh process compiling the CLI through tsx: seconds each on a busy machine.
describe('ferry --aws, against the deployed stack (local AWS endpoints)', { timeout: 90_000 }, () => {
  it('status lists every deployed instance with its health, incident counts and broken documents', async () => {
    const fetched = anInstanceId('status');
    const idle = anInstanceId('idle');
    deploy(fetched);
    deploy(idle);
    aws.ssm.put('/ferry/instances/broken', '{"id": "broken", "connector": 3}');
    for (const minutesAgo of [20, 10]) source.add({ created: Date.now() - minutesAgo * MINUTE });
    expect(await scheduledFetch(fetched)).toMatchObject({ status: 'ok', pushed: expect.any(Number) });

    const result = await ferry(['status', '--json']);

    expect(result.stderr).toBe('');
    const rows = JSON.parse(result.stdout) as {
      instanceId: string;
      status: string;
      incidents?: { lastHour: number };
      reason: string;
    }[];
    const byId = Object.fromEntries(rows.map((row) => [row.instanceId, row]));
    expect(byId[fetched]).toMatchObject({ status: 'healthy', incidents: { lastHour: expect.any(Number) } });
    expect(byId[fetched]?.incidents?.lastHour).toBeGreaterThan(0);
    expect(byId[idle]).toMatchObject({ status: 'pending' });
    expect(byId.broken).toMatchObject({ status: 'failing', reason: expect.stringContaining('broken') });
    // A broken instance makes status exit 1, for a check that alerts on it.
    expect(result.code).toBe(1);
    expect(describeStacksCalls.at(-1)).toBe('Ferry');

    const table = await ferry(['status']);
    expect(table.stdout).toMatch(new RegExp(`${fetched}\\s+helloworld\\s+healthy`));
    aws.ssm.delete('/ferry/instances/broken');
  });

  it('history, fetch --debug and test go through the table and the deployed function', async () => {
    const instanceId = anInstanceId('ops');
    deploy(instanceId);
    source.add({ created: Date.now() - 5 * MINUTE });
    await scheduledFetch(instanceId);
    const before = await fixture.store.read(instanceId);

    const history = await ferry(['history', instanceId, '--json']);
    expect(history.stderr).toBe('');
    const records = JSON.parse(history.stdout) as HistoryRecord[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ instanceId, status: 'ok' });

    // After the cursor: the next fetch would get it.
    source.add({ created: Date.now(), name: 'Seen only in debug' });
    const debug = await ferry(['fetch', instanceId, '--debug']);
    expect(debug.code).toBe(0);
    expect((JSON.parse(debug.stdout) as { name: string }[]).map((i) => i.name)).toContain(
      'Seen only in debug',
    );
    expect(debug.stderr).toContain('nothing pushed, nothing committed (debug)');
    expect(invocations(instanceId).at(-1)?.event).toEqual({ instanceId, operation: 'debug' });
    expect((await fixture.store.read(instanceId))?.version).toBe(before?.version);

    const test = await ferry(['test', instanceId]);
    expect(test).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(invocations(instanceId).at(-1)?.event).toEqual({ instanceId, operation: 'test' });
  });

  it('last-run --reset resets the cursor in the table and records it in the history', async () => {
    const instanceId = anInstanceId('reset');
    deploy(instanceId);
    await scheduledFetch(instanceId);

    const result = await ferry(['last-run', instanceId, '--reset']);

    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('last run reset by an operator: {}');
    expect((await fixture.store.read(instanceId))?.lastRun).toEqual({});
    const [latest] = await fixture.store.listHistory(instanceId);
    expect(latest).toMatchObject({ status: 'operator', connector: 'helloworld', lastRunAfter: {} });
  });

  it('replay runs in the deployed function into the sink and leaves the live cursor alone', async () => {
    const instanceId = anInstanceId('replay');
    deploy(instanceId, { max_fetch: 5 });
    const from = new Date(Date.now() - 6 * HOUR);
    const to = new Date(Date.now() - 4 * HOUR);
    source.backlog(12, { from, to });
    const expected = source.store
      .query({ since: from.getTime(), until: to.getTime(), limit: Number.POSITIVE_INFINITY })
      .map((alert) => alert.id)
      .sort();

    const result = await ferry([
      'replay',
      instanceId,
      '--from',
      from.toISOString(),
      '--to',
      to.toISOString(),
    ]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`pushed ${expected.length}`);
    expect(result.stderr).toMatch(/Starting replay \w+/);
    expect(result.stderr).toContain('100%');
    expect(await storedIds(fixture.incidents, instanceId)).toEqual(expected);
    expect(await fixture.store.read(instanceId)).toBeUndefined();
    const [record] = await fixture.store.listHistory(instanceId);
    expect(record).toMatchObject({ action: 'replay', status: 'ok', pushed: expected.length });
    expect(
      invocations(instanceId).every((call) => (call.event as { operation: string }).operation === 'replay'),
    ).toBe(true);
  });

  it('takes the names from FERRY_STATE_TABLE and FERRY_FUNCTION_<CONNECTOR> without reading the stack', async () => {
    const instanceId = anInstanceId('env');
    deploy(instanceId);
    const calls = describeStacksCalls.length;

    const result = await ferry(['test', instanceId], {
      AWS_ENDPOINT_URL_CLOUDFORMATION: await closedPortUrl(),
      FERRY_STATE_TABLE: fixture.tables.state,
      FERRY_FUNCTION_HELLOWORLD: FUNCTION_NAME,
    });

    expect(result).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(describeStacksCalls.length).toBe(calls);
  });

  it('names the stack and the fix when the stack does not exist', async () => {
    const result = await ferry(['status', '--stack', 'Nope']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot read the outputs of the CloudFormation stack "Nope"');
    expect(result.stderr).toContain('FERRY_STATE_TABLE');
  });
});
