import { Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The runner's failure metric, published as CloudWatch embedded metrics: one per failed fetch, with
 * exactly these dimensions (an alarm matches a metric only on its full dimension set).
 */
export const fetchErrorsMetric = {
  namespace: 'Ferry',
  metricName: 'FetchErrors',
  dimensions: ['connector', 'instance'],
} as const;

/** Events a fetch set aside in the quarantine (`shared/metrics.ts`), with the same dimensions. */
export const quarantinedMetric = {
  namespace: 'Ferry',
  metricName: 'IncidentsQuarantined',
  dimensions: ['connector', 'instance'],
} as const;

/** How often alarms look: a period of five minutes, or one fetch interval when that is longer. */
export const alarmPeriod = Duration.minutes(5);

/** Which instance an alarm watches, and how often it fetches. */
export interface InstanceAlarmOptions {
  readonly connector: string;
  readonly instanceId: string;
  readonly interval: Duration;
}

/** An instance's metric, summed over a period of five minutes or one fetch interval when longer. */
const instanceMetric = (
  metric: { readonly namespace: string; readonly metricName: string },
  options: InstanceAlarmOptions,
): Metric =>
  new Metric({
    namespace: metric.namespace,
    metricName: metric.metricName,
    dimensionsMap: { connector: options.connector, instance: options.instanceId },
    statistic: 'Sum',
    period:
      options.interval.toSeconds() > alarmPeriod.toSeconds()
        ? Duration.seconds(Math.min(options.interval.toSeconds(), 86_400))
        : alarmPeriod,
  });

export interface FerryAlarmsProps {
  /** Subscribe this address to the alarm topic. @default - nobody; subscribe to the topic yourself */
  readonly email?: string;
}

/**
 * Ferry's alarms and the SNS topic they notify (on ALARM and on OK): function errors, dead-letter queue
 * depth, and the runner's `FetchErrors` per instance. Each fires on the first occurrence in a period;
 * missing data (no invocations, no failures) counts as fine.
 */
export class FerryAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: FerryAlarmsProps = {}) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'Ferry alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed aws/sns key, and alarm notifications carry only alarm names and states, no incident data or secrets.',
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
  }

  /** Alarms when the function reports an error (an invocation that threw: no state store, bad event). */
  functionErrors(id: string, fn: IFunction, label: string): Alarm {
    return this.#alarm(id, fn.metricErrors({ period: alarmPeriod, statistic: 'Sum' }), {
      description: `Ferry: the ${label} function failed an invocation. See its log group.`,
    });
  }

  /** Alarms when Scheduler gave up invoking a function and parked the event in the dead-letter queue. */
  deadLetters(id: string, queue: IQueue): Alarm {
    return this.#alarm(
      id,
      queue.metricApproximateNumberOfMessagesVisible({ period: alarmPeriod, statistic: 'Maximum' }),
      {
        description:
          'Ferry: EventBridge Scheduler could not invoke a connector function; the schedule input is in the dead-letter queue.',
      },
    );
  }

  /** Alarms when a fetch of the instance failed (source, sink, config or state error). */
  fetchErrors(id: string, options: InstanceAlarmOptions): Alarm {
    return this.#alarm(id, instanceMetric(fetchErrorsMetric, options), {
      description: `Ferry: a fetch of instance "${options.instanceId}" (${options.connector}) failed; its fetch history and the connector function's log say why.`,
    });
  }

  /**
   * Alarms when a fetch of the instance set an event aside: the event was not delivered, although the
   * rest of its page was. It stays in the quarantine until re-driven (or its TTL ends).
   */
  quarantined(id: string, options: InstanceAlarmOptions): Alarm {
    return this.#alarm(id, instanceMetric(quarantinedMetric, options), {
      description: `Ferry: instance "${options.instanceId}" (${options.connector}) quarantined events that could not become incidents. List them with "ferry quarantine ${options.instanceId} --aws"; re-drive them once the connector or its mapping is fixed.`,
    });
  }

  #alarm(id: string, metric: IMetric, options: { description: string }): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: options.description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}
