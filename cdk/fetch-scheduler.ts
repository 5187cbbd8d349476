import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InstanceSchedule } from './instance-schedule.js';

export interface ScheduleInstanceOptions {
  readonly instanceId: string;
  /** The connector whose function the schedule invokes. */
  readonly connector: string;
  readonly target: IFunction;
  readonly rateMinutes: number;
  readonly enabled: boolean;
}

/**
 * Everything that runs fetches on time: a schedule group of this stack's schedules (so their names are
 * the instance ids without clashing with another stack's), the dead-letter queue of invocations that
 * Scheduler could not deliver, and one invoke role per connector function.
 */
export class FetchScheduler extends Construct {
  readonly group: ScheduleGroup;
  readonly deadLetterQueue: Queue;
  readonly #roles = new Map<string, Role>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.group = new ScheduleGroup(this, 'Group');
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the schedules' dead-letter queue (Scheduler's DeadLetterConfig, which cdk-nag cannot see); a dead-letter queue has no dead-letter queue of its own.",
    });
  }

  /**
   * Adds one instance's schedule: in this construct (`Instance-<id>`, where a stack of up to
   * `maxInlineInstances` keeps it), or at `scope`/`id` (an instance shard's nested stack).
   */
  schedule(options: ScheduleInstanceOptions, at?: { scope: Construct; id: string }): InstanceSchedule {
    return new InstanceSchedule(at?.scope ?? this, at?.id ?? `Instance-${options.instanceId}`, {
      instanceId: options.instanceId,
      target: options.target,
      role: this.#invokeRole(options.connector, options.target),
      rate: Duration.minutes(options.rateMinutes),
      enabled: options.enabled,
      group: this.group,
      deadLetterQueue: this.deadLetterQueue,
    });
  }

  /**
   * The role Scheduler assumes for one function: it may invoke that function (unqualified, as the
   * schedules call it) and write to the dead-letter queue. Only schedules of this stack's group, in
   * this account, can assume it (the confused-deputy conditions AWS documents for Scheduler).
   */
  #invokeRole(connector: string, target: IFunction): Role {
    let role = this.#roles.get(connector);
    if (role) return role;
    role = new Role(this, `InvokeRole-${connector}`, {
      description: `EventBridge Scheduler: invokes the "${connector}" connector's function for its instances`,
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': this.group.scheduleGroupArn,
          },
        },
      }),
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'InvokeConnectorFunction',
        actions: ['lambda:InvokeFunction'],
        resources: [target.functionArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteDeadLetters',
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    this.#roles.set(connector, role);
    return role;
  }
}
