import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloworld } from '../../functions/helloworld/connector.js';
import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import {
  type DeployedStack,
  DYNAMO_START_TIMEOUT_MS,
  HELLOWORLD_FUNCTION,
  INGEST_TOKEN_PARAMETER,
  type LambdaHandler,
  startDeployedStack,
} from '../helpers/deployed-stack.js';
import { type HostileAlertSource, startHostileAlertSource } from '../helpers/hostile-alert-source.js';
import { storedIds } from '../helpers/ingest.js';
import { anInstanceId } from '../helpers/local-dynamo.js';

// `ferry quarantine <instance> --aws`: listing, export and discard read and write the deployed state
// table; a re-drive invokes the deployed connector function, which pushes with the sink's credentials.
const API_KEY = 'aws-quarantine-key-5d0c8e2f71';
const MINUTE = 60_000;

let stack: DeployedStack;
let source: HostileAlertSource;

beforeAll(async () => {
  stack = await startDeployedStack(
    async () =>
      ((await import('../../functions/helloworld/handler.js')) as unknown as { handler: LambdaHandler })
        .handler,
  );
  source = await startHostileAlertSource(API_KEY);
  stack.aws.ssm.put('/ferry/secrets/quarantine-key', API_KEY, 'SecureString');
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  await source?.close();
  await stack?.close();
});

/** What `cdk deploy` writes: the instance's document in SSM. */
const deploy = (instanceId: string) =>
  stack.aws.ssm.put(
    `/ferry/instances/${instanceId}`,
    JSON.stringify({
      id: instanceId,
      connector: 'helloworld',
      fetchInterval: '1 minute',
      params: { url: source.url, first_fetch: '1 hour' },
      secrets: { apiKey: { ssm: '/ferry/secrets/quarantine-key' } },
      sink: { type: 'ferry', token: { ssm: INGEST_TOKEN_PARAMETER } },
    }),
  );

/** The schedule's invocation of the deployed function. */
const scheduledFetch = async (instanceId: string) =>
  (await fetch(`${stack.aws.url}/2015-03-31/functions/${HELLOWORLD_FUNCTION}/invocations`, {
    method: 'POST',
    body: JSON.stringify({ instanceId }),
  }).then((response) => response.json())) as { status: string; pushed: number; quarantined?: number };

/** A nameless alert: helloworld maps it to an incident without a name, which is invalid. */
const addPoison = (id: string, minutesAgo: number, extra: Record<string, unknown> = {}) =>
  source.addRaw(
    Date.now() - minutesAgo * MINUTE,
    JSON.stringify({
      id,
      name: '',
      severity: 'low',
      created: new Date(Date.now() - minutesAgo * MINUTE).toISOString(),
      ...extra,
    }),
  );

interface Listed {
  quarantineId: string;
  sourceId: string;
  status: string;
  redriveAttempts: number;
}

/** helloworld as redeployed with its mapping fixed: a nameless alert is named after its id. */
const fixedHandler = () =>
  createLambdaHandler({
    ...helloworld,
    toIncident: (alert, context) =>
      helloworld.toIncident({ ...alert, name: alert.name || `Unnamed alert ${alert.id}` }, context),
  }) as unknown as LambdaHandler;

