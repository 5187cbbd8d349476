import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.js';
import { stopChild } from '../helpers/stop-child.js';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * No environment set: only what a shell needs to find node and npm. Nothing of Ferry's (no
 * FERRY_INGEST_TOKEN, no DEMO_API_KEY, no AWS_REGION), as a new user runs it after `npm install`.
 */
const bareEnvironment = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? tmpdir(),
  NO_COLOR: '1',
};

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let configPath: string;
let dataDir: string;
let start: ChildProcess;
let startOutput = '';
let dashboardUrl: string;

/** Runs `ferry <args>` in a separate process, the real bin script, with the bare environment. */
const ferry = (...args: string[]): Promise<CliResult> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ferry.js'), ...args, '--config', configPath, '--data-dir', dataDir],
      { cwd: ROOT, env: bareEnvironment, timeout: 110_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-start-'));
  dataDir = join(dir, 'data');
  configPath = join(dir, 'ferry.config.json');
  const [ingestPort, demoPort, dashboardPort] = [await freePort(), await freePort(), await freePort()];
  // The shipped config, on free ports (other suites run beside this one) and fetching hourly: the
  // scheduled fetch at start is waited for, so the commands below are never skipped behind its lease.
  const shipped = JSON.parse(await readFile(join(ROOT, 'ferry.config.json'), 'utf8'));
  shipped.$schema = undefined;
  shipped.instances.demo.fetchInterval = '1 hour';
  shipped.instances.demo.params.url = `http://127.0.0.1:${demoPort}`;
  await writeFile(configPath, JSON.stringify(shipped, null, 2));

  // `npm start`, a real child process; its own process group, so that stopping it stops npm's children.
  start = spawn(
    'npm',
    [
      'start',
      '--',
      ...['--config', configPath, '--data-dir', dataDir],
      ...['--ingest-port', String(ingestPort), '--demo-port', String(demoPort)],
      ...['--dashboard-port', String(dashboardPort)],
    ],
    { cwd: ROOT, env: bareEnvironment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  start.stdout?.on('data', (chunk: Buffer) => {
    startOutput += chunk.toString();
  });
  start.stderr?.on('data', (chunk: Buffer) => {
    startOutput += chunk.toString();
  });
  await new Promise<void>((ready, failed) => {
    const check = setInterval(() => {
      // Up, and its first scheduled fetch done (one line per fetch).
      if (startOutput.includes('Ctrl-C stops') && /\sdemo\s+ok\s/.test(startOutput)) {
        clearInterval(check);
        ready();
      }
    }, 200);
    start.once('exit', (code) => {
      clearInterval(check);
      failed(new Error(`npm start exited with ${code}:\n${startOutput}`));
    });
  });
  dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
}, 150_000);

afterAll(async () => {
  if (start?.pid && start.exitCode === null) {
    const exited = new Promise<void>((resolve) => start.once('exit', () => resolve()));
    process.kill(-start.pid, 'SIGTERM');
    const timer = setTimeout(() => start.pid && process.kill(-start.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  } else if (start) {
    await stopChild(start);
  }
  await rm(dir, { recursive: true, force: true });
}, 30_000);

// Every command is a fresh process; seconds each on a busy machine.
describe('every ferry command against a running `npm start`, with no environment set', {
  timeout: 120_000,
}, () => {
  it('`npm start` printed its URLs and the dashboard answers', async () => {
    expect(startOutput).toContain(`dashboard           ${dashboardUrl}`);
    expect((await fetch(dashboardUrl)).status).toBe(200);
  });

  it('`test demo` succeeds', async () => {
    expect(await ferry('test', 'demo')).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  it('`fetch demo --debug` prints the incidents, needs no sink token and records nothing', async () => {
    const historyBefore = JSON.parse((await ferry('history', 'demo', '--json')).stdout) as unknown[];

    const result = await ferry('fetch', 'demo', '--debug');

    expect(result.stderr).toMatch(/^\d+ incidents; nothing pushed, nothing committed \(debug\)\.\n$/);
    expect(result.code).toBe(0);
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
    expect(JSON.parse((await ferry('history', 'demo', '--json')).stdout)).toHaveLength(historyBefore.length);
  });

  it('`fetch demo` pushes with the local sink token, and `history` shows it', async () => {
    const fetched = await ferry('fetch', 'demo');
    const history = await ferry('history', 'demo', '--limit', '5');

    expect(fetched.stderr).toBe('');
    expect(fetched).toMatchObject({ code: 0 });
    expect(fetched.stdout).toMatch(/^ok: pulled \d+, pushed \d+, dropped \d+ in \d+ms\n$/);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/\n\S+ \S+Z\s+ok\s+\d+ms/);
  });

  it('`status` succeeds and lists demo', async () => {
    const result = await ferry('status');

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\ndemo\s+helloworld\s+(healthy|pending)/);
  });

  it('`last-run demo` shows the cursor; `--set` with a good one changes it', async () => {
    const shown = await ferry('last-run', 'demo');
    const time = new Date(Date.now() - 5 * 60_000).toISOString();
    const set = await ferry('last-run', 'demo', '--set', JSON.stringify({ time }));

    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ time: expect.any(String) });
    expect(set).toMatchObject({ code: 0, stdout: `last run set by an operator: {"time":"${time}"}\n` });
  });

  it('`last-run demo --set` with a time that is not a date exits 1 and changes nothing', async () => {
    const before = await ferry('last-run', 'demo');
    const historyBefore = (await ferry('history', 'demo', '--json')).stdout;

    const result = await ferry('last-run', 'demo', '--set', '{"time":"not a date"}');

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Instance "demo": this last run was not set, nothing changed. "time" must be an ISO-8601 date such as "2026-01-01T00:00:00Z" (got "not a date").\n',
    );
    expect((await ferry('last-run', 'demo')).stdout).toBe(before.stdout);
    expect((await ferry('history', 'demo', '--json')).stdout).toBe(historyBefore);
    expect(await ferry('fetch', 'demo')).toMatchObject({ code: 0 });
  });

  it('`replay demo` fetches a past window again into the sink', async () => {
    const result = await ferry('replay', 'demo', '--from', '10 minutes', '--to', '1 minute');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^done: replay \S+ pulled \d+, pushed \d+, dropped \d+ in \d+ fetches/);
  });

  it('`--help` prints the usage', async () => {
    const result = await ferry('--help');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: ferry <command> \[options\]/);
  });
});
