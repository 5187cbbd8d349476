import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { createFileInstanceSource, loadConfigFile } from '../../../shared/config/load-config-file.js';
import { ConfigError } from '../../../shared/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const instance = (params: Record<string, unknown> = {}) => ({
  connector: 'helloworld',
  params: { url: 'http://127.0.0.1:8788', ...params },
  secrets: { apiKey: { env: 'DEMO_API_KEY' } },
});

const writeConfig = async (name: string, instances: Record<string, unknown>, mtime?: Date) => {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ instances }));
  if (mtime) await utimes(path, mtime, mtime);
  return path;
};

describe('loadConfigFile', () => {
  it('says which file it cannot read and how to point at another', async () => {
    const error = await loadConfigFile(join(dir, 'missing.json')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^Cannot read the config file .*missing\.json: .*Pass --config <file>/,
    );
  });

  it('says where the JSON is broken', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"instances": {');

    await expect(loadConfigFile(path)).rejects.toThrow(/broken\.json is not valid JSON: /);
  });
});

describe('createFileInstanceSource', () => {
  it('lists the known instances when asked for an unknown one', async () => {
    const path = await writeConfig('two.json', { alpha: instance(), beta: instance() });
    const source = createFileInstanceSource(path, { connectors: { helloworld } });

    const error = await source.getInstance('gamma').catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'CONFIG_INVALID', instanceId: 'gamma', field: 'id' });
    expect((error as Error).message).toBe(
      `Instance "gamma" is not in ${path}. Known instances: alpha, beta.`,
    );
  });

  it("answers a bad instance with that instance's own error and still serves the good ones", async () => {
    const path = await writeConfig('mixed.json', { good: instance(), bad: instance({ max_fetch: 0 }) });
    const source = createFileInstanceSource(path, { connectors: { helloworld } });

    await expect(source.getInstance('bad')).rejects.toThrow(/params\.max_fetch must be at least 1/);
    await expect(source.getInstance('good')).resolves.toMatchObject({ id: 'good' });
  });

  it('reads the file again once it changed, so an edit applies to the next fetch', async () => {
    const path = await writeConfig('edit.json', { demo: instance({ max_fetch: 10 }) }, new Date(1_000_000));
    const source = createFileInstanceSource(path);
    expect((await source.getInstance('demo')).params.max_fetch).toBe(10);

    await writeConfig('edit.json', { demo: instance({ max_fetch: 20 }) }, new Date(2_000_000));

    expect((await source.getInstance('demo')).params.max_fetch).toBe(20);
  });
});
