import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateTableActions } from '../../cdk/connector-function.js';
import { fetchErrorsMetric } from '../../cdk/ferry-alarms.js';
import { incidentsTableActions } from '../../cdk/ingestion-api.js';
import { byArrivalIndex } from '../../functions/ingest/incident-store.js';
import { instanceDocumentSchema } from '../../shared/config/schema.js';
import { STATE_TTL_ATTRIBUTE } from '../../shared/state/table-layout.js';
import {
  functionIdOf,
  logicalIdOf,
  renderIntrinsics,
  roleIdOf,
  roleStatements,
  synthFerry,
} from './helpers.js';

const cmkArn = 'arn:aws:kms:us-east-1:123456789012:key/1111aaaa-2222-3333-4444-555566667777';
const ssm = (name: string) => `arn:aws:ssm:us-east-1:123456789012:parameter${name}`;

/** Two connectors, every kind of sink and secret, a paused instance, per-function settings. */
const richConfig = {
  sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
  historyRetentionDays: 45,
  instances: {
    demo: {
      connector: 'helloworld',
      fetchInterval: '5 minutes',
      params: { url: 'https://alerts.example.com', max_fetch: 100 },
      secrets: { apiKey: { ssm: '/ferry/secrets/demo/api-key' } },
    },
    hourly: {
      connector: 'helloworld',
      fetchInterval: '1 hour',
      params: { url: 'https://alerts2.example.com' },
      secrets: { apiKey: { ssm: '/ferry/secrets/hourly/api-key:3' } },
    },
    paused: {
      connector: 'helloworld',
      enabled: false,
      params: { url: 'https://alerts3.example.com' },
      secrets: { apiKey: { env: 'DEMO_API_KEY' } },
    },
    'to-bus': {
      connector: 'other',
      fetchInterval: '1 minute',
      params: { url: 'https://other.example.com' },
      secrets: { apiKey: { ssm: '/ferry/secrets/other/api-key' } },
      sink: { type: 'eventbridge', eventBusName: 'soc' },
    },
    external: {
      connector: 'other',
      params: { url: 'https://other2.example.com' },
      secrets: { apiKey: { ssm: '/shared/api-key' } },
      sink: { type: 'ferry', url: 'https://ingest.example.com', token: { ssm: '/ferry/external-token' } },
    },
  },
  functions: {
    helloworld: { memoryMb: 512, timeoutSeconds: 120, logRetentionDays: 14 },
    ingest: { timeoutSeconds: 20 },
  },
};

/** One instance pushing to an endpoint of its own: no ingestion API in the stack. */
const externalSinkConfig = {
  sink: { type: 'ferry', url: 'https://ingest.example.com', token: { ssm: '/ferry/external-token' } },
  instances: {
    demo: {
      connector: 'helloworld',
      params: { url: 'https://alerts.example.com' },
      secrets: { apiKey: { ssm: '/ferry/secrets/demo/api-key' } },
    },
  },
};

let rich: ReturnType<typeof synthFerry>;
let external: ReturnType<typeof synthFerry>;
let template: Template;

beforeAll(() => {
  rich = synthFerry({
    config: richConfig,
    context: { secureStringKeyArn: cmkArn, alarmEmail: 'soc@example.com' },
  });
  external = synthFerry({ config: externalSinkConfig });
  template = rich.template;
});

const helloworldFn = () => functionIdOf(template, 'Ferry connector "helloworld"');
const otherFn = () => functionIdOf(template, 'Ferry connector "other"');
const ingestFn = () => functionIdOf(template, 'Ferry ingestion endpoint');

