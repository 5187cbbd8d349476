/**
 * The AWS prices the cost model uses: public on-demand list prices in us-east-1 (N. Virginia), as
 * data, in one place. Free tiers are left out: at the scale the model is for (thousands of instances)
 * they round away. Change a figure here and `npm run bench -- --only units` prices every row again.
 *
 * Taken as of 2025-01 from the AWS pricing pages named in `source` (recorded from knowledge of those
 * pages at that date, not fetched by the benchmark: the machine that runs it has no network). Check
 * them against the pages before quoting a figure.
 */
export const awsPrices = {
  region: 'us-east-1',
  asOf: '2025-01',
  lambda: {
    source: 'https://aws.amazon.com/lambda/pricing/',
    /** Per request. */
    perRequest: 0.2 / 1e6,
    /** Per GB-second on arm64 (the stack's `lambdaArchitecture`), first 7.5 billion GB-s a month. */
    perGbSecondArm64: 0.0000133334,
  },
  scheduler: {
    source: 'https://aws.amazon.com/eventbridge/pricing/ (EventBridge Scheduler)',
    /** Per scheduled invocation. */
    perInvocation: 1.0 / 1e6,
  },
  dynamodb: {
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (prices since 2024-11-01)',
    /** Per write request unit, on demand (standard table class). */
    perWriteUnit: 0.625 / 1e6,
    /** Per read request unit, on demand. */
    perReadUnit: 0.125 / 1e6,
    /** Per GB-month stored (standard table class), past the first 25 GB. */
    perGbMonth: 0.25,
    /** Continuous backups (point-in-time recovery, which the state table enables), per GB-month. */
    pitrPerGbMonth: 0.2,
  },
  cloudwatch: {
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    /** Per custom metric (each name × dimension set) a month, first 10,000 metrics. */
    perMetricMonthFirst10k: 0.3,
    /** Per custom metric a month, metrics 10,001 to 250,000. */
    perMetricMonthNext240k: 0.1,
    /** Per standard-resolution alarm a month. */
    perAlarmMonth: 0.1,
    /** Logs ingested (EMF lines included), per GB. */
    logsPerGbIngested: 0.5,
    /** Logs stored, per GB-month (compressed). */
    logsPerGbMonthStored: 0.03,
  },
  sqs: {
    source: 'https://aws.amazon.com/sqs/pricing/',
    /** Per standard-queue request (64 KB chunk). */
    perRequest: 0.4 / 1e6,
  },
  ssm: {
    source: 'https://aws.amazon.com/systems-manager/pricing/ (Parameter Store)',
    /**
     * Per API interaction (GetParameter, GetParameters, ...) once higher throughput is on; at the
     * standard throughput interactions with standard parameters cost nothing.
     */
    perApiInteractionHighThroughput: 0.05 / 10_000,
    /** Per advanced parameter a month (a document over 4 KB). */
    perAdvancedParameterMonth: 0.05,
  },
  sns: {
    source: 'https://aws.amazon.com/sns/pricing/',
    /** Per publish (64 KB chunk). */
    perPublish: 0.5 / 1e6,
  },
} as const;

/** Hours in the month the model bills (AWS prices a month as 730 hours). */
export const HOURS_PER_MONTH = 730;
