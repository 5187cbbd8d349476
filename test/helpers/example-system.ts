import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LocalSystem, startLocalSystem } from '../../local/system.js';
import { silentLogger } from './runtime.js';

/**
 * A config file of shipped examples, the local system running it (`ferry start` without the scheduler,
 * with its dashboard on a free port)
 * and the real `ferry` CLI attached to it through the data directory, as a user runs them. Secrets are
 * `{"env": ...}` references, as docs/configuration.md says for local use: the variables are set for
 * this process (the running system's live fetches) and inherited by each `ferry` process.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const INGEST_TOKEN = 'examples-ingest-token';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExampleSystem {
  readonly system: LocalSystem;
  /** `ferry <args> --config … --data-dir …` as a separate process (the bin script README documents). */
  ferry(...args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

/** Starts the local system over `instances`, with `variables` exported for the secrets' env references. */
export const startExampleSystem = async (
  instances: Record<string, unknown>,
  variables: Record<string, string>,
): Promise<ExampleSystem> => {
  const exported = { ...variables, FERRY_INGEST_TOKEN: INGEST_TOKEN };
  const saved = Object.fromEntries(Object.keys(exported).map((name) => [name, process.env[name]]));
  Object.assign(process.env, exported);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-examples-'));
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'ferry.config.json');
  await writeFile(
    configPath,
    JSON.stringify({ sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } }, instances }),
  );
  const system = await startLocalSystem({
    configPath,
    dataDir,
    ingestPort: 0,
    demoSource: false,
    schedule: false,
    dashboard: true,
    dashboardPort: 0,
    logger: silentLogger,
    dynamoStartTimeoutMs: 90_000,
  });
  return {
    system,
    ferry: (...args) =>
      new Promise((done) => {
        execFile(
          process.execPath,
          [join(ROOT, 'bin/ferry.js'), ...args, '--config', configPath, '--data-dir', dataDir],
          { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', NODE_NO_WARNINGS: '1' }, timeout: 110_000 },
          (error, stdout, stderr) =>
            done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
        );
      }),
    close: async () => {
      await system.stop();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
};