describe('state table', () => {
  it('is keyed pk/sk, on demand, recoverable, encrypted, with TTL on expiresAt, retained', () => {
    const tables = template.findResources('AWS::DynamoDB::Table', {
      Properties: { TimeToLiveSpecification: Match.anyValue() },
    });
    expect(Object.keys(tables)).toHaveLength(1);
    const [table] = Object.values(tables);

    expect(STATE_TTL_ATTRIBUTE).toBe('expiresAt');
    expect(table).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('is destroyed with the stack only when asked to', () => {
    const destroyed = synthFerry({ config: externalSinkConfig, context: { removalPolicy: 'destroy' } });

    destroyed.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    destroyed.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});

describe('ingestion endpoint', () => {
  it('stores incidents in a table built from incidentsTableDefinition, with the arrival index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: byArrivalIndex,
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'arrival', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('serves POST and GET /incidents and GET /health through an HTTP API, throttled and access-logged', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual(['GET /health', 'GET /incidents', 'POST /incidents']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [ingestFn(), 'Arn'] },
    });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    // The Authorization header carries the token: no header is logged.
    expect(stage.AccessLogSettings.Format).not.toMatch(/header/i);
  });

  it('runs the ingest function with its table and the NAME of its token parameter, never a value', () => {
    const incidentsTable = logicalIdOf(template, 'AWS::DynamoDB::Table', (p) =>
      Boolean(p.GlobalSecondaryIndexes),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Ferry ingestion endpoint'),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 20,
      Environment: {
        Variables: {
          INCIDENTS_TABLE: { Ref: incidentsTable },
          INGEST_TOKEN_PARAMETER: '/ferry/ingest-token',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(Object.keys(template.findResources('AWS::SSM::Parameter'))).toHaveLength(5); // instances only
  });

  it('is left out when every sink has its own URL', () => {
    external.template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    external.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const fn = functionIdOf(external.template, 'Ferry connector "helloworld"');
    const variables = external.template.toJSON().Resources[fn].Properties.Environment.Variables;
    expect(variables).not.toHaveProperty('FERRY_INGEST_URL');
    expect(Object.keys(external.template.toJSON().Outputs)).not.toContain('IngestUrl');
  });
});

describe('connector functions', () => {
  it('runs one bundled ESM function per connector in use: Node 22, ARM64, settings from the config', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    const stateTable = logicalIdOf(template, 'AWS::DynamoDB::Table', (p) =>
      Boolean(p.TimeToLiveSpecification),
    );
    const functions = template.toJSON().Resources;
    const hello = functions[helloworldFn()].Properties;
    const other = functions[otherFn()].Properties;

    expect(hello).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
    expect([hello.MemorySize, hello.Timeout, other.MemorySize, other.Timeout]).toEqual([512, 120, 256, 60]);
    expect(hello.LoggingConfig.LogFormat).toBe('JSON');
    expect(renderIntrinsics(template, hello.Environment.Variables)).toEqual({
      STATE_TABLE: `ref:${stateTable}`,
      FERRY_INGEST_URL: `https://ref:${Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))[0]}.execute-api.us-east-1.amazonaws.com/`,
      HISTORY_RETENTION_DAYS: '45',
      INSTANCE_PARAMETER_PREFIX: '/ferry/instances/',
      POWERTOOLS_METRICS_NAMESPACE: 'Ferry',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('logs to its own log group with the configured retention, and is not retried by Lambda', () => {
    const hello = template.toJSON().Resources[helloworldFn()].Properties;
    const logGroup = template.toJSON().Resources[hello.LoggingConfig.LogGroup.Ref];

    expect(logGroup).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 14 } });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: helloworldFn() },
      MaximumRetryAttempts: 0,
    });
  });
});

describe('instance parameters', () => {
  it('stores each instance document as an SSM String at /ferry/instances/<id>, secret references only', () => {
    const parameters = Object.values(template.findResources('AWS::SSM::Parameter')).map((p) => p.Properties);
    const documents = parameters.map((p) => {
      expect(p).toMatchObject({ Type: 'String', Tier: 'Standard', DataType: 'text' });
      return { name: p.Name, document: instanceDocumentSchema.parse(JSON.parse(p.Value)) };
    });

    expect(documents.map((d) => d.name).sort()).toEqual(
      ['demo', 'external', 'hourly', 'paused', 'to-bus'].map((id) => `/ferry/instances/${id}`),
    );
    const demo = documents.find((d) => d.document.id === 'demo')!.document;
    expect(demo).toEqual({
      id: 'demo',
      connector: 'helloworld',
      enabled: true,
      fetchInterval: '5 minutes',
      params: { url: 'https://alerts.example.com', max_fetch: 100 },
      secrets: { apiKey: { ssm: '/ferry/secrets/demo/api-key' } },
      sink: { type: 'ferry', token: { ssm: '/ferry/ingest-token' } },
      historyRetentionDays: 45,
    });
  });

  it('uses the Advanced tier only for a document too large for Standard', () => {
    const big = synthFerry({
      config: {
        ...externalSinkConfig,
        instances: {
          demo: {
            ...externalSinkConfig.instances.demo,
            params: { url: 'https://a.example.com', query: 'q'.repeat(5000) },
          },
        },
      },
    });

    big.template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/ferry/instances/demo',
      Tier: 'Advanced',
    });
  });
});

