import { describe, expect, it } from 'vitest';
import { resolveDeployConfig } from '../../cdk/deploy-config.js';
import { checkShards, instanceLayoutFor, maxInlineInstances } from '../../cdk/instance-shards.js';
import { secretGrantBudgetChars, secretGrantsFor } from '../../cdk/secret-grants.js';
import { getParameterRate, parameterStoreQuota, ssmThroughputFor } from '../../cdk/ssm-throughput.js';
import { ConfigError } from '../../shared/errors.js';
import { configError, synthFerry, testConnectors } from './helpers.js';

const names = (count: number, folder: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => `${folder(i)}/tenant-${i}/api-key`);

describe('secret grants', () => {
  const base = {
    connector: 'helloworld',
    foreign: ['/ferry/ingest-token'],
    instancePrefix: '/ferry/instances/',
  };

  it('names each SecureString while they fit the policy budget', () => {
    const own = names(20, () => '/ferry/secrets/helloworld');

    expect(secretGrantsFor({ ...base, own })).toEqual({ names: [...own].sort(), folders: [] });
  });

  it("grants the connector's own folder once the names would not fit", () => {
    const own = names(5_000, () => '/ferry/secrets/helloworld');
    const foreign = [...base.foreign, ...names(5_000, () => '/ferry/secrets/other')];

    expect(secretGrantsFor({ ...base, own, foreign })).toEqual({
      names: [],
      folders: ['/ferry/secrets/helloworld'],
    });
  });

  it("never grants a folder holding another connector's secret, the ingestion token or the documents", () => {
    // Secrets of both connectors side by side under /ferry/secrets/<instance>/: no folder is theirs alone
    // but each instance's, and those thousands do not fit either.
    const own = names(2_000, () => '/ferry/secrets');
    const foreign = ['/ferry/ingest-token', '/ferry/secrets/tenant-other/api-key'];

    const error = configError(() => secretGrantsFor({ ...base, own, foreign }));

    expect(error.field).toBe('secrets');
    expect(error.message).toContain('/ferry/secrets/helloworld/<instance>/<field>');
    expect(error.message).toContain(`over the ${secretGrantBudgetChars}`);
  });

  it('keeps names that share no exclusive folder exact beside the folders it grants', () => {
    const own = [...names(3_000, () => '/ferry/secrets/helloworld'), '/ferry/ingest-token', 'plain-name'];
    const foreign = ['/ferry/ingest-token'];

    expect(secretGrantsFor({ ...base, own, foreign })).toEqual({
      names: ['/ferry/ingest-token', 'plain-name'],
      folders: ['/ferry/secrets/helloworld'],
    });
  });

  it('does not grant a folder above the instance documents even when nothing else is there', () => {
    const own = names(3_000, (i) => `/ferry/t${i}`);

    // /ferry holds /ferry/instances/; each /ferry/t<i> folder is exclusive but thousands do not fit.
    expect(() => secretGrantsFor({ ...base, own, foreign: [] })).toThrow(ConfigError);
  });
});

describe('where instances live', () => {
  it('keeps a small deployment in the main stack, with the logical ids it always had', () => {
    const { app, template } = synthFerry({
      config: {
        sink: { type: 'ferry' },
        instances: Object.fromEntries(
          ['a', 'b', 'c'].map((id) => [
            id,
            {
              connector: 'helloworld',
              params: { url: 'https://x.example.com' },
              secrets: { apiKey: { ssm: `/s/${id}` } },
            },
          ]),
        ),
      },
    });

    expect(Object.keys(template.findResources('AWS::CloudFormation::Stack'))).toEqual([]);
    expect(app.node.tryFindChild('Ferry')?.node.tryFindChild('Instance-a')).toBeDefined();
    expect(Object.keys(template.findResources('AWS::SSM::Parameter'))).toHaveLength(3);
    expect(Object.keys(template.findResources('AWS::Scheduler::Schedule'))).toHaveLength(3);
  });

  it('asks for -c instanceShards past the main stack’s share, before CloudFormation would refuse it', () => {
    expect(instanceLayoutFor(maxInlineInstances, undefined)).toEqual({ kind: 'inline' });

    const error = configError(() => instanceLayoutFor(maxInlineInstances + 1, undefined));

    expect(error.field).toBe('instanceShards');
    expect(error.message).toContain('"instanceShards": 64');
    expect(error.message).toContain('Choose it once');
    expect(instanceLayoutFor(5, '64')).toEqual({ kind: 'sharded', shards: 64 });
    expect(configError(() => instanceLayoutFor(5, 'many')).message).toContain('whole number from 1 to 200');
  });
});

