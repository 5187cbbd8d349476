import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureAssembly, scaleConfig, scaleConnectorModules } from '../../bench/cdk-scale.js';
import { flexibleWindowMinutes } from '../../cdk/instance-schedule.js';
import { cloudFormationLimits, shardOf } from '../../cdk/instance-shards.js';
import { highThroughputSettingId } from '../../cdk/ssm-throughput.js';
import { renderIntrinsics, synthFerry } from './helpers.js';

/**
 * A deployment of thousands of instances, synthesized as `cdk deploy` would hand it to CloudFormation
 * (cdk-nag included). 2,500 instances over 16 nested stacks are as dense per stack as 10,000 over the
 * recommended 64, at a quarter of the synth time; the 10,000 synth itself (about 35 s alone, nearly
 * 900 MB) runs in `npx tsx bench/cdk-scale.ts` (figures in docs/operations.md), not in `npm test`.
 */
const INSTANCES = 2_500;
const SHARDS = 16;
/** IAM: all inline policies of one role together (IAM and AWS STS quotas, "Role policy size"). */
const ROLE_POLICY_CHARS = 10_240;

const synthScale = (config: unknown, shards = String(SHARDS), extra: Record<string, unknown> = {}) => {
  const ferry = synthFerry({
    config,
    connectors: scaleConnectorModules,
    context: { instanceShards: shards, ssmThroughput: 'high', ...extra },
  });
  return { ...ferry, directory: ferry.app.synth().directory };
};

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let large: ReturnType<typeof synthScale>;

beforeAll(() => {
  large = synthScale(scaleConfig(INSTANCES));
}, 600_000);

describe(`a deployment of ${INSTANCES} instances`, () => {
  it('keeps every stack under 500 resources and every template under 1 MB', () => {
    const figures = measureAssembly(large.directory);

    expect(figures.nested).toHaveLength(SHARDS);
    for (const template of [figures.main, ...figures.nested]) {
      expect(template.resources, template.file).toBeLessThan(cloudFormationLimits.resourcesPerStack);
      expect(template.bytes, template.file).toBeLessThan(cloudFormationLimits.templateBytesInS3);
    }
    // Every instance is in exactly one shard: a document and a schedule each.
    const nestedResources = figures.nested.reduce((sum, t) => sum + t.resources, 0);
    expect(nestedResources).toBe(INSTANCES * 2);
    // The main stack holds the shared resources and one resource per shard, not the instances.
    expect(figures.main.resources).toBeLessThan(150);
  });

  it("keeps every role's policies under IAM's 10,240 characters", () => {
    const { rolePolicyChars } = measureAssembly(large.directory);

    // The four connector functions, their four invoke roles, the ingest function, the custom resource's.
    expect(Object.keys(rolePolicyChars)).toHaveLength(10);
    for (const [role, chars] of Object.entries(rolePolicyChars)) {
      expect(chars, role).toBeLessThan(ROLE_POLICY_CHARS);
    }
  });

  it('still disperses every schedule over its interval', () => {
    const schedules = nestedResources(large.directory).filter((r) => r.Type === 'AWS::Scheduler::Schedule');

    expect(schedules).toHaveLength(INSTANCES);
    for (const { Properties } of schedules) {
      const minutes = Number(/rate\((\d+) minutes?\)/.exec(String(Properties.ScheduleExpression))?.[1]);
      expect(Properties.FlexibleTimeWindow).toEqual({
        Mode: 'FLEXIBLE',
        MaximumWindowInMinutes: flexibleWindowMinutes(minutes),
      });
    }
  });

  it('derives the ingestion throttle from the instances: twice their steady request rate', () => {
    // 2,500 instances: every 50th paused (50), every 10th every 5 minutes (200 enabled), 2,250 every
    // minute; max_fetch 200 is 2 requests a fetch: 2,250 × 2 / 60 + 200 × 2 / 300 = 76.3 a second.
    const stage = Object.values(large.template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;

    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 153, ThrottlingBurstLimit: 306 });
  });

  it("grants each function its own connector's documents by tag and its secrets by its folder", () => {
    const policies = Object.values(large.template.findResources('AWS::IAM::Policy')) as Resources[string][];
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const documents = statements.filter((s) => s.Sid === 'ReadOwnInstanceDocuments');
    const secrets = statements.filter((s) => s.Sid === 'ReadOwnInstanceSecrets');

    expect(
      documents.map((s) => s.Condition).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(
      Object.keys(scaleConnectorModules)
        .sort()
        .map((connector) => ({ StringEquals: { 'aws:ResourceTag/ferry-connector': connector } })),
    );
    // Each connector's folder, and the ingestion token its instances push with, by name.
    expect(
      secrets
        .map((statement) => (renderIntrinsics(large.template, statement.Resource) as string[]).join(' '))
        .sort(),
    ).toEqual(
      Object.keys(scaleConnectorModules)
        .sort()
        .map(
          (connector) =>
            `arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ingest-token arn:aws:ssm:us-east-1:123456789012:parameter/ferry/secrets/${connector}/*`,
        ),
    );
    expect(secrets).toHaveLength(4);
    const documentTags = nestedResources(large.directory)
      .filter((r) => r.Type === 'AWS::SSM::Parameter')
      .map((r) => (r.Properties.Tags as Record<string, string>)['ferry-connector']);
    expect(new Set(documentTags)).toEqual(new Set(Object.keys(scaleConnectorModules)));
    expect(documentTags).toHaveLength(INSTANCES);
    // Past 10,000 parameters in an account and Region only Advanced ones can be created: let SSM pick.
    const tiers = nestedResources(large.directory)
      .filter((r) => r.Type === 'AWS::SSM::Parameter')
      .map((r) => r.Properties.Tier);
    expect(new Set(tiers)).toEqual(new Set(['Intelligent-Tiering']));
  });

  it('turns on Parameter Store’s higher throughput, allowed on that one setting', () => {
    const calls = Object.values(large.template.findResources('Custom::AWS')).map((r) => r.Properties.Create);

    expect(calls).toHaveLength(1);
    expect(JSON.parse(String(calls[0]))).toMatchObject({
      service: 'SSM',
      action: 'UpdateServiceSetting',
      parameters: { SettingId: highThroughputSettingId, SettingValue: 'true' },
    });
    const policy = Object.values(large.template.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p).includes('ssm:UpdateServiceSetting'),
    )!;
    expect(JSON.stringify(policy.Properties.PolicyDocument.Statement[0].Resource)).toContain(
      ':servicesetting/ssm/parameter-store/high-throughput-enabled',
    );
  });
});