describe('ferry quarantine --aws (local AWS endpoints)', { timeout: 120_000 }, () => {
  it('lists, exports, re-drives once fixed and discards, through the table and the deployed function', async () => {
    const instanceId = anInstanceId('quarantine');
    deploy(instanceId);
    const good = [40, 20].map((minutes) => source.add(Date.now() - minutes * MINUTE));
    // The source echoes the API key into the event: it must be stored and shown redacted.
    addPoison('H-POISON-1', 30, { description: `rejected key ${API_KEY}` });
    addPoison('H-POISON-2', 10);
    expect(await scheduledFetch(instanceId)).toMatchObject({ status: 'ok', pushed: 2, quarantined: 2 });

    const table = await stack.ferry(['quarantine', instanceId]);
    const listing = await stack.ferry(['quarantine', instanceId, '--json']);
    const exported = await stack.ferry(['quarantine', instanceId, '--export']);

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/held\s+H-POISON-1\s+name: /);
    expect(table.stderr).toContain(`ferry quarantine ${instanceId} --redrive`);
    const records = JSON.parse(listing.stdout) as Listed[];
    expect(records.map((record) => [record.sourceId, record.status]).sort()).toEqual([
      ['H-POISON-1', 'held'],
      ['H-POISON-2', 'held'],
    ]);
    const file = JSON.parse(exported.stdout);
    expect(file).toMatchObject({ instanceId, count: 2 });
    expect(file.records.map((record: { raw: { name: string } }) => record.raw.name)).toEqual(['', '']);
    expect(exported.stdout).toContain('rejected key ***');
    for (const output of [table, listing, exported]) expect(JSON.stringify(output)).not.toContain(API_KEY);

    // Re-driven with the code still deployed: still invalid, kept, and the command says so (exit 1).
    const unchanged = await stack.ferry(['quarantine', instanceId, '--redrive']);
    expect(unchanged.code).toBe(1);
    expect(unchanged.stdout).toContain('0 delivered, 2 still invalid (kept), 0 skipped');
    const invocations = stack.aws.lambda.calls.filter(
      (call) => (call.event as { instanceId?: string }).instanceId === instanceId,
    );
    expect(invocations.at(-1)?.event).toEqual({ instanceId, operation: 'redrive' });

    // The mapping fixed and redeployed: one record re-driven by id is delivered, once.
    stack.aws.lambda.register(HELLOWORLD_FUNCTION, fixedHandler(), { timeoutMs: 60_000 });
    const first = records.find((record) => record.sourceId === 'H-POISON-1')!;
    const second = records.find((record) => record.sourceId === 'H-POISON-2')!;
    const redriven = await stack.ferry(['quarantine', instanceId, '--redrive', first.quarantineId]);
    const again = await stack.ferry(['quarantine', instanceId, '--redrive', first.quarantineId]);

    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toMatch(new RegExp(`delivered\\s+${first.quarantineId}\\s+H-POISON-1`));
    expect(redriven.stdout).toContain('1 delivered, 0 still invalid (kept), 0 skipped');
    expect(stack.aws.lambda.calls.at(-2)?.event).toEqual({
      instanceId,
      operation: 'redrive',
      quarantineIds: [first.quarantineId],
    });
    expect(again.stdout).toContain('0 delivered');
    expect(await storedIds(stack.fixture.incidents, instanceId)).toEqual([...good, 'H-POISON-1'].sort());

    // Given up on: discarded from the table, no longer listed or re-driven.
    const discarded = await stack.ferry(['quarantine', instanceId, '--discard', second.quarantineId]);
    const unknown = await stack.ferry(['quarantine', instanceId, '--discard', '0123456789abcdef']);
    const after = JSON.parse((await stack.ferry(['quarantine', instanceId, '--json'])).stdout) as Listed[];

    expect(discarded).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Discarded ${second.quarantineId}`),
    });
    expect(unknown).toMatchObject({ code: 1, stdout: expect.stringContaining('No held quarantined event') });
    expect(after.map((record) => [record.sourceId, record.status])).toEqual([['H-POISON-1', 'redriven']]);
    const history = await stack.fixture.store.listHistory(instanceId);
    expect(history.filter((record) => record.action === 'redrive')).toHaveLength(3);
    expect(JSON.stringify(history)).not.toContain(API_KEY);
  });

  it('refuses an id that is not a quarantine id before reaching AWS', async () => {
    const result = await stack.ferry(['quarantine', 'any', '--redrive', '../STATE']);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('"../STATE" is not a quarantine id');
  });
});