describe('schedules', () => {
  // biome-ignore lint/suspicious/noExplicitAny: template properties, read as JSON
  const schedules = (): Record<string, any> =>
    Object.fromEntries(
      Object.values(template.findResources('AWS::Scheduler::Schedule')).map((s) => [
        s.Properties.Name,
        s.Properties,
      ]),
    );

  it('invokes the connector function every fetch interval with {"instanceId": ...}', () => {
    const all = schedules();

    expect(Object.keys(all).sort()).toEqual(['demo', 'external', 'hourly', 'paused', 'to-bus']);
    expect(Object.fromEntries(Object.entries(all).map(([name, s]) => [name, s.ScheduleExpression]))).toEqual({
      demo: 'rate(5 minutes)',
      hourly: 'rate(60 minutes)',
      paused: 'rate(1 minute)',
      'to-bus': 'rate(1 minute)',
      external: 'rate(1 minute)',
    });
    expect(all.demo).toMatchObject({
      // Dispersed over its interval, so schedules deployed together do not fire together.
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [helloworldFn(), 'Arn'] },
        Input: '{"instanceId":"demo"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 300 },
      },
    });
    expect(all['to-bus'].Target.Arn).toEqual({ 'Fn::GetAtt': [otherFn(), 'Arn'] });
  });

  it('spreads every schedule over its interval, at most 15 minutes', () => {
    const windows = Object.fromEntries(
      Object.entries(schedules()).map(([name, s]) => [name, s.FlexibleTimeWindow]),
    );

    expect(windows.paused).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1 });
    expect(windows.hourly).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 });
  });

  it("puts them in this stack's schedule group, created first", () => {
    const group = logicalIdOf(template, 'AWS::Scheduler::ScheduleGroup', () => true);
    const groupName = template.toJSON().Resources[group].Properties.Name;
    for (const schedule of Object.values(template.findResources('AWS::Scheduler::Schedule'))) {
      expect(schedule.Properties.GroupName).toBe(groupName);
      expect(schedule.DependsOn).toContain(group);
    }
  });

  it('keeps a disabled instance paused', () => {
    expect(schedules().paused.State).toBe('DISABLED');
  });

  it('parks undeliverable invocations in an encrypted, TLS-only SQS dead-letter queue', () => {
    const queue = logicalIdOf(template, 'AWS::SQS::Queue', () => true);
    for (const schedule of Object.values(schedules())) {
      expect(schedule.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } });
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });
});

