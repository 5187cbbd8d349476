import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { type LocalSystem, startLocalSystem } from '../../local/system.js';
import { storedIds } from '../helpers/ingest.js';
import { silentLogger } from '../helpers/runtime.js';

const ROOT = resolve(import.meta.dirname, '../..');
const API_KEY = 'cli-demo-key';
const INGEST_TOKEN = 'cli-ingest-token';
const MINUTE = 60_000;

let dir: string;
let configPath: string;
let dataDir: string;
let source: DemoSource;
const savedToken = process.env.FERRY_INGEST_TOKEN;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ferry <args>` as a user would: a separate process, the real bin script. */
const ferry = (...args: string[]): Promise<CliResult> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ferry.js'), ...args, '--config', configPath, '--data-dir', dataDir],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          CLI_DEMO_KEY: API_KEY,
          CLI_WRONG_KEY: 'not-the-key',
          CLI_XSOAR_KEY: 'unused-xsoar-key',
          FERRY_INGEST_TOKEN: INGEST_TOKEN,
          NO_COLOR: '1',
          NODE_NO_WARNINGS: '1',
        },
        timeout: 110_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });

const instance = (params: Record<string, unknown> = {}, apiKeyVariable = 'CLI_DEMO_KEY') => ({
  connector: 'helloworld',
  params: { url: source.url, first_fetch: '1 hour', ...params },
  secrets: { apiKey: { env: apiKeyVariable } },
});

const xsoarSink = { type: 'xsoar', url: 'https://xsoar.example.com', apiKey: { env: 'CLI_XSOAR_KEY' } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-cli-'));
  dataDir = join(dir, 'data');
  configPath = join(dir, 'ferry.config.json');
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
  for (const minutesAgo of [30, 20, 10]) source.add({ created: Date.now() - minutesAgo * MINUTE });
  await writeFile(
    configPath,
    JSON.stringify({
      sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
      instances: {
        embedded: instance(),
        demo: instance(),
        debugged: instance(),
        operated: instance(),
        'wrong-key': instance({}, 'CLI_WRONG_KEY'),
        misconfigured: instance({ max_fetch: 0 }),
        'xsoar-500': { ...instance({ max_fetch: 500 }), sink: xsoarSink },
        'xsoar-200': { ...instance({ max_fetch: 200 }), sink: xsoarSink },
        'ferry-500': instance({ max_fetch: 500 }),
      },
    }),
  );
});

afterAll(async () => {
  process.env.FERRY_INGEST_TOKEN = savedToken;
  await source?.close();
  await rm(dir, { recursive: true, force: true });
});

// Every command is a fresh process compiling the CLI through tsx: seconds each on a busy machine.
describe('ferry CLI', { timeout: 120_000 }, () => {
  it('refuses an unknown instance at once, listing the known ones', async () => {
    const result = await ferry('history', 'demoo');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Instance "demoo" is not in ${configPath}. Known instances: embedded, demo, debugged, operated, wrong-key, misconfigured, xsoar-500, xsoar-200, ferry-500.`,
    );
  });

  // The command starts its own DynamoDB Local: slow, and slower on a busy machine.
  it('fetches without a running system, on an embedded DynamoDB that keeps the last run in the data dir', async () => {
    const result = await ferry('fetch', 'embedded');

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok: pulled 3, pushed 3, dropped 0 in \d+ms\n$/);
  });
});

