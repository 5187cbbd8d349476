import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import { type LocalSystem, startLocalSystem } from '../../../local/system.js';
import { silentLogger } from '../../helpers/runtime.js';

// XSOAR's Test button fails a Fetch Limit above 200 ("Fetching Incidents": "If you enter a larger
// number … the Test button will fail"). `ferry test` applies the same rule when the instance's sink is
// XSOAR, and only notes it for the other sinks.

const ROOT = resolve(import.meta.dirname, '../../..');
const API_KEY = 'fetch-limit-demo-key';

let dir: string;
let configPath: string;
let dataDir: string;
let source: DemoSource;
let system: LocalSystem;

const ferry = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ferry.js'), ...args, '--config', configPath, '--data-dir', dataDir],
      {
        cwd: ROOT,
        env: { ...process.env, DEMO_KEY: API_KEY, XSOAR_KEY: 'unused', NO_COLOR: '1', NODE_NO_WARNINGS: '1' },
        timeout: 110_000,
      },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

const xsoarSink = { type: 'xsoar', url: 'https://xsoar.example.com', apiKey: { env: 'XSOAR_KEY' } };
const instance = (maxFetch: number, sink?: Record<string, unknown>) => ({
  connector: 'helloworld',
  params: { url: source.url, first_fetch: '1 hour', max_fetch: maxFetch },
  secrets: { apiKey: { env: 'DEMO_KEY' } },
  ...(sink ? { sink } : {}),
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-fetch-limit-'));
  dataDir = join(dir, 'data');
  configPath = join(dir, 'ferry.config.json');
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  await writeFile(
    configPath,
    JSON.stringify({
      sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
      instances: {
        'xsoar-500': instance(500, xsoarSink),
        'xsoar-200': instance(200, xsoarSink),
        'ferry-500': instance(500),
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
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await source?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ferry test and max_fetch', { timeout: 120_000 }, () => {
  it('exits 1 with the reason and the fix for max_fetch 500 into XSOAR', async () => {
    const result = await ferry('test', 'xsoar-500');

    expect(result.code).toBe(1);
    expect(result.stdout).toContain("params.max_fetch is 500, above XSOAR's Fetch Limit of 200");
    expect(result.stdout).toContain('Set "max_fetch" to 200 or less');
  });

  it('exits 0 for max_fetch 200 into XSOAR', async () => {
    const result = await ferry('test', 'xsoar-200');

    expect(result).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  it('passes max_fetch 500 with another sink, with a note', async () => {
    const result = await ferry('test', 'ferry-500');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^ok\nnote: params.max_fetch is 500, above XSOAR's recommended Fetch Limit of 200; allowed, since this instance's sink is "ferry"/,
    );
  });
});