describe('alarms', () => {
  const alarms = () =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  it('watches every function for errors and the dead-letter queue for depth', () => {
    const byMetric = (name: string) => alarms().filter((a) => a.MetricName === name);

    expect(
      byMetric('Errors')
        .map((a) => a.Dimensions[0].Value.Ref)
        .sort(),
    ).toEqual([helloworldFn(), ingestFn(), otherFn()].sort());
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    ]);
  });

  it('watches FetchErrors by instance with one alarm per connector, each failing instance a contributor', () => {
    const queryOf = (alarm: Record<string, unknown>) =>
      (alarm.Metrics as { Expression?: string }[] | undefined)?.find((m) => m.Expression)?.Expression ?? '';
    const fetchErrors = alarms().filter((a) => queryOf(a).includes(`SUM(${fetchErrorsMetric.metricName})`));

    expect(fetchErrors.map(queryOf).sort()).toEqual([
      `SELECT SUM(FetchErrors) FROM SCHEMA("Ferry", connector, instance) WHERE connector = 'helloworld' GROUP BY instance ORDER BY SUM() DESC LIMIT 100`,
      `SELECT SUM(FetchErrors) FROM SCHEMA("Ferry", connector, instance) WHERE connector = 'other' GROUP BY instance ORDER BY SUM() DESC LIMIT 100`,
    ]);
    for (const alarm of fetchErrors) {
      expect(alarm).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        Metrics: [expect.objectContaining({ Period: 300, ReturnData: true })],
      });
    }
    // No alarm per instance: alarms grow with the connectors, not with the instances.
    expect(alarms().filter((a) => a.MetricName === fetchErrorsMetric.metricName)).toEqual([]);
  });

  it('notifies one TLS-only topic, on alarm and on recovery, and subscribes the configured address', () => {
    const topic = logicalIdOf(template, 'AWS::SNS::Topic', () => true);
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'soc@example.com',
    });
  });
});

describe('dashboard', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the dashboard body, read as JSON once its tokens are joined
  const body = (): any => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const parts = dashboards[0]!.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
  };

  it('shows fetches, incidents pushed, errors and cursor lag per instance from the runner metrics', () => {
    const expressions = JSON.stringify(body());

    for (const metric of ['FetchErrors', 'FetchDuration', 'IncidentsPushed', 'CursorLag']) {
      expect(expressions).toContain(`SEARCH('{Ferry,connector,instance} MetricName=\\"${metric}\\"'`);
    }
  });

  it('lists the instances failing most, and the functions and dead letters beside them', () => {
    const text = JSON.stringify(body());

    expect(text).toContain('SELECT SUM(FetchErrors) FROM SCHEMA(\\"Ferry\\", connector, instance)');
    expect(text).toContain('ApproximateNumberOfMessagesVisible');
    expect(text).toContain('Throttles');
  });
});