describe('the shard of an instance', () => {
  it('does not change when other instances are added or removed, so none is recreated', () => {
    const before = scaleConfig(300);
    const after = scaleConfig(300);
    const ids = Object.keys(before.instances);
    for (const id of ids.slice(0, 40)) delete (after.instances as Record<string, unknown>)[id];
    Object.assign(after.instances, scaleConfig(60, { firstId: 5_000 }).instances);

    const where = (directory: string) => {
      const placed = new Map<string, string>();
      for (const { file, resources } of nestedTemplates(directory)) {
        for (const [logicalId, resource] of Object.entries(resources)) {
          if (resource.Type !== 'AWS::SSM::Parameter') continue;
          const name = String(resource.Properties.Name).replace('/ferry/instances/', '');
          placed.set(name, `${file.replace(/[0-9A-F]{8}\.nested\.template\.json$/, '')}/${logicalId}`);
        }
      }
      return placed;
    };
    const placedBefore = where(synthScale(before, '8').directory);
    const placedAfter = where(synthScale(after, '8').directory);

    const kept = ids.slice(40);
    expect(kept.filter((id) => placedAfter.get(id) !== placedBefore.get(id))).toEqual([]);
    // The rule is the hash of the id alone: the shard named by the nested stack's id.
    for (const id of kept) {
      expect(placedAfter.get(id)).toMatch(
        new RegExp(`^FerryInstances${String(shardOf(id, 8)).padStart(2, '0')}/`),
      );
    }
  }, 300_000);

  it('spreads 10,000 ids over 64 shards without any near the resource limit', () => {
    const counts = new Array<number>(64).fill(0);
    for (const id of Object.keys(scaleConfig(10_000).instances)) counts[shardOf(id, 64)]! += 1;

    expect(Math.max(...counts) * 2).toBeLessThan(450);
    expect(Math.min(...counts)).toBeGreaterThan(100);
  });
});

const nestedTemplates = (directory: string) =>
  measureAssembly(directory).nested.map(({ file }) => ({
    file,
    resources: (JSON.parse(readFileSync(join(directory, file), 'utf8')) as { Resources: Resources })
      .Resources,
  }));

const nestedResources = (directory: string) =>
  nestedTemplates(directory).flatMap((t) => Object.values(t.resources));
