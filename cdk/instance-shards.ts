import { createHash } from 'node:crypto';
import { ConfigError } from '../shared/errors.js';

/**
 * CloudFormation's quotas that a stack of many instances meets ("AWS CloudFormation quotas", CloudFormation
 * User Guide, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
 * - Resources: 500 declared in one template (a nested stack is a stack of its own and has its own 500);
 * - Template body size in an S3 object: 1 MB (how `cdk deploy` uploads nested stacks' templates);
 * - Template body size in a request: 51,200 bytes (only when a template is passed inline, which `cdk
 *   deploy` avoids for templates that large by uploading them as assets).
 */
export const cloudFormationLimits = {
  resourcesPerStack: 500,
  templateBytesInS3: 1_000_000,
  templateBytesInline: 51_200,
} as const;

/**
 * Resources each instance adds to the stack that holds it: its SSM document and its schedule. (Alarms are
 * per connector, not per instance: `ferry-alarms.ts`.)
 */
export const resourcesPerInstance = 2;

/**
 * How many instances may live in the main stack beside Ferry's shared resources (tables, functions,
 * roles, API, alarms, dashboard: about 60–80) before `-c instanceShards` is required: 150 instances are
 * 300 resources, leaving the main stack some 120 resources of headroom under 500.
 */
export const maxInlineInstances = 150;

/** The shard count `cdk synth` recommends: room for about 12,000 instances (see {@link shardOf}). */
export const recommendedShards = 64;

/** A shard must stay this far under CloudFormation's limits, for the hash's uneven spread. */
export const shardResourceBudget = 450;

/**
 * The nested stack an instance lives in: the first 4 bytes of SHA-256 of its id, modulo the shard count.
 * It depends on the id and the count alone, so adding or removing other instances never moves an
 * instance (a move would be a delete in one stack and a create in another of the same SSM name and
 * schedule name, which CloudFormation refuses: the create runs before the old stack's cleanup). The count
 * is therefore chosen once (`-c instanceShards`, kept in cdk.json). With 64 shards and 10,000 instances a
 * shard holds 156 on average (312 resources); the fullest of the 64 measured holds 190 (380).
 */
export const shardOf = (instanceId: string, shards: number): number =>
  createHash('sha256').update(instanceId).digest().readUInt32BE(0) % shards;

/** Where the instances' per-instance resources go: the main stack, or `shards` nested stacks. */
export type InstanceLayout =
  | { readonly kind: 'inline' }
  | { readonly kind: 'sharded'; readonly shards: number };

/**
 * The layout for a deployment: the main stack unless `-c instanceShards=N` is set. Past
 * {@link maxInlineInstances} instances without it, synth fails with the fix, rather than a deploy failing
 * at CloudFormation's 500 resources.
 */
export const instanceLayoutFor = (
  instanceCount: number,
  shardsOption: string | undefined,
): InstanceLayout => {
  if (shardsOption === undefined) {
    if (instanceCount <= maxInlineInstances) return { kind: 'inline' };
    throw new ConfigError(
      `${instanceCount} instances need ${instanceCount * resourcesPerInstance} resources (an SSM document and a schedule each), ` +
        `more than the main stack holds under CloudFormation's ${cloudFormationLimits.resourcesPerStack} resources per stack ` +
        `(at most ${maxInlineInstances} instances live there). Deploy them in nested stacks: add "instanceShards": ${recommendedShards} ` +
        'to the "context" of cdk.json (or pass -c instanceShards=64). Choose it once: an instance\'s nested stack follows from its id ' +
        'and that number, so changing it later moves instances between stacks, which needs them removed and deployed again.',
      undefined,
      'instanceShards',
    );
  }
  const shards = Number(shardsOption);
  if (!Number.isInteger(shards) || shards < 1 || shards > 200) {
    throw new ConfigError(
      `Context "instanceShards" is "${shardsOption}"; use a whole number from 1 to 200 (${recommendedShards} holds about 12,000 instances).`,
      undefined,
      'instanceShards',
    );
  }
  return { kind: 'sharded', shards };
};

/** The instance ids of each non-empty shard, by shard number, in the order given. */
export const groupByShard = <T extends { readonly id: string }>(
  instances: readonly T[],
  shards: number,
): Map<number, T[]> => {
  const groups = new Map<number, T[]>();
  for (const instance of instances) {
    const shard = shardOf(instance.id, shards);
    const group = groups.get(shard);
    if (group) group.push(instance);
    else groups.set(shard, [instance]);
  }
  return new Map([...groups].sort(([a], [b]) => a - b));
};

/** The nested stack's construct id: `Instances07`. */
export const shardName = (shard: number): string => `Instances${String(shard).padStart(2, '0')}`;

/**
 * Bytes an instance adds to a shard's template besides its document, JSON-escaped in the template
 * (measured on synthesized shards: the parameter's and schedule's properties, references and tags come
 * to about 1.1–1.4 KB), with margin.
 */
export const templateBytesPerInstance = 1_500;

/**
 * Fails synth when a shard would break a CloudFormation limit: more resources than the budget, or a
 * template over the S3 size limit (instance documents are stored in the template, up to 8 KB each).
 * Checked before anything is built, for every shard at once.
 */
export const checkShards = (
  groups: ReadonlyMap<number, readonly { readonly document: unknown }[]>,
  shards: number,
): void => {
  const fix =
    `Deploy with more shards (-c instanceShards=${shards * 2}), which moves instances between stacks: ` +
    'remove them from the config, deploy, and add them back.';
  const problems: string[] = [];
  for (const [shard, members] of groups) {
    const resources = members.length * resourcesPerInstance;
    const bytes = members.reduce(
      (sum, { document }) => sum + JSON.stringify(JSON.stringify(document)).length + templateBytesPerInstance,
      0,
    );
    if (resources > shardResourceBudget) {
      problems.push(
        `nested stack ${shardName(shard)} holds ${resources} resources, over the ${shardResourceBudget} Ferry allows a nested stack (CloudFormation's limit is ${cloudFormationLimits.resourcesPerStack}).`,
      );
    } else if (bytes > cloudFormationLimits.templateBytesInS3) {
      problems.push(
        `nested stack ${shardName(shard)}'s template would be about ${bytes} bytes, over CloudFormation's ${cloudFormationLimits.templateBytesInS3} for a template in S3 (its instance documents are large).`,
      );
    }
  }
  if (problems.length === 0) return;
  throw new ConfigError(
    `The instances do not fit ${shards} nested stacks: ${problems.join(' ')} ${fix}`,
    undefined,
    'instanceShards',
  );
};
