import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../functions/connectors.js';
import { parseConfig } from '../../shared/config/instance-documents.js';
import { loadConfigFile } from '../../shared/config/load-config-file.js';
import { ConfigError } from '../../shared/errors.js';
import { runConnectorTest } from '../../shared/handler/run-connector-test.js';
import { MemoryStateStore } from '../../shared/kit/memory-state-store.js';
import { silentLogger } from '../helpers/runtime.js';
import { hostileRecorder } from '../reliability/hostile-inputs.js';

const hostile = hostileRecorder('Configuration');

/** Records a refusal as measured: the field it names and whether anything secret was echoed. */
const recordRefusal = (input: string, error: ConfigError | undefined, field?: string) => {
  const echoed = error ? [LITERAL, 'sk-', 'admin:'].filter((text) => error.message.includes(text)) : [];
  hostile.record({
    input,
    expected: `refused${field ? ` naming ${field}` : ''}, nothing secret echoed`,
    measured: error
      ? `${error.code}${error.field ? ` (${error.field})` : ''}; echoed: ${echoed.length === 0 ? 'nothing' : echoed.join(', ')}`
      : 'accepted',
    passed:
      error !== undefined && echoed.length === 0 && (field === undefined || error.message.includes(field)),
  });
};

const LITERAL = 'sk-literal-secret-9f8e7d';
const good = {
  connector: 'helloworld',
  params: { url: 'https://alerts.example.com' },
  secrets: { apiKey: { env: 'HELLO_KEY' } },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-hostile-config-'));
});
afterAll(async () => {
  hostile.write();
  await rm(dir, { recursive: true, force: true });
});

const writeConfig = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};

