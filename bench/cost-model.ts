import { awsPrices, HOURS_PER_MONTH } from './aws-prices.js';

/** What one steady instance costs to run, measured per invocation; the model prices a month of it. */
export interface InstanceUsage {
  /** Incidents an hour. */
  readonly perHour: number;
  /** Minutes between fetches (the schedule's rate). */
  readonly intervalMinutes: number;
  /** DynamoDB units one invocation consumed, as DynamoDB reported them. */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Handler duration of one invocation, ms (Lambda bills it rounded up to the ms). */
  readonly durationMs: number;
  /** The function's memory (`functions.<connector>.memoryMb`). */
  readonly memoryMb: number;
  /** What the instance keeps in the state table in steady state, history records included. */
  readonly storedBytes: number;
  /** Log bytes one invocation writes (EMF metrics line and Lambda's START/END/REPORT lines). */
  readonly logBytesPerInvocation: number;
  /** Custom metrics the instance publishes (each metric name × its connector/instance dimensions). */
  readonly metricsPerInstance: number;
  /** Alarms the stack creates per instance. */
  readonly alarmsPerInstance: number;
}

export interface CostLine {
  readonly component: string;
  /** USD per instance-month. */
  readonly perMonth: number;
}

export interface InstanceCost {
  readonly invocationsPerMonth: number;
  readonly lines: readonly CostLine[];
  /** USD per instance-month. */
  readonly total: number;
  /** USD per million incidents fetched. */
  readonly perMillionIncidents: number;
}

const GB = 1e9;
/** CloudWatch Logs stores logs compressed; about this ratio for JSON lines (an estimate). */
const LOG_COMPRESSION = 0.15;
/** Log retention of the functions' log groups (`logRetentionDays`), months. */
const LOG_RETENTION_MONTHS = 1;

/**
 * Prices a month of one instance at the list prices of `aws-prices.ts`. Metrics are priced at the
 * first tier (the first 10,000 metrics of the account) and at the next one, since 10,000 instances
 * publish far more than 10,000 metrics; SQS (the schedules' dead-letter queue) and SNS (the alarm
 * topic) carry nothing in steady state and cost nothing then.
 */
export const instanceCost = (usage: InstanceUsage, metricTier: 'first' | 'next' = 'first'): InstanceCost => {
  const p = awsPrices;
  const invocations = (HOURS_PER_MONTH * 60) / usage.intervalMinutes;
  const gbSeconds = invocations * (Math.ceil(usage.durationMs) / 1000) * (usage.memoryMb / 1024);
  const storedGb = usage.storedBytes / GB;
  const logGb = (invocations * usage.logBytesPerInvocation) / GB;
  const metricPrice =
    metricTier === 'first' ? p.cloudwatch.perMetricMonthFirst10k : p.cloudwatch.perMetricMonthNext240k;
  const lines: CostLine[] = [
    { component: 'Lambda requests', perMonth: invocations * p.lambda.perRequest },
    { component: 'Lambda duration (GB-s)', perMonth: gbSeconds * p.lambda.perGbSecondArm64 },
    { component: 'Scheduler invocations', perMonth: invocations * p.scheduler.perInvocation },
    { component: 'DynamoDB writes', perMonth: invocations * usage.writeUnits * p.dynamodb.perWriteUnit },
    { component: 'DynamoDB reads', perMonth: invocations * usage.readUnits * p.dynamodb.perReadUnit },
    {
      component: 'DynamoDB storage + PITR',
      perMonth: storedGb * (p.dynamodb.perGbMonth + p.dynamodb.pitrPerGbMonth),
    },
    {
      component: 'CloudWatch logs',
      perMonth:
        logGb * p.cloudwatch.logsPerGbIngested +
        logGb * LOG_COMPRESSION * LOG_RETENTION_MONTHS * p.cloudwatch.logsPerGbMonthStored,
    },
    { component: 'CloudWatch metrics', perMonth: usage.metricsPerInstance * metricPrice },
    { component: 'CloudWatch alarms', perMonth: usage.alarmsPerInstance * p.cloudwatch.perAlarmMonth },
    { component: 'SQS + SNS (idle in steady state)', perMonth: 0 },
  ];
  const total = lines.reduce((sum, line) => sum + line.perMonth, 0);
  const incidents = usage.perHour * HOURS_PER_MONTH;
  return {
    invocationsPerMonth: invocations,
    lines,
    total,
    perMillionIncidents: incidents > 0 ? (total / incidents) * 1e6 : Number.POSITIVE_INFINITY,
  };
};
