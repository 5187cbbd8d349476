import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { InstanceDocument } from '../shared/config/schema.js';
import { ConfigError } from '../shared/errors.js';
import { ConnectorFunction } from './connector-function.js';
import type { DeployConfig } from './deploy-config.js';
import { FerryAlarms } from './ferry-alarms.js';
import { FerryDashboard } from './ferry-dashboard.js';
import { FetchScheduler } from './fetch-scheduler.js';
import { ingestFunctionKey } from './function-settings.js';
import { ingestThrottleFor } from './ingest-throttle.js';
import { IngestionApi } from './ingestion-api.js';
import { defaultInstanceParameterPrefix, InstanceParameter } from './instance-parameter.js';
import type { FerryBundlingOptions } from './lambda-bundling.js';
import { StateTable } from './state-table.js';

export interface FerryStackProps extends StackProps {
  /** ferry.config.json, checked for AWS (`readDeployConfig`). */
  readonly config: DeployConfig;
  /** Where instance documents live; must start and end with "/". @default '/ferry/instances/' */
  readonly instanceParameterPrefix?: string;
  /**
   * ARN of the customer managed KMS key the SecureStrings (secrets, ingestion token) are encrypted with.
   * @default - the AWS managed key aws/ssm
   */
  readonly secureStringKeyArn?: string;
  /** What happens to the tables when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /** Subscribe this address to the alarms. @default - no subscription */
  readonly alarmEmail?: string;
  /** @default - no metafile */
  readonly bundling?: FerryBundlingOptions;
  /** Where a connector's handler is, relative to the repository root. @default `functions/<connector>/handler.ts` */
  readonly connectorEntry?: (connector: string) => string;
}

const outputId = (name: string): string =>
  name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/**
 * Ferry on AWS, from ferry.config.json: the state table; the ingestion endpoint when instances push to
 * it; one function per connector in use; per instance its SSM document, its schedule and its alarm.
 * This class only wires the constructs together.
 */
/** Which optional sinks the instances of one connector push to. */
const sinksUsedBy = (instances: readonly { document: InstanceDocument }[], connector: string) => {
  const types = new Set(
    instances.filter((i) => i.document.connector === connector).map((i) => i.document.sink.type),
  );
  return { xsoar: types.has('xsoar'), eventbridge: types.has('eventbridge') };
};

export class FerryStack extends Stack {
  constructor(scope: Construct, id: string, props: FerryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = props.instanceParameterPrefix ?? defaultInstanceParameterPrefix;
    if (!/^\/(?:[A-Za-z0-9_.-]+\/)*$/.test(prefix)) {
      throw new ConfigError(
        `instanceParameterPrefix "${prefix}" must start and end with "/" (like "/ferry/instances/").`,
        undefined,
        'instanceParameterPrefix',
      );
    }
    Tags.of(this).add('app', 'ferry');
    const removalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;
    const secureStringKey: IKey | undefined = props.secureStringKeyArn
      ? Key.fromKeyArn(this, 'SecureStringKey', props.secureStringKeyArn)
      : undefined;

    const state = new StateTable(this, 'State', { removalPolicy });
    const alarms = new FerryAlarms(this, 'Alarms', { email: props.alarmEmail });
    const scheduler = new FetchScheduler(this, 'Scheduler');
    alarms.deadLetters('DeadLetters', scheduler.deadLetterQueue);

    // The endpoint's throttle follows the instance count: no instance meets a 429 by design.
    const ingestThrottle = ingestThrottleFor(config.instances);
    if (config.ingestEndpoint && ingestThrottle.warning)
      Annotations.of(this).addWarningV2('ferry:ingest-quota', ingestThrottle.warning);
    const ingestion = config.ingestEndpoint
      ? new IngestionApi(this, 'Ingestion', {
          tokenParameterName: config.ingestTokenParameterName,
          instanceTokenParameterNames: config.instanceTokenParameterNames,
          throttle: ingestThrottle.throttle,
          settings: config.functions[ingestFunctionKey]!,
          removalPolicy,
          secureStringKey,
          bundling: props.bundling,
        })
      : undefined;
    if (ingestion) alarms.functionErrors('IngestErrors', ingestion.function, 'ingest');

    const functions = new Map<string, ConnectorFunction>();
    for (const connector of config.connectors) {
      const fn = new ConnectorFunction(this, `Connector-${connector}`, {
        connector,
        entry: props.connectorEntry?.(connector),
        stateTable: state.table,
        settings: config.functions[connector]!,
        historyRetentionDays: config.historyRetentionDays,
        instanceParameterPrefix: prefix,
        ingestUrl: ingestion?.url,
        secureStringKey,
        // Only the sinks this connector's instances push to are bundled (smaller, faster cold starts).
        bundling: { ...props.bundling, sinks: sinksUsedBy(config.instances, connector) },
      });
      functions.set(connector, fn);
      alarms.functionErrors(`FunctionErrors-${connector}`, fn.function, `"${connector}" connector`);
      new CfnOutput(this, `${outputId(connector)}FunctionName`, {
        description: `The "${connector}" connector's Lambda function`,
        value: fn.function.functionName,
      });
    }

    for (const instance of config.instances) {
      const { document } = instance;
      const fn = functions.get(document.connector)!;
      const parameter = new InstanceParameter(this, `Instance-${document.id}`, { document, prefix });
      fn.grantInstanceDocument(parameter);
      fn.grantSecureStrings(instance.secureStrings);
      if (instance.eventBus) fn.grantEventBus(instance.eventBus);
      for (const read of instance.sourceReads) fn.grantSourceRead(read);
      scheduler.schedule({
        instanceId: document.id,
        connector: document.connector,
        target: fn.function,
        rateMinutes: instance.rateMinutes,
        enabled: document.enabled,
      });
      const watched = {
        connector: document.connector,
        instanceId: document.id,
        interval: Duration.minutes(instance.rateMinutes),
      };
      alarms.fetchErrors(`FetchErrors-${document.id}`, watched);
      alarms.quarantined(`Quarantined-${document.id}`, watched);
    }

    new FerryDashboard(this, 'Dashboard', {
      functions: new Map([...functions].map(([connector, fn]) => [connector, fn.function])),
      deadLetterQueue: scheduler.deadLetterQueue,
      ingestFunction: ingestion?.function,
    });

    config.warnings.forEach((warning, index) => {
      Annotations.of(this).addWarningV2(`ferry:config-${index + 1}`, warning);
    });
    new CfnOutput(this, 'StateTableName', { value: state.table.tableName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: scheduler.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
    if (ingestion) {
      new CfnOutput(this, 'IngestUrl', {
        description: 'The ingestion endpoint (POST/GET /incidents with "Authorization: Bearer <token>")',
        value: ingestion.url,
      });
      new CfnOutput(this, 'IncidentsTableName', { value: ingestion.table.tableName });
      new CfnOutput(this, 'IngestFunctionName', { value: ingestion.function.functionName });
      new CfnOutput(this, 'IngestTokenParameterName', {
        description:
          'Put the token here: aws ssm put-parameter --type SecureString --name <this> --value <token>',
        value: config.ingestTokenParameterName,
      });
    }
  }
}
