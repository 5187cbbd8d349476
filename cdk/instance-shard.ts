import { NestedStack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { DeployInstance } from './deploy-config.js';
import type { FetchScheduler } from './fetch-scheduler.js';
import { InstanceParameter } from './instance-parameter.js';
import type { InstanceSchedule } from './instance-schedule.js';
import { shardName } from './instance-shards.js';

/** What one instance gets in AWS: its document and its schedule, wherever they live. */
export interface DeployedInstance {
  readonly parameter: InstanceParameter;
  readonly schedule: InstanceSchedule;
}

export interface InstanceResourcesOptions {
  readonly instance: DeployInstance;
  readonly prefix: string;
  readonly scheduler: FetchScheduler;
  readonly target: Parameters<FetchScheduler['schedule']>[0]['target'];
}

/**
 * Adds an instance's document and schedule. `shard` undefined keeps today's layout of a small stack
 * (`Instance-<id>` in the stack, the schedule under the scheduler), so an existing deployment's logical
 * ids do not change; in a shard both live under `Instance-<id>` in the nested stack.
 */
export const addInstanceResources = (
  scope: Construct,
  options: InstanceResourcesOptions,
  shard?: InstanceShard,
): DeployedInstance => {
  const { document, rateMinutes } = options.instance;
  const home = shard ? new Construct(shard, `Instance-${document.id}`) : undefined;
  const parameter = new InstanceParameter(home ?? scope, home ? 'Document' : `Instance-${document.id}`, {
    document,
    prefix: options.prefix,
    intelligentTiering: shard !== undefined,
  });
  const schedule = options.scheduler.schedule(
    {
      instanceId: document.id,
      connector: document.connector,
      target: options.target,
      rateMinutes,
      enabled: document.enabled,
    },
    home ? { scope: home, id: 'Schedule' } : undefined,
  );
  return { parameter, schedule };
};

/**
 * One nested stack of instances (`Instances<NN>`): their SSM documents and schedules, which make up
 * nearly all of a large deployment's resources. The shared resources (functions, roles, tables, the
 * schedule group, alarms) stay in the main stack and are passed in as the nested stack's parameters, so
 * a shard is the same few hundred small resources whatever else changes.
 */
export class InstanceShard extends NestedStack {
  readonly shard: number;

  constructor(scope: Construct, shard: number, shards: number, instanceCount: number) {
    super(scope, shardName(shard), {
      description: `Ferry: instance shard ${shard} of ${shards} (${instanceCount} instances, placed by a hash of their id)`,
      // Smaller templates: a shard of 10,000 instances' worth is mostly documents and schedules.
      suppressTemplateIndentation: true,
    });
    this.shard = shard;
  }
}
