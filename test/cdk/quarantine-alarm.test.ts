import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { perInstanceQuery, quarantinedMetric } from '../../cdk/ferry-alarms.js';
import { createRunMetrics } from '../../shared/metrics.js';
import { emptyHistoryRecord } from '../../shared/state/history-record.js';
import { synthFerry } from './helpers.js';

const config = {
  sink: { type: 'ferry' },
  instances: {
    demo: {
      connector: 'helloworld',
      params: { url: 'https://alerts.example.com' },
      secrets: { apiKey: { ssm: '/ferry/demo/api-key' } },
    },
    hourly: {
      connector: 'helloworld',
      fetchInterval: '1 hour',
      params: { url: 'https://alerts.example.com' },
      secrets: { apiKey: { ssm: '/ferry/hourly/api-key' } },
    },
  },
};

describe('the quarantine alarm', () => {
  it('watches IncidentsQuarantined by instance for each connector, and notifies the alarm topic', () => {
    const { template } = synthFerry({ config });

    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((resource) => resource.Properties)
      .filter((alarm) =>
        alarm.Metrics?.some((m: { Expression?: string }) =>
          m.Expression?.includes(quarantinedMetric.metricName),
        ),
      );

    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Metrics: [
        {
          Expression: perInstanceQuery(quarantinedMetric, 'helloworld'),
          Period: 300,
          ReturnData: true,
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('ferry quarantine <instance> --aws'),
    });
    expect(perInstanceQuery(quarantinedMetric, 'helloworld')).toBe(
      `SELECT SUM(IncidentsQuarantined) FROM SCHEMA("Ferry", connector, instance) WHERE connector = 'helloworld' GROUP BY instance ORDER BY SUM() DESC LIMIT 100`,
    );
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    expect(alarms[0].AlarmActions).toEqual([{ Ref: topic }]);
  });

  it('is fed by the metric the runner publishes, with exactly the dimensions the alarm matches', () => {
    const lines: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const publish = createRunMetrics({ metrics: new Metrics({ namespace: 'Ferry', serviceName: 'ferry' }) });

    try {
      publish({
        kind: 'fetch',
        ...emptyHistoryRecord({
          instanceId: 'demo',
          connector: 'helloworld',
          runId: 'r1',
          startedAt: new Date().toISOString(),
          status: 'ok',
        }),
        pulled: 50,
        pushed: 49,
        quarantined: 1,
      });
    } finally {
      stdout.mockRestore();
    }

    const emf = lines.map((line) => JSON.parse(line)).find((doc) => doc._aws);
    const set = emf._aws.CloudWatchMetrics.find((s: { Metrics: { Name: string }[] }) =>
      s.Metrics.some((m) => m.Name === quarantinedMetric.metricName),
    );
    expect(set).toMatchObject({
      Namespace: quarantinedMetric.namespace,
      Dimensions: [[...quarantinedMetric.dimensions]],
    });
    expect(emf[quarantinedMetric.metricName]).toBe(1);
    expect(emf).toMatchObject({ connector: 'helloworld', instance: 'demo' });
  });
});
