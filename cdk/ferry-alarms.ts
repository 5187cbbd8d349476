import { Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
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

/** How often alarms look. */
export const alarmPeriod = Duration.minutes(5);

/**
 * The most instances one connector alarm names: a Metrics Insights alarm tracks each series its query
 * returns as a contributor, at most 100 in ALARM ("Limits that apply to alarms based on Metrics Insights
 * queries", CloudWatch User Guide); the query keeps the instances with most of the metric.
 */
export const contributorsPerAlarm = 100;

/**
 * One series per instance of one connector, the instances with most of the metric first (Metrics
 * Insights). Each is a contributor of the alarm: the alarm's state names the failing instances, and
 * instances added later are watched without a deploy.
 */
export const perInstanceQuery = (
  metric: { readonly namespace: string; readonly metricName: string },
  connector: string,
): string =>
  `SELECT SUM(${metric.metricName}) FROM SCHEMA("${metric.namespace}", connector, instance) ` +
  `WHERE connector = '${connector.replaceAll("'", "''")}' GROUP BY instance ORDER BY SUM() DESC LIMIT ${contributorsPerAlarm}`;

export interface FerryAlarmsProps {
  /** Subscribe this address to the alarm topic. @default - nobody; subscribe to the topic yourself */
  readonly email?: string;
}

/**
 * Ferry's alarms and the SNS topic they notify (on ALARM and on OK): function errors, dead-letter queue
 * depth, and per connector the runner's `FetchErrors` and `IncidentsQuarantined` by instance. Each fires
 * on the first occurrence in a period; missing data (no invocations, no failures) counts as fine.
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

  /**
   * Alarms when a fetch of any instance of the connector failed (source, sink, config or state error):
   * one alarm per connector, each failing instance a contributor, rather than an alarm per instance
   * (10,000 instances would be 10,000 alarm resources, far past a stack's 500).
   */
  fetchErrors(id: string, connector: string): Alarm {
    return this.#alarm(id, this.#perInstance(fetchErrorsMetric, connector), {
      description: `Ferry: fetches of "${connector}" instances failed. The alarm's contributors are the instances; "ferry status --aws" lists them, their fetch history and the function's log say why.`,
    });
  }

  /**
   * Alarms when a fetch of an instance of the connector set an event aside: the event was not delivered,
   * although the rest of its page was. It stays in the quarantine until re-driven (or its TTL ends).
   */
  quarantined(id: string, connector: string): Alarm {
    return this.#alarm(id, this.#perInstance(quarantinedMetric, connector), {
      description: `Ferry: "${connector}" instances quarantined events that could not become incidents; the alarm's contributors are the instances. List them with "ferry quarantine <instance> --aws"; re-drive them once the connector or its mapping is fixed.`,
    });
  }

  #perInstance(metric: { readonly namespace: string; readonly metricName: string }, connector: string) {
    return new MathExpression({
      expression: perInstanceQuery(metric, connector),
      label: `${metric.metricName} by instance`,
      period: alarmPeriod,
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