describe('a shard too full', () => {
  const documents = (count: number, bytes = 200) =>
    Array.from({ length: count }, (_, i) => ({
      id: `t${i}`,
      document: { id: `t${i}`, params: { pad: 'x'.repeat(bytes) } },
    }));

  it('fails synth naming the nested stack, before CloudFormation would refuse it', () => {
    expect(() => checkShards(new Map([[3, documents(225)]]), 64)).not.toThrow();

    const error = configError(() => checkShards(new Map([[3, documents(226)]]), 64));

    expect(error.message).toContain('nested stack Instances03 holds 452 resources');
    expect(error.message).toContain('-c instanceShards=128');
  });

  it('fails synth when the documents would make a template over 1 MB', () => {
    // 8 KB documents (the largest SSM takes): about 130 fit in 1 MB, far fewer than 225.
    const error = configError(() => checkShards(new Map([[0, documents(150, 7_000)]]), 8));

    expect(error.message).toContain("nested stack Instances00's template would be about");
    expect(error.message).toContain("over CloudFormation's 1000000");
  });

  it('is checked on a real synth: 300 instances in one shard', () => {
    const instances = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [
        `t${i}`,
        {
          connector: 'helloworld',
          params: { url: 'https://x.example.com' },
          secrets: { apiKey: { ssm: `/s/t${i}` } },
        },
      ]),
    );

    const error = configError(() =>
      synthFerry({
        config: { sink: { type: 'ferry' }, instances },
        context: { instanceShards: '1', ssmThroughput: 'high' },
      }),
    );

    expect(error.message).toContain('nested stack Instances00 holds 600 resources');
  });
});

describe('SSM read rate', () => {
  const config = (count: number, interval = '1 minute') =>
    resolveDeployConfig(
      {
        sink: { type: 'ferry', url: 'https://ingest.example.com' },
        instances: Object.fromEntries(
          Array.from({ length: count }, (_, i) => [
            `t${i}`,
            {
              connector: 'helloworld',
              fetchInterval: interval,
              params: { url: 'https://x.example.com' },
              secrets: { apiKey: { ssm: `/ferry/secrets/t${i}` } },
            },
          ]),
        ),
      },
      { connectors: testConnectors },
    ).instances;

  it('counts a document and each secret per fetch: the per-environment caches rarely meet the same instance', () => {
    // One document, the API key and the sink token ({"env": ...} locally, so none here): 2 reads a fetch.
    expect(getParameterRate(config(600))).toBeCloseTo((600 * 2) / 60);
    expect(getParameterRate(config(600, '10 minutes'))).toBeCloseTo((600 * 2) / 600);
  });

  it('fails synth past half the standard 40 a second and names -c ssmThroughput=high', () => {
    expect(ssmThroughputFor(config(590), undefined)).toBe('standard'); // 19.7 a second: under half of 40

    const error = configError(() => ssmThroughputFor(config(610), undefined));

    expect(error.field).toBe('ssmThroughput');
    expect(error.message).toContain('-c ssmThroughput=high');
    expect(error.message).toContain('about 20.3 SSM parameters a second');
    expect(ssmThroughputFor(config(610), 'high')).toBe('high');
    expect(parameterStoreQuota.highTps * 0.5).toBeGreaterThan(getParameterRate(config(10_000)) * 10);
    expect(configError(() => ssmThroughputFor(config(1), 'fast')).message).toContain('"standard"');
  });
});
