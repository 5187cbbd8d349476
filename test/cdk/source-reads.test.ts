import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { stateTableActions } from '../../cdk/connector-function.js';
import { connectors } from '../../functions/connectors.js';
import { functionIdOf, roleIdOf, roleStatements, synthFerry } from './helpers.js';

const detector = '12abc34d567e8fa901bc2d34e56789f0';
const otherDetector = 'abcdef0123456789abcdef0123456789';

/** Security Hub in the stack's Region and in another; GuardDuty on two detectors; an unrelated connector. */
const config = {
  sink: { type: 'ferry' },
  instances: {
    hub: {
      connector: 'securityhub',
      fetchInterval: '5 minutes',
      params: { first_fetch: '1 day', look_back: 10 },
    },
    'hub-eu': { connector: 'securityhub', fetchInterval: '5 minutes', params: { region: 'eu-west-1' } },
    'gd-main': { connector: 'guardduty', fetchInterval: '5 minutes', params: { detector_id: detector } },
    'gd-eu': {
      connector: 'guardduty',
      fetchInterval: '5 minutes',
      params: { detector_id: otherDetector, region: 'eu-west-1' },
    },
    demo: {
      connector: 'helloworld',
      params: { url: 'https://alerts.example.com' },
      secrets: { apiKey: { ssm: '/ferry/secrets/demo/api-key' } },
    },
  },
};

const synth = () =>
  synthFerry({ config, connectors, connectorEntry: (name) => `functions/${name}/handler.ts` });

describe('the roles of AWS-native connectors (cdk synth of Security Hub and GuardDuty instances)', () => {
  const { app, template } = synth();
  const statementsOf = (connector: string) =>
    roleStatements(template, roleIdOf(template, functionIdOf(template, `Ferry connector "${connector}"`)));
  const document = (id: string) => `arn:aws:ssm:us-east-1:123456789012:parameter/ferry/instances/${id}`;
  // What every connector function holds besides its source: its logs, the state table, the endpoint's token.
  const base = {
    StateTableReadWrite: { actions: [...stateTableActions].sort(), resources: [expect.any(String)] },
    WriteOwnLogs: { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [expect.any(String)] },
    ReadOwnInstanceSecrets: {
      actions: ['ssm:GetParameter'],
      resources: ['arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ingest-token'],
    },
  };

  it('lets the Security Hub function call only GetFindings, on exactly the hubs of its instances', () => {
    expect(statementsOf('securityhub')).toEqual({
      ...base,
      ReadOwnInstanceDocuments: {
        actions: ['ssm:GetParameter'],
        resources: [document('hub'), document('hub-eu')],
      },
      ReadSecurityHubFindings: {
        actions: ['securityhub:GetFindings'],
        resources: [
          'arn:aws:securityhub:eu-west-1:123456789012:hub/default',
          'arn:aws:securityhub:us-east-1:123456789012:hub/default',
        ],
      },
    });
  });

  it('lets the GuardDuty function list and get findings only of the detectors its instances name', () => {
    expect(statementsOf('guardduty')).toEqual({
      ...base,
      ReadOwnInstanceDocuments: {
        actions: ['ssm:GetParameter'],
        resources: [document('gd-eu'), document('gd-main')],
      },
      ReadGuardDutyFindings: {
        actions: ['guardduty:GetFindings', 'guardduty:ListFindings'],
        resources: [
          `arn:aws:guardduty:eu-west-1:123456789012:detector/${otherDetector}`,
          `arn:aws:guardduty:us-east-1:123456789012:detector/${detector}`,
        ],
      },
    });
  });

  it('gives no other function a Security Hub or GuardDuty permission', () => {
    const hello = statementsOf('helloworld');

    expect(Object.values(hello).flatMap((statement) => statement.actions)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(securityhub|guardduty):/)]),
    );
  });

  it('is cdk-nag clean', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);

    expect(
      report.violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
