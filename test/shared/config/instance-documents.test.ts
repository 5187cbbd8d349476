import { describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { parseConfig, parseInstanceDocument } from '../../../shared/config/instance-documents.js';
import { ConfigError } from '../../../shared/errors.js';

const connectors = { helloworld };
const NOW = new Date('2026-03-10T12:00:00.000Z');

const anInstance = (overrides: Record<string, unknown> = {}, params: Record<string, unknown> = {}) => ({
  connector: 'helloworld',
  params: { url: 'http://127.0.0.1:8788', ...params },
  secrets: { apiKey: { env: 'DEMO_API_KEY' } },
  ...overrides,
});

const aConfig = (instances: Record<string, unknown>) => ({ sink: { type: 'ferry' }, instances });

const parse = (instances: Record<string, unknown>) =>
  parseConfig(aConfig(instances), 'ferry.config.json', { connectors, now: NOW });

/** The one error of a config whose only instance is `bad`. */
const errorOf = (instance: Record<string, unknown>): ConfigError => {
  const { errors, instances } = parse({ bad: instance });
  expect(instances).toEqual([]);
  expect(errors).toHaveLength(1);
  return errors[0]!;
};

describe('parseConfig', () => {
  it('builds each instance document with the defaults of an XSOAR integration', () => {
    const { instances, errors } = parse({ demo: anInstance() });

    expect(errors).toEqual([]);
    expect(instances).toEqual([
      {
        id: 'demo',
        connector: 'helloworld',
        enabled: true,
        fetchInterval: '1 minute',
        params: { url: 'http://127.0.0.1:8788' },
        secrets: { apiKey: { env: 'DEMO_API_KEY' } },
        sink: { type: 'ferry' },
        historyRetentionDays: 30,
      },
    ]);
  });

  it('keeps the good instances when one is bad, and names the bad one', () => {
    const { instances, errors } = parse({
      first: anInstance(),
      broken: anInstance({}, { max_fetch: 5000 }),
      last: anInstance(),
    });

    expect(instances.map((instance) => instance.id)).toEqual(['first', 'last']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ instanceId: 'broken', field: 'params.max_fetch' });
  });

  it.each([
    [0, /params\.max_fetch must be at least 1 \(got 0\)/],
    [5000, /params\.max_fetch must be at most 1000 \(XSOAR recommends 200\) \(got 5000\)/],
    ['', /params\.max_fetch must be a number \(got ""\)/],
    [12.5, /params\.max_fetch must be a whole number \(got 12.5\)/],
  ])('refuses max_fetch %j, naming the instance, the field and the limit', (value, message) => {
    const error = errorOf(anInstance({}, { max_fetch: value }));

    expect(error).toMatchObject({ code: 'CONFIG_INVALID', instanceId: 'bad', field: 'params.max_fetch' });
    expect(error.message).toMatch(/^Instance "bad" \(helloworld\): /);
    expect(error.message).toMatch(message);
  });

  it('refuses a first_fetch it cannot read, and says what it accepts', () => {
    const error = errorOf(anInstance({}, { first_fetch: 'yesterday' }));

    expect(error).toMatchObject({ instanceId: 'bad', field: 'params.first_fetch' });
    expect(error.message).toContain(
      'params.first_fetch must be a time back from now ("3 days", "12 hours") or an ISO date ("2026-01-31T00:00:00Z") (got "yesterday")',
    );
  });

  it('refuses an unknown connector and lists the ones that exist', () => {
    const error = errorOf(anInstance({ connector: 'helloworlds' }));

    expect(error).toMatchObject({ instanceId: 'bad', field: 'connector' });
    expect(error.message).toBe(
      'ferry.config.json: instance "bad": connector "helloworlds" does not exist. Set "connector" to one of: helloworld.',
    );
  });

  it('refuses an instance without the secret its connector needs, showing how to reference one', () => {
    const error = errorOf(anInstance({ secrets: {} }));

    expect(error).toMatchObject({ instanceId: 'bad', field: 'secrets.apiKey' });
    expect(error.message).toContain('the secret "apiKey" is missing');
    expect(error.message).toContain('{"ssm": "<SecureString name>"}');
  });

  it('refuses a secret written inline, shows how to reference it, and does not repeat the value', () => {
    const error = errorOf(anInstance({ secrets: { apiKey: 'hunter2' } }));

    expect(error.field).toBe('secrets.apiKey');
    expect(error.message).toBe(
      'ferry.config.json: instance "bad": secrets.apiKey must be a reference, never the value: ' +
        '{"ssm": "<SecureString name>"} in AWS or {"env": "<VARIABLE>"} locally.',
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('names an unknown key in the instance, with the hint to check its spelling', () => {
    const error = errorOf(anInstance({ fetchInteval: '5 minutes' }));

    expect(error.message).toBe(
      'ferry.config.json: instance "bad": unknown key "fetchInteval" (check the spelling; see the config reference in docs/configuration.md).',
    );
  });

  it("names an unknown parameter the connector's schema does not have", () => {
    const error = errorOf(anInstance({}, { max_fetchh: 100 }));

    expect(error).toMatchObject({ instanceId: 'bad', field: 'params' });
    expect(error.message).toContain('params: unknown key "max_fetchh"');
  });

  it("refuses a connector parameter the connector's schema refuses", () => {
    const error = errorOf(anInstance({}, { url: 'not a url' }));

    expect(error).toMatchObject({ field: 'params.url' });
    expect(error.message).toContain(`params.url must be the alert API's base URL`);
  });

  it('refuses a fetchInterval that is not a duration', () => {
    const error = errorOf(anInstance({ fetchInterval: 'often' }));

    expect(error.field).toBe('fetchInterval');
    expect(error.message).toContain('fetchInterval must be a duration such as "30 seconds"');
    expect(error.message).not.toContain('fetchInterval fetchInterval');
  });

  it('refuses an instance id that cannot be an SSM path', () => {
    const { errors } = parse({ 'bad id/1': anInstance() });

    expect(errors[0]).toMatchObject({ instanceId: 'bad id/1', field: 'id' });
    expect(errors[0]!.message).toMatch(/the id must be 1–64 letters, digits/);
  });

  it('throws for a file that is unusable as a whole, naming the unknown key', () => {
    expect(() => parseConfig({ instances: {}, sinks: {} }, 'my.json')).toThrow(
      'my.json: unknown key "sinks" (check the spelling; see the config reference in docs/configuration.md).',
    );
    expect(() => parseConfig({ sink: { type: 'ferry' } }, 'my.json')).toThrow(ConfigError);
  });

  it('leaves connector checks out when no connectors are given (the SSM document path)', () => {
    const { instances, errors } = parseConfig(aConfig({ other: anInstance({ connector: 'other' }) }));

    expect(errors).toEqual([]);
    expect(instances[0]?.connector).toBe('other');
  });
});

describe('parseInstanceDocument', () => {
  const document = { ...anInstance(), id: 'demo', sink: { type: 'ferry' } };

  it('reads a document stored in SSM', () => {
    expect(
      parseInstanceDocument('demo', JSON.stringify(document), 'SSM /ferry/instances/demo'),
    ).toMatchObject({
      id: 'demo',
      enabled: true,
      fetchInterval: '1 minute',
      historyRetentionDays: 30,
    });
  });

  it('refuses text that is not JSON, naming the parameter', () => {
    expect(() => parseInstanceDocument('demo', '{oops', 'SSM /ferry/instances/demo')).toThrow(
      /^SSM \/ferry\/instances\/demo: the document of instance "demo" is not valid JSON .*Fix the parameter value\.$/,
    );
  });

  it('refuses a document stored under another id', () => {
    expect(() => parseInstanceDocument('other', JSON.stringify(document), 'SSM x')).toThrow(
      'SSM x: the document names instance "demo" but is stored for "other"; fix its "id".',
    );
  });
});