describe('permissions', () => {
  it('lets each connector function read only its own instances and their secrets, and use only the state table', () => {
    const stateTable = logicalIdOf(template, 'AWS::DynamoDB::Table', (p) =>
      Boolean(p.TimeToLiveSpecification),
    );
    const hello = roleStatements(template, roleIdOf(template, helloworldFn()));
    const logGroup = template.toJSON().Resources[helloworldFn()].Properties.LoggingConfig.LogGroup.Ref;

    expect(Object.keys(hello).sort()).toEqual([
      'DecryptOwnInstanceSecrets',
      'ReadOwnInstanceDocuments',
      'ReadOwnInstanceSecrets',
      'StateTableReadWrite',
      'WriteOwnLogs',
    ]);
    expect(hello.WriteOwnLogs).toEqual({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`${logGroup}.Arn`],
    });
    expect(hello.StateTableReadWrite).toEqual({
      actions: [...stateTableActions],
      resources: [`${stateTable}.Arn`],
    });
    expect(hello.ReadOwnInstanceDocuments).toEqual({
      actions: ['ssm:GetParameter'],
      resources: ['/ferry/instances/demo', '/ferry/instances/hourly', '/ferry/instances/paused'].map(ssm),
    });
    expect(hello.ReadOwnInstanceSecrets).toEqual({
      actions: ['ssm:GetParameter'],
      resources: ['/ferry/ingest-token', '/ferry/secrets/demo/api-key', '/ferry/secrets/hourly/api-key'].map(
        ssm,
      ),
    });
  });

  it("gives the other connector its own instances, secrets and event bus, and not the endpoint's token it does not use", () => {
    const other = roleStatements(template, roleIdOf(template, otherFn()));

    expect(Object.keys(other).sort()).toEqual([
      'DecryptOwnInstanceSecrets',
      'PutIncidentEvents',
      'ReadOwnInstanceDocuments',
      'ReadOwnInstanceSecrets',
      'StateTableReadWrite',
      'WriteOwnLogs',
    ]);
    expect(other.ReadOwnInstanceDocuments?.resources).toEqual(
      ['/ferry/instances/external', '/ferry/instances/to-bus'].map(ssm),
    );
    expect(other.ReadOwnInstanceSecrets?.resources).toEqual(
      ['/ferry/external-token', '/ferry/secrets/other/api-key', '/shared/api-key'].map(ssm),
    );
    expect(other.PutIncidentEvents).toEqual({
      actions: ['events:PutEvents'],
      resources: ['arn:aws:events:us-east-1:123456789012:event-bus/soc'],
    });
  });

  it('decrypts with a customer managed key only through SSM and only for those SecureStrings', () => {
    const hello = roleStatements(template, roleIdOf(template, helloworldFn()));

    expect(hello.DecryptOwnInstanceSecrets).toEqual({
      actions: ['kms:Decrypt'],
      resources: [cmkArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': 'ssm.us-east-1.amazonaws.com',
          'kms:EncryptionContext:PARAMETER_ARN': [
            '/ferry/ingest-token',
            '/ferry/secrets/demo/api-key',
            '/ferry/secrets/hourly/api-key',
          ].map(ssm),
        },
      },
    });
  });

  it('needs no KMS permission for the AWS managed aws/ssm key', () => {
    const hello = roleStatements(
      external.template,
      roleIdOf(external.template, functionIdOf(external.template, 'Ferry connector')),
    );

    expect(Object.keys(hello).sort()).toEqual([
      'ReadOwnInstanceDocuments',
      'ReadOwnInstanceSecrets',
      'StateTableReadWrite',
      'WriteOwnLogs',
    ]);
    expect(hello.ReadOwnInstanceSecrets?.resources).toEqual(
      ['/ferry/external-token', '/ferry/secrets/demo/api-key'].map(ssm),
    );
  });

  it('lets the ingest function store and list incidents and read its token, nothing else', () => {
    const incidentsTable = logicalIdOf(template, 'AWS::DynamoDB::Table', (p) =>
      Boolean(p.GlobalSecondaryIndexes),
    );
    const ingest = roleStatements(template, roleIdOf(template, ingestFn()));

    expect(Object.keys(ingest).sort()).toEqual([
      'DecryptIngestToken',
      'ListIncidents',
      'ReadIngestToken',
      'StoreIncidents',
      'WriteOwnLogs',
    ]);
    expect(ingest.StoreIncidents).toEqual({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: [`${incidentsTable}.Arn`],
    });
    expect(ingest.ListIncidents).toEqual({
      actions: ['dynamodb:Query'],
      resources: [`${incidentsTable}.Arn/index/${byArrivalIndex}`],
    });
    expect(ingest.ReadIngestToken).toEqual({
      actions: ['ssm:GetParameter'],
      resources: [ssm('/ferry/ingest-token')],
    });
    expect(ingest.DecryptIngestToken?.conditions).toEqual({
      StringEquals: {
        'kms:ViaService': 'ssm.us-east-1.amazonaws.com',
        'kms:EncryptionContext:PARAMETER_ARN': ssm('/ferry/ingest-token'),
      },
    });
  });

  it("lets Scheduler invoke exactly one function per role, only from this stack's schedule group", () => {
    const group = logicalIdOf(template, 'AWS::Scheduler::ScheduleGroup', () => true);
    const queue = logicalIdOf(template, 'AWS::SQS::Queue', () => true);
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    const roleOf = (fn: string) =>
      schedules.find((s) => s.Properties.Target.Arn['Fn::GetAtt'][0] === fn)!.Properties.Target.RoleArn[
        'Fn::GetAtt'
      ][0];

    for (const fn of [helloworldFn(), otherFn()]) {
      const role = roleOf(fn);
      expect(roleStatements(template, role)).toEqual({
        InvokeConnectorFunction: { actions: ['lambda:InvokeFunction'], resources: [`${fn}.Arn`] },
        WriteDeadLetters: { actions: ['sqs:SendMessage'], resources: [`${queue}.Arn`] },
      });
      expect(template.toJSON().Resources[role].Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': { 'Fn::GetAtt': [group, 'Arn'] },
            },
          },
        },
      ]);
    }
    expect(roleOf(helloworldFn())).not.toBe(roleOf(otherFn()));
  });

  it('has no wildcard action, no wildcard resource and no managed policy anywhere', () => {
    for (const t of [template, external.template]) {
      const policies = Object.values(t.findResources('AWS::IAM::Policy'));
      expect(policies.length).toBeGreaterThan(0);
      for (const policy of policies) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
          for (const resource of [statement.Resource].flat()) expect(resource).not.toBe('*');
        }
      }
      for (const role of Object.values(t.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('grants the state table exactly the DynamoDB calls the state store and the ledger make', () => {
    const dir = join(import.meta.dirname, '../../shared/state');
    const source = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .join('\n');
    // IAM has no TransactWriteItems action: a transaction is authorized by its items' own actions
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html),
    // here the commit's UpdateItem and PutItem.
    const used = [...source.matchAll(/new (\w+)Command\(/g)]
      .map((match) => match[1]!)
      .flatMap((command) => (command === 'TransactWrite' ? ['Update', 'Put'] : [command]));
    const action = (command: string) =>
      `dynamodb:${({ Get: 'GetItem', Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', BatchGet: 'BatchGetItem', BatchWrite: 'BatchWriteItem' } as Record<string, string>)[command] ?? command}`;

    expect([...new Set(used.map(action))].sort()).toEqual([...stateTableActions]);
  });

  it('grants the incidents table exactly the DynamoDB calls the incident store makes', () => {
    const source = readFileSync(
      join(import.meta.dirname, '../../functions/ingest/incident-store.ts'),
      'utf8',
    );
    const used = [...new Set([...source.matchAll(/new (\w+)Command\(/g)].map((match) => match[1]))].sort();

    expect(used).toEqual(['Get', 'Put', 'Query']);
    expect(incidentsTableActions).toEqual({
      table: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      index: ['dynamodb:Query'],
    });
  });
});

describe('outputs', () => {
  it('names the ingestion URL, the tables, the functions and where the token goes', () => {
    const outputs = renderIntrinsics(template, template.toJSON().Outputs) as Record<
      string,
      { Value: string }
    >;

    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmTopicArn',
      'DeadLetterQueueUrl',
      'HelloworldFunctionName',
      'IncidentsTableName',
      'IngestFunctionName',
      'IngestTokenParameterName',
      'IngestUrl',
      'OtherFunctionName',
      'StateTableName',
    ]);
    expect(outputs.HelloworldFunctionName?.Value).toBe(`ref:${helloworldFn()}`);
    expect(outputs.IngestUrl?.Value).toMatch(/^https:\/\/ref:\w+\.execute-api\.us-east-1\.amazonaws\.com\/$/);
    expect(outputs.IngestTokenParameterName?.Value).toBe('/ferry/ingest-token');
  });
});

describe('cdk-nag', () => {
  const acknowledgments = (root: IConstruct) =>
    root.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason] as const);

  it('finds nothing the AwsSolutions pack would flag, errors or warnings, that is not acknowledged', () => {
    for (const { app } of [rich, external]) {
      const report = new AwsSolutionsChecks(app).validateScope(app);

      expect(
        report.violations.map(
          (v) =>
            `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
      ).toEqual([]);
    }
  });

  it('gives every acknowledgment a reason', () => {
    const acknowledged = acknowledgments(rich.app);

    expect(acknowledged.map(([id]) => id).sort()).toEqual(
      expect.arrayContaining([
        'AwsSolutions-APIG4',
        'AwsSolutions-L1',
        'AwsSolutions-SNS2',
        'AwsSolutions-SQS3',
      ]),
    );
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(60);
  });
});
