import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import type { HistoryRecord } from '../../shared/state/history-record.js';
import {
  type DeployedStack,
  DYNAMO_START_TIMEOUT_MS,
  HELLOWORLD_FUNCTION as FUNCTION_NAME,
  INGEST_TOKEN_PARAMETER,
  type LambdaHandler,
  startDeployedStack,
} from '../helpers/deployed-stack.js';
import { storedIds } from '../helpers/ingest.js';
import { anInstanceId } from '../helpers/local-dynamo.js';
import { closedPortUrl } from '../helpers/servers.js';

const API_KEY = 'aws-cli-demo-key';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let stack: DeployedStack;
let source: DemoSource;

beforeAll(async () => {
  stack = await startDeployedStack(
    async () =>
      ((await import('../../functions/helloworld/handler.js')) as unknown as { handler: LambdaHandler })
        .handler,
  );
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  stack.aws.ssm.put('/ferry/secrets/demo-key', API_KEY, 'SecureString');
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await source?.close();
  await stack?.close();
});

const ferry: DeployedStack['ferry'] = (args, env) => stack.ferry(args, env);

/** What `cdk deploy` writes: the instance's document in SSM. */
const deploy = (instanceId: string, params: Record<string, unknown> = {}) =>
  stack.aws.ssm.put(
    `/ferry/instances/${instanceId}`,
    JSON.stringify({
      id: instanceId,
      connector: 'helloworld',
      enabled: true,
      fetchInterval: '1 minute',
      params: { url: source.url, first_fetch: '1 hour', ...params },
      secrets: { apiKey: { ssm: '/ferry/secrets/demo-key' } },
      sink: { type: 'ferry', token: { ssm: INGEST_TOKEN_PARAMETER } },
      historyRetentionDays: 30,
    }),
  );

/** The schedule's invocation of the deployed function. */
const scheduledFetch = async (instanceId: string) =>
  (await fetch(`${stack.aws.url}/2015-03-31/functions/${FUNCTION_NAME}/invocations`, {
    method: 'POST',
    body: JSON.stringify({ instanceId }),
  }).then((response) => response.json())) as { status: string; pushed: number };

const invocations = (instanceId: string) =>
  stack.aws.lambda.calls.filter((call) => (call.event as { instanceId?: string }).instanceId === instanceId);

// Each command is a fresh process compiling the CLI through tsx: seconds each on a busy machine.
describe('ferry --aws, against the deployed stack (local AWS endpoints)', { timeout: 90_000 }, () => {
  it('status lists every deployed instance with its health, incident counts and broken documents', async () => {
    const fetched = anInstanceId('status');
    const idle = anInstanceId('idle');
    deploy(fetched);
    deploy(idle);
    stack.aws.ssm.put('/ferry/instances/broken', '{"id": "broken", "connector": 3}');
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
    expect(stack.describeStacksCalls.at(-1)).toBe('Ferry');

    const table = await ferry(['status']);
    expect(table.stdout).toMatch(new RegExp(`${fetched}\\s+helloworld\\s+healthy`));
    stack.aws.ssm.delete('/ferry/instances/broken');
  });

  it('history, fetch --debug and test go through the table and the deployed function', async () => {
    const instanceId = anInstanceId('ops');
    deploy(instanceId);
    source.add({ created: Date.now() - 5 * MINUTE });
    await scheduledFetch(instanceId);
    const before = await stack.fixture.store.read(instanceId);

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
    expect((await stack.fixture.store.read(instanceId))?.version).toBe(before?.version);

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
    expect((await stack.fixture.store.read(instanceId))?.lastRun).toEqual({});
    const [latest] = await stack.fixture.store.listHistory(instanceId);
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
    expect(await storedIds(stack.fixture.incidents, instanceId)).toEqual(expected);
    expect(await stack.fixture.store.read(instanceId)).toBeUndefined();
    const [record] = await stack.fixture.store.listHistory(instanceId);
    expect(record).toMatchObject({ action: 'replay', status: 'ok', pushed: expected.length });
    expect(
      invocations(instanceId).every((call) => (call.event as { operation: string }).operation === 'replay'),
    ).toBe(true);
  });

  it('takes the names from FERRY_STATE_TABLE and FERRY_FUNCTION_<CONNECTOR> without reading the stack', async () => {
    const instanceId = anInstanceId('env');
    deploy(instanceId);
    const calls = stack.describeStacksCalls.length;

    const result = await ferry(['test', instanceId], {
      AWS_ENDPOINT_URL_CLOUDFORMATION: await closedPortUrl(),
      FERRY_STATE_TABLE: stack.fixture.tables.state,
      FERRY_FUNCTION_HELLOWORLD: FUNCTION_NAME,
    });

    expect(result).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(stack.describeStacksCalls.length).toBe(calls);
  });

  it('names the stack and the fix when the stack does not exist', async () => {
    const result = await ferry(['status', '--stack', 'Nope']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot read the outputs of the CloudFormation stack "Nope"');
    expect(result.stderr).toContain('FERRY_STATE_TABLE');
  });
});
