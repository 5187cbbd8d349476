import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './servers.js';
import { stopChild } from './stop-child.js';

/** Where Debian's `prometheus-alertmanager` package puts the server. */
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

/**
 * Skip the Alertmanager tests only on a developer machine without the package; under `CI=true` they
 * run and fail with the install command instead.
 */
export const skipWithoutAlertmanager = !existsSync(ALERTMANAGER_BIN) && process.env.CI !== 'true';

/** An alert as `POST /api/v2/alerts` takes it (`postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

/** A real Alertmanager on 127.0.0.1, a direct child of the test process. */
export interface AlertmanagerServer {
  readonly url: string;
  post(alerts: PostableAlert[]): Promise<void>;
  /** Resolves alerts: re-posts their labels with `endsAt` = now, so they leave `GET /api/v2/alerts`. */
  resolve(labels: Record<string, string>[]): Promise<void>;
  /** Waits until `GET /api/v2/alerts?filter=...` lists `count` active alerts (routing takes a moment). */
  waitForActive(filter: string[], count: number): Promise<void>;
  stop(): Promise<void>;
}

// Alerts go to a receiver with no integrations: nothing leaves the machine.
const CONFIG = `route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: "null"
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const launch = async (dir: string) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Empty: no cluster listener (it would otherwise bind 0.0.0.0:9094).
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // A test process that dies without its teardown still takes the server with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, sleep(50).then(() => undefined)]);
    if (failed) throw new Error(`Could not start ${ALERTMANAGER_BIN}: ${failed.message}`);
    if (child.exitCode !== null) return { child, url, exited: output };
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, url, exited: undefined };
  }
  await stopChild(child);
  throw new Error(`Alertmanager did not become ready on ${url} within 15 s. Its output:\n${output}`);
};

/**
 * Starts Alertmanager on a free port with a temporary config and storage directory, and waits for
 * `/-/ready`. Call `stop()` in `afterAll`: it stops the process and removes the directory.
 */
export const startAlertmanager = async (): Promise<AlertmanagerServer> => {
  if (!existsSync(ALERTMANAGER_BIN)) {
    throw new Error(
      `${ALERTMANAGER_BIN} is missing. Install it: apt-get install -y prometheus-alertmanager (.ci/run does).`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'ferry-alertmanager-'));
  await writeFile(join(dir, 'alertmanager.yml'), CONFIG);
  let started: Awaited<ReturnType<typeof launch>>;
  try {
    // The port was free a moment ago; another process may take it first: try again with another.
    for (let attempt = 1; ; attempt++) {
      started = await launch(dir);
      if (started.exited === undefined) break;
      if (attempt === 3) throw new Error(`Alertmanager exited at start. Its output:\n${started.exited}`);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const { child, url } = started;

  const post = async (alerts: PostableAlert[]) => {
    const response = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    if (!response.ok)
      throw new Error(`POST /api/v2/alerts answered ${response.status}: ${await response.text()}`);
  };

  return {
    url,
    post,
    resolve: (labels) => post(labels.map((set) => ({ labels: set, endsAt: new Date().toISOString() }))),
    async waitForActive(filter, count) {
      const query = new URLSearchParams({ silenced: 'false', inhibited: 'false', unprocessed: 'false' });
      for (const matcher of filter) query.append('filter', matcher);
      const deadline = Date.now() + 5_000;
      for (;;) {
        const listed = (await (await fetch(`${url}/api/v2/alerts?${query}`)).json()) as unknown[];
        if (listed.length === count) return;
        if (Date.now() > deadline)
          throw new Error(`Alertmanager lists ${listed.length} active alerts for ${filter}, not ${count}.`);
        await sleep(20);
      }
    },
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
};
