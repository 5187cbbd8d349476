import { Annotations, CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
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
import { defaultInstanceParameterPrefix } from './instance-parameter.js';
import { addInstanceResources, InstanceShard } from './instance-shard.js';
import { checkShards, groupByShard, instanceLayoutFor } from './instance-shards.js';
import type { FerryBundlingOptions } from './lambda-bundling.js';
import { ParameterStoreHighThroughput, ssmThroughputFor } from './ssm-throughput.js';
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
  /**
   * `-c instanceShards`: the number of nested stacks the instances are spread over (`instance-shards.ts`).
   * @default - the instances live in this stack (at most `maxInlineInstances`)
   */
  readonly instanceShards?: string;
  /** `-c ssmThroughput`: "standard" or "high" (`ssm-throughput.ts`). @default "standard" */
  readonly ssmThroughput?: string;
}

const outputId = (name: string): string =>
  name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/**
 * Ferry on AWS, from ferry.config.json: the state table; the ingestion endpoint when instances push to
 * it; one function and two alarms per connector in use; per instance its SSM document and its schedule,
 * in this stack or, for more than `maxInlineInstances`, in nested stacks by a hash of the instance id
 * (`instance-shards.ts`). This class only wires the constructs together.
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
    const layout = instanceLayoutFor(config.instances.length, props.instanceShards);
    const ssmThroughput = ssmThroughputFor(config.instances, props.ssmThroughput);
    Tags.of(this).add('app', 'ferry');
    const removalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;
    const secureStringKey: IKey | undefined = props.secureStringKeyArn
      ? Key.fromKeyArn(this, 'SecureStringKey', props.secureStringKeyArn)
      : undefined;

    const state = new StateTable(this, 'State', { removalPolicy });
    const alarms = new FerryAlarms(this, 'Alarms', { email: props.alarmEmail });
    const scheduler = new FetchScheduler(this, 'Scheduler');
    if (ssmThroughput === 'high') new ParameterStoreHighThroughput(this, 'ParameterStoreHighThroughput');
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
      if (layout.kind === 'sharded') fn.grantInstanceDocumentsByTag(prefix);
      alarms.functionErrors(`FunctionErrors-${connector}`, fn.function, `"${connector}" connector`);
      alarms.fetchErrors(`FetchErrors-${connector}`, connector);
      alarms.quarantined(`Quarantined-${connector}`, connector);
      new CfnOutput(this, `${outputId(connector)}FunctionName`, {
        description: `The "${connector}" connector's Lambda function`,
        value: fn.function.functionName,
      });
    }

    const everyInstance = config.instances.map((instance) => ({ id: instance.document.id, ...instance }));
    const shards = layout.kind === 'sharded' ? groupByShard(everyInstance, layout.shards) : undefined;
    if (shards && layout.kind === 'sharded') checkShards(shards, layout.shards);
    const placement: Map<number | undefined, typeof everyInstance> =
      shards ?? new Map([[undefined, everyInstance]]);
    for (const [number, members] of placement) {
      const shard =
        number === undefined
          ? undefined
          : new InstanceShard(this, number, layout.kind === 'sharded' ? layout.shards : 0, members.length);
      for (const instance of members) {
        const fn = functions.get(instance.document.connector)!;
        const { parameter } = addInstanceResources(
          this,
          { instance, prefix, scheduler, target: fn.function },
          shard,
        );
        if (!shard) fn.grantInstanceDocument(parameter);
        fn.grantSecureStrings(instance.secureStrings);
        if (instance.eventBus) fn.grantEventBus(instance.eventBus);
        for (const read of instance.sourceReads) fn.grantSourceRead(read);
      }
    }
    // Secrets are granted once every instance is known: by name, or by folder past the policy's budget.
    for (const fn of functions.values()) {
      const foreign = [
        config.ingestTokenParameterName,
        ...[...functions.values()]
          .filter((other) => other !== fn)
          .flatMap((other) => other.secureStringNames),
      ];
      fn.grantSecrets(foreign, prefix);
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
