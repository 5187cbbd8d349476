import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import type { IngestServer } from '../../functions/ingest/server.js';
import { type AwsEndpoints, startAwsEndpoints } from './aws-endpoints/server.js';
import { INGEST_TOKEN, startTestIngest } from './ingest.js';
import { DYNAMO_START_TIMEOUT_MS, type DynamoFixture, startDynamoFixture } from './local-dynamo.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The name the stack gives helloworld's function, as its output `HelloworldFunctionName` says. */
export const HELLOWORLD_FUNCTION = 'Ferry-ConnectorHelloworld-abc123';
/** Where the deployed documents' sink token lives. */
export const INGEST_TOKEN_PARAMETER = '/ferry/ingest/token';
export { DYNAMO_START_TIMEOUT_MS };

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A stack "deployed" on local endpoints, for `ferry <command> --aws` run as an operator runs it. */
export interface DeployedStack {
  readonly fixture: DynamoFixture;
  readonly aws: AwsEndpoints;
  readonly ingest: IngestServer;
  /** The StackName of every DescribeStacks call, in order. */
  readonly describeStacksCalls: readonly string[];
  readonly cloudFormationUrl: string;
  /** `ferry <args> --aws` in a separate process that knows only the endpoints. */
  ferry(args: string[], env?: Record<string, string>): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * CloudFormation's DescribeStacks (the awsQuery protocol: a form-encoded POST, an XML answer), just
 * enough for the stack outputs `--aws` reads. Only the stack "Ferry" exists.
 */
const startCloudFormation = async (outputs: Record<string, string>, calls: string[]): Promise<Server> => {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      calls.push(form.get('StackName') ?? '');
      if (form.get('Action') !== 'DescribeStacks' || form.get('StackName') !== 'Ferry') {
        response.writeHead(400, { 'content-type': 'text/xml' });
        response.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${form.get('StackName')} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
        );
        return;
      }
      const members = Object.entries(outputs)
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

/**
 * DynamoDB Local with the state and incidents tables, local SSM/Lambda endpoints, the ingestion
 * endpoint, and CloudFormation outputs naming the state table and helloworld's function. This process
 * gets the deployed function's environment, then `loadHandler` (the real Lambda entry, imported after
 * that) is registered as the function. Call in `beforeAll` with {@link DYNAMO_START_TIMEOUT_MS}.
 */
export const startDeployedStack = async (
  loadHandler: () => Promise<LambdaHandler>,
): Promise<DeployedStack> => {
  const savedEnv = { ...process.env };
  const describeStacksCalls: string[] = [];
  const fixture = await startDynamoFixture();
  const aws = await startAwsEndpoints({ ssm: { strictSecureString: true } });
  const ingest = await startTestIngest(fixture.incidents);
  const cloudFormation = await startCloudFormation(
    { StateTableName: fixture.tables.state, HelloworldFunctionName: HELLOWORLD_FUNCTION },
    describeStacksCalls,
  );
  const cloudFormationUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`;
  aws.ssm.put(INGEST_TOKEN_PARAMETER, INGEST_TOKEN, 'SecureString');

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
  aws.lambda.register(HELLOWORLD_FUNCTION, await loadHandler(), { timeoutMs: 60_000 });

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

  return {
    fixture,
    aws,
    ingest,
    describeStacksCalls,
    cloudFormationUrl,
    ferry,
    close: async () => {
      process.env = savedEnv;
      await new Promise((done) => cloudFormation.close(done));
      await ingest.close();
      await aws.close();
      await fixture.stop();
    },
  };
};