const thrown = (act: () => unknown): ConfigError => {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

const instanceError = (instance: Record<string, unknown>) => {
  const { errors } = parseConfig({ instances: { bad: instance } }, 'ferry.config.json', { connectors });
  expect(errors).toHaveLength(1);
  return errors[0]!;
};

describe('secret-bearing config fields take references only, and a literal is never echoed', () => {
  it.each([
    ['sink.apiKey', { type: 'xsoar', url: 'https://xsoar.example.com', apiKey: LITERAL }],
    ['sink.apiKeyId', { type: 'xsoar', url: 'https://xsoar.example.com', apiKeyId: LITERAL }],
    [
      'sink.credentials.password',
      {
        type: 'xsoar',
        mode: 'webhook',
        url: 'https://x.example.com',
        credentials: { username: { env: 'U' }, password: LITERAL },
      },
    ],
    [
      'sink.credentials.username',
      {
        type: 'xsoar',
        mode: 'webhook',
        url: 'https://x.example.com',
        credentials: { username: LITERAL, password: { env: 'P' } },
      },
    ],
    ['sink.token', { type: 'ferry', token: LITERAL }],
  ])('%s: refused with the field named', (field, sink) => {
    const error = thrown(() => parseConfig({ sink, instances: {} }));

    expect(error.message).toContain(field);
    recordRefusal(`a literal secret in ${field}`, error, field);
    expect(error.message).toContain('must be a reference');
    expect(error.message).not.toContain(LITERAL);
  });

  it('a secret of an instance given as a literal is refused without echo', () => {
    const error = instanceError({ ...good, secrets: { apiKey: LITERAL } });

    recordRefusal('a literal secret in secrets.apiKey', error, 'secrets.apiKey');
    expect(error.message).toContain('secrets.apiKey');
    expect(error.message).not.toContain(LITERAL);
  });

  it.each([
    ['a source URL', { ...good, params: { url: `https://admin:${LITERAL}@alerts.example.com` } }],
    ['a sink URL', { ...good, sink: { type: 'ferry', url: `https://admin:${LITERAL}@ingest.example.com` } }],
  ])('%s with user:password@ is refused and not echoed', (what, instance) => {
    const error = instanceError(instance);

    recordRefusal(`${what} with user:password@`, error);
    expect(error.message).toContain('user name or password');
    expect(error.message).not.toContain(LITERAL);
    expect(error.message).not.toContain('admin:');
  });
});

describe('config text is never echoed in a syntax error', () => {
  it.each([
    ['an unquoted value', `{\n  "sink": {"type": "ferry", "token": ${LITERAL}}\n}`, 'line 2'],
    ['a trailing comma', `{"sink": {"type": "ferry", "url": "http://127.0.0.1/${LITERAL}",}}`, 'line 1'],
    ['an unterminated string', `{"instances": {"a": "${LITERAL}`, 'line 1'],
  ])('%s: says where, not what is around it', async (what, text, where) => {
    const path = await writeConfig('syntax.json', text);

    const error = await loadConfigFile(path).then(
      () => undefined,
      (e: unknown) => e as ConfigError,
    );

    recordRefusal(`a JSON syntax error (${what}) next to a secret`, error);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('is not valid JSON');
    expect(error!.message).toContain(where);
    expect(error!.message).not.toContain(LITERAL);
    expect(error!.message).not.toContain('sk-');
    expect((error as Error).cause).toBeUndefined();
  });

  it('a file that starts with a UTF-8 byte order mark is read', async () => {
    const path = await writeConfig('bom.json', `\uFEFF${JSON.stringify({ instances: { demo: good } })}`);

    const config = await loadConfigFile(path, { connectors });

    hostile.record({
      input: 'a config file starting with a UTF-8 byte order mark',
      expected: 'read as if it had none',
      measured: `${config.instances.length} instance(s) read`,
      passed: config.instances.length === 1,
    });
    expect(config.instances.map((instance) => instance.id)).toEqual(['demo']);
  });

  it('an instance id written twice is refused, not silently the last one', async () => {
    const path = await writeConfig(
      'duplicate.json',
      `{"instances": {"demo": ${JSON.stringify(good)}, "demo": ${JSON.stringify({ ...good, enabled: false })}}}`,
    );

    const error = await loadConfigFile(path, { connectors }).then(
      () => undefined,
      (e: unknown) => e as ConfigError,
    );

    recordRefusal('an instance id written twice', error, 'instances.demo');
    expect(error?.message).toMatch(/"instances\.demo" is written twice/);
  });
});

describe('durations and dates are bounded', () => {
  it.each([
    [
      'first_fetch "999999999 days"',
      { ...good, params: { ...good.params, first_fetch: '999999999 days' } },
      'params.first_fetch',
      /at most "365 days"/,
    ],
    [
      'fetchInterval "0 seconds"',
      { ...good, fetchInterval: '0 seconds' },
      'fetchInterval',
      /at least "1 second"/,
    ],
    ['fetchInterval "500ms"', { ...good, fetchInterval: '500ms' }, 'fetchInterval', /at least "1 second"/],
    [
      'lag "999999 days"',
      { ...good, params: { ...good.params, lag: '999999 days' } },
      'params.lag',
      /at most "1 day"/,
    ],
  ])('%s is refused', (what, instance, field, reason) => {
    const error = instanceError(instance);

    recordRefusal(what, error, field);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(reason);
  });

  it('a first_fetch in the future is refused with the date it names', () => {
    const future = new Date(Date.now() + 30 * 86_400_000).toISOString();

    const error = instanceError({ ...good, params: { ...good.params, first_fetch: future } });

    expect(error.field).toBe('params.first_fetch');
    recordRefusal('an ISO first_fetch 30 days in the future', error, 'params.first_fetch');
    expect(error.message).toContain(`in the future (${future})`);
  });
});

describe('URLs are http(s) only', () => {
  it.each([
    ['helloworld', { connector: 'helloworld', params: { url: 'file:///etc/passwd' } }],
    ['httpjson', { connector: 'httpjson', params: { url: 'file:///etc/passwd' } }],
    ['alertmanager', { connector: 'alertmanager', params: { url: 'gopher://127.0.0.1:70/' } }],
  ])('%s refuses a non-http source URL', (connector, instance) => {
    const error = instanceError(instance);

    recordRefusal(
      `${connector} with a ${String(instance.params.url).split(':')[0]}: source URL`,
      error,
      'params.url',
    );
    expect(error.field).toBe('params.url');
    expect(error.message).toContain('http(s)');
  });

  it('an ftp:// sink URL is refused when the config is read (so `ferry test` fails)', () => {
    const error = instanceError({ ...good, sink: { type: 'ferry', url: 'ftp://ingest.example.com' } });

    recordRefusal('an ftp:// sink URL', error, 'sink.url');
    expect(error.message).toMatch(/sink\.url .*http\(s\)/);
  });

  it('`ferry test` fails a sink that would send the token in clear text to a remote host', async () => {
    const { instances } = parseConfig(
      {
        instances: {
          plain: {
            ...good,
            params: { url: 'http://127.0.0.1:1' },
            sink: { type: 'ferry', url: 'http://ingest.example.com' },
          },
        },
      },
      'ferry.config.json',
      { connectors },
    );

    const outcome = await runConnectorTest({
      document: instances[0]!,
      connector: connectors.helloworld!,
      resolveSecrets: async () => ({}),
      store: new MemoryStateStore(),
      logger: silentLogger,
    });

    hostile.record({
      input: '`ferry test` with a plain http:// sink URL to a remote host',
      expected: 'the test fails, naming the TLS rule',
      measured: outcome.ok ? 'ok' : (outcome.error?.code ?? 'failed'),
      passed: !outcome.ok && (outcome.error?.message ?? '').includes('plain http://'),
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain('plain http:// to a remote host');
  });
});
