import type { Duration } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSchedule, type IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../shared/errors.js';
import { flexibleWindowMs } from '../shared/schedule-window.js';

export interface InstanceScheduleProps {
  readonly instanceId: string;
  /** The connector's function; it receives `{"instanceId": ...}`. */
  readonly target: IFunction;
  /** The role EventBridge Scheduler assumes to invoke `target` and to write to the dead-letter queue. */
  readonly role: IRole;
  /** The fetch interval: whole minutes, at least one. */
  readonly rate: Duration;
  /** A disabled instance keeps its schedule, paused. */
  readonly enabled: boolean;
  readonly group: IScheduleGroup;
  /** Where invocations go that still fail after the retries. */
  readonly deadLetterQueue: IQueue;
  /** Retries of an invocation Lambda refused (throttled, unavailable). @default 3 */
  readonly retryAttempts?: number;
}

/**
 * The flexible time window a schedule fires in: its whole interval, up to 15 minutes. Schedules
 * deployed together would otherwise fire together every interval (a thundering herd on Lambda, the
 * source APIs and the ingestion endpoint); with a window, Scheduler disperses each invocation within it
 * ("Setting a flexible time window improves the reliability of your schedule by dispersing your target
 * invocations": EventBridge Scheduler User Guide, "Configuring flexible time windows"). Two fetches may
 * then be up to two intervals apart: the look-back reaches back from the settled point, not from now,
 * so a longer gap loses nothing.
 */
export const flexibleWindowMinutes = (intervalMinutes: number): number =>
  flexibleWindowMs(intervalMinutes * 60_000) / 60_000;

/** `rate(1 minute)`, `rate(5 minutes)`: Scheduler wants the singular for one. */
export const rateExpression = (minutes: number): string =>
  `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;

/**
 * One instance's EventBridge Scheduler schedule: every fetch interval it invokes the connector's
 * function with `{"instanceId": ...}`. An L1 schedule rather than the L2 `LambdaInvoke` target, whose
 * grant also covers every version and alias of the function (`<arn>:*`), which the schedule never calls.
 */
export class InstanceSchedule extends Construct {
  readonly schedule: CfnSchedule;

  constructor(scope: Construct, id: string, props: InstanceScheduleProps) {
    super(scope, id);
    const minutes = props.rate.toMinutes({ integral: false });
    if (!(minutes >= 1) || !Number.isInteger(minutes)) {
      throw new ConfigError(
        `Instance "${props.instanceId}": a schedule runs every whole number of minutes, at least 1; got ${props.rate.toHumanString()}.`,
        props.instanceId,
        'fetchInterval',
      );
    }
    const seconds = minutes * 60;
    this.schedule = new CfnSchedule(this, 'Schedule', {
      name: props.instanceId,
      groupName: props.group.scheduleGroupName,
      description: `Ferry: fetch instance "${props.instanceId}" every ${props.rate.toHumanString()}`,
      scheduleExpression: rateExpression(minutes),
      state: props.enabled ? 'ENABLED' : 'DISABLED',
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: flexibleWindowMinutes(minutes) },
      target: {
        arn: props.target.functionArn,
        roleArn: props.role.roleArn,
        input: JSON.stringify({ instanceId: props.instanceId }),
        retryPolicy: {
          maximumRetryAttempts: props.retryAttempts ?? 3,
          // An invocation older than one interval is superseded by the next one (Scheduler: 60..86400).
          maximumEventAgeInSeconds: Math.min(Math.max(seconds, 60), 86_400),
        },
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
      },
    });
    // The group is named by a string, not a reference: without this, CloudFormation could create the
    // schedule before its group.
    this.schedule.node.addDependency(props.group);
  }
}
