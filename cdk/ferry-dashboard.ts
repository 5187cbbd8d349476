import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  TableWidget,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fetchErrorsMetric } from './ferry-alarms.js';

export interface FerryDashboardProps {
  /** The connector functions, by connector name. */
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly deadLetterQueue: IQueue;
  /** The reference ingestion endpoint's function, when the stack has one. */
  readonly ingestFunction?: IFunction;
  /** @default 'Ferry' */
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(5);
const { namespace } = fetchErrorsMetric;

/**
 * One line per instance of a runner metric (the embedded metrics every fetch emits, with the dimensions
 * `connector` and `instance`): a CloudWatch search, so instances added later appear without a deploy.
 */
const perInstance = (metricName: string, statistic: string, label: string): IMetric =>
  new MathExpression({
    expression: `SEARCH('{${namespace},connector,instance} MetricName="${metricName}"', '${statistic}', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
  });

/** The ten instances with most of a metric over the dashboard's time range (Metrics Insights). */
const topInstances = (metricName: string, label: string): IMetric =>
  new MathExpression({
    expression: `SELECT SUM(${metricName}) FROM SCHEMA("${namespace}", connector, instance) GROUP BY instance ORDER BY SUM() DESC LIMIT 10`,
    label,
    period: PERIOD,
  });

/**
 * The operator's page in CloudWatch: fetches, incidents pushed, errors and cursor lag per instance (from
 * the embedded metrics the runner already emits), the instances failing most, and the functions, the
 * schedule's dead-letter queue and the ingestion endpoint beside them. What to look at, and where, is
 * in docs/operations.md.
 */
export class FerryDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: FerryDashboardProps) {
    super(scope, id);
    const functions = [...props.functions.values(), ...(props.ingestFunction ? [props.ingestFunction] : [])];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? 'Ferry',
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Ferry\nFetch errors and the dead-letter queue first; then cursor lag (an instance falling behind) and incidents ' +
          'pushed (an instance gone quiet). For one instance: `ferry status --aws`, `ferry history <instance> --aws`.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Fetch errors per instance',
        left: [perInstance(fetchErrorsMetric.metricName, 'Sum', 'errors')],
        width: 12,
      }),
      new TableWidget({
        title: 'Instances failing most',
        metrics: [topInstances(fetchErrorsMetric.metricName, 'fetch errors')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Fetches per instance',
        left: [perInstance('FetchDuration', 'SampleCount', 'fetches')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Incidents pushed per instance',
        left: [perInstance('IncidentsPushed', 'Sum', 'pushed')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Cursor lag per instance (s)',
        left: [perInstance('CursorLag', 'Maximum', 'lag')],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors and throttles',
        left: functions.map((fn) => fn.metricErrors({ period: PERIOD, statistic: 'Sum' })),
        right: functions.map((fn) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum' })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function duration (p99)',
        left: functions.map((fn) => fn.metricDuration({ period: PERIOD, statistic: 'p99' })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Scheduler dead letters',
        left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD })],
        width: 8,
      }),
    );
  }
}
