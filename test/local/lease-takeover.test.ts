import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../functions/connectors.js';
import type { IngestServer } from '../../functions/ingest/server.js';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { isDeadLocalHolder, localHolderPrefix, localRunId } from '../../local/lease-holder.js';
import { createLocalInvoker, type LocalInvoker } from '../../local/local-invoker.js';
import { createFileInstanceSource } from '../../shared/config/load-config-file.js';
import type { RunOutcome } from '../../shared/runner/run-fetch.js';
import { INGEST_TOKEN, startTestIngest } from '../helpers/ingest.js';
import {
  anInstanceId,
  DYNAMO_START_TIMEOUT_MS,
  type DynamoFixture,
  startDynamoFixture,
} from '../helpers/local-dynamo.js';
import { silentLogger } from '../helpers/runtime.js';
import { hostileRecorder } from '../reliability/hostile-inputs.js';

const hostile = hostileRecorder('Crash and restart');

const API_KEY = 'lease-takeover-key';
let fixture: DynamoFixture;
let source: DemoSource;
let ingest: IngestServer;
let dir: string;
let invoke: LocalInvoker;
const instance = anInstanceId('takeover');
const savedEnv = { ...process.env };

beforeAll(async () => {
  fixture = await startDynamoFixture();
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  ingest = await startTestIngest(fixture.incidents);
  dir = await mkdtemp(join(tmpdir(), 'ferry-takeover-'));
  process.env.TAKEOVER_KEY = API_KEY;
  process.env.TAKEOVER_INGEST_TOKEN = INGEST_TOKEN;
  const configPath = join(dir, 'ferry.config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      sink: { type: 'ferry', token: { env: 'TAKEOVER_INGEST_TOKEN' } },
      instances: {
        [instance]: {
          connector: 'helloworld',
          params: { url: source.url },
          secrets: { apiKey: { env: 'TAKEOVER_KEY' } },
        },
      },
    }),
  );
  invoke = createLocalInvoker({
    instances: createFileInstanceSource(configPath, { connectors }),
    store: fixture.store,
    ingestUrl: ingest.url,
    logger: silentLogger,
  });
}, DYNAMO_START_TIMEOUT_MS);

afterAll(async () => {
  hostile.write();
  process.env = savedEnv;
  await ingest?.close();
  await source?.close();
  await fixture?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A child process that takes the instance's lease as a local run would, then waits to be killed. */
const holdLeaseInChild = async (): Promise<{ child: ChildProcess; leaseId: string }> => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'fixtures', 'hold-lease.ts'),
      fixture.dynamo.endpoint,
      fixture.tables.state,
      instance,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    if (output.includes('\n')) break;
  }
  const leaseId = /^held (\S+)/.exec(output)?.[1];
  if (!leaseId) throw new Error(`the child did not take the lease: ${output}`);
  return { child, leaseId };
};

const fetchOnce = async () => (await invoke(instance, 'fetch')) as RunOutcome;

describe('a local restart takes over the leases of its dead predecessor', () => {
  it('waits while the holder lives, takes over at once when it is killed', { timeout: 120_000 }, async () => {
    const { child, leaseId } = await holdLeaseInChild();
    expect(leaseId.startsWith(localHolderPrefix(child.pid))).toBe(true);

    const whileAlive = await fetchOnce();
    child.kill('SIGKILL');
    await once(child, 'exit');
    const afterCrash = await fetchOnce();

    hostile.record({
      input: 'a local run killed (SIGKILL) while it holds the lease, then the next local fetch',
      expected: 'skipped while the holder lives; the next fetch runs at once after it died',
      measured: `while alive: ${whileAlive.status}; after the kill: ${afterCrash.status}`,
      passed: whileAlive.status === 'skipped' && afterCrash.status === 'ok',
    });
    expect(whileAlive.status).toBe('skipped');
    expect(afterCrash.status).toBe('ok');
    const [latest, crashed] = await fixture.store.listHistory(instance, { limit: 2 });
    expect(latest?.status).toBe('ok');
    expect(crashed).toMatchObject({ runId: leaseId, status: 'error', error: { code: 'LEASE_LOST' } });
    expect(crashed?.error?.message).toContain(`process ${child.pid} is gone`);
  });

  it('leaves a lease of a run id that is not local (AWS) to expire', { timeout: 60_000 }, async () => {
    const now = Date.now();
    await fixture.store.acquire(instance, { leaseId: randomUUID(), now, expiresAt: now + 60_000 });

    const outcome = await fetchOnce();

    hostile.record({
      input: 'a lease held by a non-local (AWS) run id',
      expected: 'left to expire (the AWS lease is not weakened)',
      measured: outcome.status,
      passed: outcome.status === 'skipped',
    });
    expect(outcome.status).toBe('skipped');
  });
});

describe('isDeadLocalHolder', () => {
  it('knows this live process, a pid reused by another process, and foreign ids', () => {
    const reused = localHolderPrefix().replace(
      /^local-(\d+)-(\d+)-/,
      (_m, pid, ticks) => `local-${pid}-${Number(ticks) + 1}-`,
    );

    expect(isDeadLocalHolder(localRunId())).toBe(false);
    expect(isDeadLocalHolder(`${reused}${randomUUID()}`)).toBe(true);
    expect(isDeadLocalHolder(randomUUID())).toBe(false);
    expect(isDeadLocalHolder('local-1-1-00000000-00000000-x')).toBe(false); // another host
  });
});