describe('ferry CLI attached to a running system', { timeout: 120_000 }, () => {
  let system: LocalSystem;

  beforeAll(async () => {
    // `ferry start` on the same data dir: commands now use its DynamoDB and ingestion endpoint.
    process.env.FERRY_INGEST_TOKEN = INGEST_TOKEN;
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
  });

  it('sees what the embedded run committed', async () => {
    expect((await system.store.read('embedded'))?.lastRun).toMatchObject({ time: expect.any(String) });
    expect(await storedIds(system.incidents, 'embedded')).toHaveLength(3);
  });

  it('`test` prints ok and exits 0 for a working instance', async () => {
    const result = await ferry('test', 'demo');

    expect(result).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  // XSOAR's Test button fails a Fetch Limit above 200 ("Fetching Incidents": "If you enter a larger
  // number … the Test button will fail"); `ferry test` keeps the rule where the sink is XSOAR.
  it('`test` exits 1 for max_fetch 500 into XSOAR, with the reason and the fix; 0 for 200', async () => {
    const [over, at] = await Promise.all([ferry('test', 'xsoar-500'), ferry('test', 'xsoar-200')]);

    expect(over.code).toBe(1);
    expect(over.stdout).toContain("params.max_fetch is 500, above XSOAR's Fetch Limit of 200");
    expect(over.stdout).toContain('Set "max_fetch" to 200 or less');
    expect(at).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  it('`test` passes max_fetch 500 with another sink, with a note', async () => {
    const result = await ferry('test', 'ferry-500');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^ok\nnote: params.max_fetch is 500, above XSOAR's recommended Fetch Limit of 200; allowed, since this instance's sink is "ferry"/,
    );
  });

  it('`test` exits 1 with the error for a wrong key', async () => {
    const result = await ferry('test', 'wrong-key');

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^failed: GET http:\/\/127\.0\.0\.1:\d+\/alerts answered 401 Unauthorized: check the instance's credentials/,
    );
    expect(result.stdout).not.toContain('not-the-key');
  });

  it('a failed `fetch` prints its error once, as text (no JSON log line)', async () => {
    const result = await ferry('fetch', 'wrong-key');

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^error: pulled 0, pushed 0, dropped 0 in \d+ms\n$/);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^SOURCE_AUTH: GET http:\/\/127\.0\.0\.1:\d+\/alerts answered 401 Unauthorized/),
    ]);
  });

  it('a failed `fetch --debug` says it failed, not that nothing was new', async () => {
    const result = await ferry('fetch', 'wrong-key', '--debug');

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^debug fetch failed \(nothing pushed, nothing committed\): SOURCE_AUTH: /);
    expect(result.stderr).not.toContain('incidents; nothing pushed');
  });

  it('`test` and `fetch` exit 1 with the configuration error of a misconfigured instance', async () => {
    const [test, fetch] = await Promise.all([
      ferry('test', 'misconfigured'),
      ferry('fetch', 'misconfigured'),
    ]);

    for (const result of [test, fetch]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'Instance "misconfigured" (helloworld): params.max_fetch must be at least 1 (got 0).',
      );
    }
  });

  it('`fetch --debug` prints the incidents as JSON and pushes and commits nothing', async () => {
    const result = await ferry('fetch', 'debugged', '--debug');

    expect(result.code).toBe(0);
    const incidents = JSON.parse(result.stdout) as { name: string; dbotMirrorId: string; rawJSON: string }[];
    expect(incidents).toHaveLength(3);
    expect(incidents[0]).toMatchObject({ type: 'Demo Alert', rawJSON: expect.any(String) });
    expect(result.stderr).toContain('3 incidents; nothing pushed, nothing committed (debug).');
    expect(await storedIds(system.incidents, 'debugged')).toEqual([]);
    expect(await system.store.read('debugged')).toBeUndefined();
    expect(await system.store.listHistory('debugged')).toEqual([]);
  });

  it('`fetch` pushes and commits, and `history` shows it', async () => {
    const fetched = await ferry('fetch', 'demo');
    const [history, json] = await Promise.all([ferry('history', 'demo'), ferry('history', 'demo', '--json')]);

    expect(fetched).toMatchObject({ code: 0 });
    expect(fetched.stdout).toMatch(/^ok: pulled 3, pushed 3, dropped 0/);
    expect(await storedIds(system.incidents, 'demo')).toHaveLength(3);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^started\s+status\s+duration\s+pulled\s+dropped\s+pushed\s+message/);
    expect(history.stdout).toMatch(/\n\S+ \S+Z\s+ok\s+\d+ms\s+3\s+0\s+3\s+A-/);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ status: 'ok', pushed: 3, sourceIdCount: 3 }),
    ]);
  });

  it('`last-run --reset` and `--set` change the last run and are recorded in the history', async () => {
    const reset = await ferry('last-run', 'operated', '--reset');
    const set = await ferry('last-run', 'operated', '--set', '{"time":"2026-01-01T00:00:00.000Z"}');
    const shown = await ferry('last-run', 'operated');
    const history = JSON.parse((await ferry('history', 'operated', '--json')).stdout) as {
      action?: string;
    }[];

    expect(reset).toMatchObject({ code: 0, stdout: 'last run reset by an operator: {}\n' });
    expect(set).toMatchObject({
      code: 0,
      stdout: 'last run set by an operator: {"time":"2026-01-01T00:00:00.000Z"}\n',
    });
    expect(JSON.parse(shown.stdout)).toEqual({ time: '2026-01-01T00:00:00.000Z' });
    expect(history.map((record) => record.action)).toEqual([
      'last run set by an operator',
      'last run reset by an operator',
    ]);
  });

  it('`last-run` refuses --reset together with --set, and --set without a JSON object', async () => {
    const [both, notJson] = await Promise.all([
      ferry('last-run', 'operated', '--reset', '--set', '{}'),
      ferry('last-run', 'operated', '--set', 'yesterday'),
    ]);

    expect(both).toMatchObject({ code: 1 });
    expect(both.stderr).toContain('Use either --reset or --set <json>, not both.');
    expect(notJson).toMatchObject({ code: 1 });
    expect(notJson.stderr).toContain(`--set needs a JSON object, such as '{"time":"2026-01-01T00:00:00Z"}'`);
  });

  it('keeps `history` and `last-run --reset` working for a misconfigured instance, so it can be repaired', async () => {
    const [history, reset] = await Promise.all([
      ferry('history', 'misconfigured'),
      ferry('last-run', 'misconfigured', '--reset'),
    ]);

    expect(history).toMatchObject({ code: 0 });
    expect(reset).toMatchObject({ code: 0, stdout: 'last run reset by an operator: {}\n' });
    expect((await system.store.listHistory('misconfigured'))[0]).toMatchObject({
      connector: 'helloworld',
      status: 'operator',
    });
  });
});
