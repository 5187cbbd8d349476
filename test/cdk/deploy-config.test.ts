import { describe, expect, it } from 'vitest';
import {
  defaultIngestTokenParameterName,
  resolveDeployConfig,
  scheduleRateMinutes,
} from '../../cdk/deploy-config.js';
import { rateExpression } from '../../cdk/instance-schedule.js';
import { configError, testConnectors } from './helpers.js';

const demo = {
  connector: 'helloworld',
  fetchInterval: '5 minutes',
  params: { url: 'https://alerts.example.com' },
  secrets: { apiKey: { ssm: '/ferry/secrets/demo/api-key' } },
};

const resolve = (config: Record<string, unknown>, options: { ingestTokenParameterName?: string } = {}) =>
  resolveDeployConfig({ instances: { demo }, ...config }, { connectors: testConnectors, ...options });

describe('fetch interval', () => {
  it('refuses an interval below one minute, naming the instance and the field', () => {
    const error = configError(() =>
      resolve({ instances: { fast: { ...demo, fetchInterval: '5 seconds' } } }),
    );

    expect(error.instanceId).toBe('fast');
    expect(error.field).toBe('fetchInterval');
    expect(error.message).toContain('instance "fast": fetchInterval "5 seconds" is shorter than 1 minute');
    expect(error.message).toContain('"1 minute"');
  });

  it('refuses an interval that is not a whole number of minutes', () => {
    const error = configError(() =>
      resolve({ instances: { odd: { ...demo, fetchInterval: '90 seconds' } } }),
    );

    expect(error.message).toMatch(
      /instance "odd": fetchInterval "90 seconds" is not a whole number of minutes.*"1 minutes" or "2 minutes"/,
    );
  });

  it('turns intervals into whole minutes, "rate(1 minute)" in the singular', () => {
    const minutes = (fetchInterval: string) =>
      scheduleRateMinutes({ ...demo, id: 'x', fetchInterval } as never, 'test');

    expect([minutes('1 minute'), minutes('60 seconds'), minutes('2h'), minutes('1 day')]).toEqual([
      1, 1, 120, 1440,
    ]);
    expect([rateExpression(1), rateExpression(5)]).toEqual(['rate(1 minute)', 'rate(5 minutes)']);
  });
});

describe('instances', () => {
  it('lists every problem at once, each naming its instance and field', () => {
    const error = configError(() =>
      resolve({
        instances: {
          fast: { ...demo, fetchInterval: '10 seconds' },
          ghost: { ...demo, connector: 'nope' },
          bad: { ...demo, params: { url: 'not a url' } },
        },
      }),
    );

    expect(error.message).toContain('cannot be deployed; 3 problems');
    expect(error.message).toContain('instance "fast": fetchInterval');
    expect(error.message).toMatch(/instance "ghost": connector "nope" does not exist/);
    expect(error.message).toMatch(/"bad".*params\.url/);
  });

  it('keeps a single problem as it is, with its instance and field', () => {
    const error = configError(() => resolve({ instances: { ghost: { ...demo, connector: 'nope' } } }));

    expect([error.instanceId, error.field]).toEqual(['ghost', 'connector']);
  });

  it('uses one function per connector in use', () => {
    const config = resolve({
      instances: { a: demo, b: demo, c: { ...demo, connector: 'other' } },
    });

    expect(config.connectors).toEqual(['helloworld', 'other']);
  });
});

