import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '../../local/system.js';
import type { Incident } from '../../shared/incident.js';
import { storedIds } from '../helpers/ingest.js';
import { silentLogger } from '../helpers/runtime.js';
import {
  AWS_SPLUNK_EXAMPLES,
  guardDutyExampleSource,
  loadAwsSplunkExample,
  securityHubExampleSource,
  splunkExampleSource,
} from '../helpers/vendors/aws-splunk-examples.js';

/**
 * The shipped Security Hub, GuardDuty and Splunk examples, verbatim but for where their source is,
 * run by the local system as a user would: the Test button (`ferry test`), a debug fetch
 * (`ferry fetch --debug`) through the real CLI attached to the running system, and a live fetch that
 * reaches the ingestion endpoint.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const MINUTE = 60_000;
const INGEST_TOKEN = 'examples-ingest-token';
const saved = { ingest: process.env.FERRY_INGEST_TOKEN, splunk: process.env.FERRY_EXAMPLE_SPLUNK_TOKEN };

let dir: string;
let configPath: string;
let dataDir: string;
let system: LocalSystem;
let sources: Awaited<ReturnType<typeof startSources>>;
const expected: Record<string, string[]> = {};

const startSources = async () => ({
  securityhub: await securityHubExampleSource(),
  guardduty: await guardDutyExampleSource(),
  splunk: await splunkExampleSource(),
});

/** `ferry <args>` as a separate process, attached to the running system through its data directory. */
const ferry = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ferry.js'), ...args, '--config', configPath, '--data-dir', dataDir],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', NODE_NO_WARNINGS: '1' }, timeout: 110_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

beforeAll(async () => {
  sources = await startSources();
  const now = Date.now();
  // What each example keeps, and something it filters out.
  expected.securityhub = [
    sources.securityhub.aws.securityHub.add({
      CreatedAt: new Date(now - 20 * MINUTE).toISOString(),
      Severity: { Label: 'HIGH', Normalized: 70 },
    }).Id,
    sources.securityhub.aws.securityHub.add({
      CreatedAt: new Date(now - 10 * MINUTE).toISOString(),
      Severity: { Label: 'CRITICAL', Normalized: 90 },
    }).Id,
  ];
  sources.securityhub.aws.securityHub.add({
    CreatedAt: new Date(now - 15 * MINUTE).toISOString(),
    Severity: { Label: 'LOW', Normalized: 1 },
  });
  expected.guardduty = [
    sources.guardduty.aws.guardDuty.add({
      updatedAt: new Date(now - 12 * MINUTE).toISOString(),
      severity: 7.5,
    }).id,
  ];
  sources.guardduty.aws.guardDuty.add({ updatedAt: new Date(now - 11 * MINUTE).toISOString(), severity: 2 });
  expected.splunk = [
    sources.splunk.server.add(now - 30 * MINUTE).event_id,
    sources.splunk.server.add(now - 5 * MINUTE).event_id,
  ];

  process.env.FERRY_INGEST_TOKEN = INGEST_TOKEN;
  process.env.FERRY_EXAMPLE_SPLUNK_TOKEN = sources.splunk.secrets.token;
  dir = await mkdtemp(join(tmpdir(), 'ferry-examples-'));
  dataDir = join(dir, 'data');
  configPath = join(dir, 'ferry.config.json');
  const instance = (
    name: keyof typeof AWS_SPLUNK_EXAMPLES,
    params: Record<string, unknown>,
    secrets = {},
  ) => {
    const example = loadAwsSplunkExample(AWS_SPLUNK_EXAMPLES[name]);
    return { ...example, fetchInterval: '1 minute', params: { ...example.params, ...params }, secrets };
  };
  await writeFile(
    configPath,
    JSON.stringify({
      sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
      instances: {
        securityhub: instance('securityhub', {
          endpoint_url: sources.securityhub.params.endpoint_url,
          region: 'us-east-1',
        }),
        guardduty: instance('guardduty', {
          endpoint_url: sources.guardduty.params.endpoint_url,
          region: 'us-east-1',
        }),
        splunk: instance(
          'splunk',
          { url: sources.splunk.params.url, poll_interval_seconds: 0.05 },
          { token: { env: 'FERRY_EXAMPLE_SPLUNK_TOKEN' } },
        ),
      },
    }),
  );
  system = await startLocalSystem({
    configPath,
    dataDir,
    ingestPort: 0,
    demoSource: false,
    schedule: false,
    logger: silentLogger,
    dynamoStartTimeoutMs: 90_000,
  });
}, 150_000);

afterAll(async () => {
  await system?.stop();
  for (const source of Object.values(sources ?? {})) await source.close();
  process.env.FERRY_INGEST_TOKEN = saved.ingest;
  if (saved.splunk === undefined) delete process.env.FERRY_EXAMPLE_SPLUNK_TOKEN;
  else process.env.FERRY_EXAMPLE_SPLUNK_TOKEN = saved.splunk;
  await rm(dir, { recursive: true, force: true });
});

describe.each(['securityhub', 'guardduty', 'splunk'] as const)(
  'the %s example',
  { timeout: 120_000 },
  (name) => {
    it('passes `ferry test`', async () => {
      const result = await ferry('test', name);

      expect(result.stdout.trim()).toBe('ok');
      expect(result.code).toBe(0);
    });

    it('prints the incidents of `ferry fetch --debug` and pushes nothing', async () => {
      const result = await ferry('fetch', name, '--debug');

      expect(result.code, result.stderr).toBe(0);
      const incidents = JSON.parse(result.stdout) as Incident[];
      expect(incidents.map((incident) => incident.dbotMirrorId).sort()).toEqual([...expected[name]!].sort());
      expect(await storedIds(system.incidents, name)).toEqual([]);
    });

    it('delivers each kept event once in a live fetch, and nothing more in the next', async () => {
      const first = await system.invoke(name, 'fetch');
      const second = await system.invoke(name, 'fetch');

      expect(first).toMatchObject({ status: 'ok', pushed: expected[name]!.length });
      expect(second).toMatchObject({ status: 'ok', pushed: 0 });
      expect(await storedIds(system.incidents, name)).toEqual([...expected[name]!].sort());
    });
  },
);
