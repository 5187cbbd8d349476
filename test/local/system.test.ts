import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { type LocalSystem, startLocalSystem } from '../../local/system.js';
import type { RunOutcome } from '../../shared/runner/run-fetch.js';
import { storedIds } from '../helpers/ingest.js';
import { silentLogger } from '../helpers/runtime.js';

const API_KEY = 'e2e-demo-key';
const INSTANCE = 'e2e';

let dir: string;
let source: DemoSource;
let system: LocalSystem | undefined;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-e2e-'));
  // The alert source outlives both runs of the system, so alerts created while it is down are real
  // alerts a resumed fetch must still deliver.
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 4 });
  process.env.E2E_DEMO_KEY = API_KEY;
});

afterAll(async () => {
  await system?.stop();
  await source?.close();
  process.env = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

const writeConfig = async (): Promise<string> => {
  const path = join(dir, 'ferry.config.json');
  await writeFile(
    path,
    JSON.stringify({
      sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
      instances: {
        [INSTANCE]: {
          connector: 'helloworld',
          fetchInterval: '1 second',
          // Alerts are stamped a moment before they are visible: the look-back catches them.
          params: { url: source.url, first_fetch: '1 minute', look_back: 1 },
          secrets: { apiKey: { env: 'E2E_DEMO_KEY' } },
        },
      },
    }),
  );
  return path;
};

const start = async (configPath: string, outcomes: RunOutcome[]) =>
  startLocalSystem({
    configPath,
    dataDir: join(dir, 'data'),
    ingestPort: 0,
    demoSource: false,
    logger: silentLogger,
    dynamoStartTimeoutMs: 60_000,
    onFetch: (outcome) => outcomes.push(outcome),
  });

const allAlertIds = () =>
  source.store
    .query({ since: 0, until: Number.MAX_SAFE_INTEGER, limit: Number.POSITIVE_INFINITY })
    .map((a) => a.id);

const okFetches = (outcomes: RunOutcome[]) => outcomes.filter((outcome) => outcome.status === 'ok');

describe('the local system (ferry start)', () => {
  // Two DynamoDB Local starts (the second reopening the persisted data) dominate: ~15 s on an idle
  // machine; the generous limits are for two cores shared with other suites.
  it('delivers incidents, and after a restart resumes from the last run with no gap and no duplicate', {
    timeout: 240_000,
  }, async () => {
    const configPath = await writeConfig();
    const before: RunOutcome[] = [];
    const after: RunOutcome[] = [];

    // First run: incidents arrive at the endpoint.
    system = await start(configPath, before);
    await vi.waitFor(
      async () => {
        expect(okFetches(before).some((outcome) => outcome.pushed > 0)).toBe(true);
        expect((await storedIds(system!.incidents, INSTANCE)).length).toBeGreaterThan(0);
      },
      { timeout: 90_000, interval: 200 },
    );
    await system.stop();
    system = undefined;
    const lastCursor = okFetches(before).at(-1)?.lastRunAfter?.time;

    // Second run on the same data directory. The source kept generating while the system was down
    // (and while it restarted); then it stops, so "everything" is a fixed set.
    system = await start(configPath, after);
    source.setRate(0);
    const generated = allAlertIds().sort();
    await vi.waitFor(async () => expect(await storedIds(system!.incidents, INSTANCE)).toEqual(generated), {
      timeout: 90_000,
      interval: 250,
    });
    await system.stop();
    system = undefined;

    expect(lastCursor).toEqual(expect.any(String));
    expect(okFetches(after)[0]?.lastRunBefore?.time).toBe(lastCursor);
    expect([...before, ...after].filter((outcome) => outcome.status !== 'ok')).toEqual([]);
    // Every alert was pushed exactly once across both runs: no duplicate reached the endpoint.
    const pushed = [...before, ...after].reduce((sum, outcome) => sum + outcome.pushed, 0);
    expect(pushed).toBe(generated.length);
    expect(generated.length).toBeGreaterThan(
      okFetches(before).reduce((sum, outcome) => sum + outcome.pushed, 0),
    );
  });
});