describe('secrets and the sink token', () => {
  it("points instances of the stack's own endpoint at its token parameter, whatever the local config uses", () => {
    const config = resolve({ sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } } });
    const [instance] = config.instances;

    expect(config.ingestEndpoint).toBe(true);
    expect(config.ingestTokenParameterName).toBe(defaultIngestTokenParameterName);
    expect(instance?.document.sink).toEqual({ type: 'ferry', token: { ssm: '/ferry/ingest-token' } });
    expect(instance?.secureStrings).toEqual(['/ferry/ingest-token', '/ferry/secrets/demo/api-key']);
  });

  it("takes the token parameter from the config's own SSM reference, or from the context", () => {
    const fromConfig = resolve({ sink: { type: 'ferry', token: { ssm: '/soc/ingest' } } });
    const fromContext = resolve({}, { ingestTokenParameterName: '/other/token' });

    expect(fromConfig.ingestTokenParameterName).toBe('/soc/ingest');
    expect(fromContext.instances[0]?.document.sink).toMatchObject({ token: { ssm: '/other/token' } });
  });

  it("takes an instance's own SSM token as its per-instance token, sent as configured", () => {
    const own = { type: 'ferry', token: { ssm: '/ferry/ingest-tokens/demo:3' } };
    const config = resolve({
      sink: { type: 'ferry', token: { ssm: '/soc/ingest' } },
      instances: { demo: { ...demo, sink: own }, other: demo },
    });
    const [first, second] = config.instances;

    expect(config.ingestTokenParameterName).toBe('/soc/ingest');
    // IAM authorizes the parameter: the version selector is not part of its name.
    expect(config.instanceTokenParameterNames).toEqual({ demo: '/ferry/ingest-tokens/demo' });
    expect(first?.document.sink).toEqual(own);
    expect(first?.secureStrings).toEqual(['/ferry/ingest-tokens/demo', '/ferry/secrets/demo/api-key']);
    expect(second?.document.sink).toMatchObject({ token: { ssm: '/soc/ingest' } });
    expect(second?.instanceTokenParameterName).toBeUndefined();
  });

  it('refuses a per-instance token two instances share, naming both', () => {
    const sink = { type: 'ferry', token: { ssm: '/ferry/ingest-tokens/shared' } };
    const error = configError(() =>
      resolve({ instances: { demo: { ...demo, sink }, second: { ...demo, sink } } }),
    );

    expect([error.instanceId, error.field]).toEqual(['second', 'sink.token']);
    expect(error.message).toContain('"/ferry/ingest-tokens/shared" is already instance "demo"\'s own');
  });

  it("refuses more per-instance tokens than the ingest function's environment holds", () => {
    const instances = Object.fromEntries(
      Array.from({ length: 80 }, (_, index) => [
        `instance-${index}`,
        { ...demo, sink: { type: 'ferry', token: { ssm: `/ferry/ingest-tokens/instance-${index}` } } },
      ]),
    );
    const error = configError(() => resolve({ instances }));

    expect(error.field).toBe('sink.token');
    expect(error.message).toMatch(/80 per-instance ingestion tokens take \d+ bytes .* over the 3500 bytes/);
  });

  it('deploys no endpoint when every sink has its own URL, and keeps their secrets as configured', () => {
    const sink = { type: 'ferry', url: 'https://ingest.example.com', token: { ssm: '/ext/token:2' } };
    const config = resolve({ sink });

    expect(config.ingestEndpoint).toBe(false);
    expect(config.instances[0]?.document.sink).toEqual(sink);
    // IAM authorizes the parameter: the version selector is not part of its ARN.
    expect(config.instances[0]?.secureStrings).toEqual(['/ext/token', '/ferry/secrets/demo/api-key']);
  });

  it('lists the SecureStrings of an xsoar sink and the bus of an eventbridge sink', () => {
    const config = resolve({
      instances: {
        toXsoar: {
          ...demo,
          sink: {
            type: 'xsoar',
            url: 'https://xsoar.example.com',
            version: 8,
            apiKey: { ssm: '/x/key' },
            apiKeyId: { ssm: '/x/id' },
          },
        },
        toBus: { ...demo, sink: { type: 'eventbridge', eventBusName: 'soc' } },
        toDefaultBus: { ...demo, sink: { type: 'eventbridge' } },
      },
    });
    const [xsoar, bus, defaultBus] = config.instances;

    expect(xsoar?.secureStrings).toEqual(['/ferry/secrets/demo/api-key', '/x/id', '/x/key']);
    expect([bus?.eventBus, defaultBus?.eventBus, xsoar?.eventBus]).toEqual(['soc', 'default', undefined]);
  });

  it('warns about references and URLs that cannot work in AWS, without failing', () => {
    const config = resolve({
      instances: {
        demo: {
          ...demo,
          params: { url: 'http://127.0.0.1:8788' },
          secrets: { apiKey: { env: 'DEMO_API_KEY' } },
        },
      },
    });

    expect(config.warnings).toEqual([
      expect.stringMatching(
        /instance "demo": secrets\.apiKey refers to the environment variable DEMO_API_KEY.*put-parameter --type SecureString/,
      ),
      expect.stringMatching(/instance "demo": params\.url is http:\/\/127\.0\.0\.1:8788, a loopback address/),
    ]);
  });

  it('refuses a document larger than SSM takes', () => {
    const error = configError(() =>
      resolve({ instances: { big: { ...demo, params: { ...demo.params, query: 'x'.repeat(9000) } } } }),
    );

    expect([error.instanceId, error.field]).toEqual(['big', 'params']);
    expect(error.message).toContain("over SSM's 8192-byte limit");
  });
});

describe('functions', () => {
  it('fills in the documented defaults and takes what the config sets', () => {
    const config = resolve({ functions: { helloworld: { memoryMb: 1024 } } });

    expect(config.functions.helloworld).toEqual({ memoryMb: 1024, timeoutSeconds: 60, logRetentionDays: 30 });
    expect(config.functions.ingest).toEqual({ memoryMb: 256, timeoutSeconds: 15, logRetentionDays: 30 });
  });

  it('refuses an unknown function, a retention CloudWatch lacks and an ingest timeout over 29 seconds', () => {
    const error = configError(() =>
      resolve({
        functions: {
          nope: { memoryMb: 256 },
          helloworld: { logRetentionDays: 10 },
          ingest: { timeoutSeconds: 60 },
        },
      }),
    );

    expect(error.message).toContain('functions.nope: there is no connector "nope"');
    expect(error.message).toMatch(
      /functions\.helloworld\.logRetentionDays is 10.*Use one of: 1, 3, 5, 7, 14, 30/,
    );
    expect(error.message).toContain('functions.ingest.timeoutSeconds is 60');
  });
});
