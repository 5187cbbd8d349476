import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ConfigError } from '../shared/errors.js';
import { FerryFunction } from './ferry-function.js';
import type { FunctionSettings } from './function-settings.js';
import type { InstanceParameter } from './instance-parameter.js';
import type { FerryBundlingOptions } from './lambda-bundling.js';
import { projectRoot } from './lambda-bundling.js';
import { type SecretGrants, secretGrantsFor } from './secret-grants.js';
import type { SourceRead } from './source-reads.js';
import { ssmParameterArn } from './ssm-parameter-arn.js';

/**
 * What a connector function sends to the state table: the state store (`shared/state/`: lease and
 * commit UpdateItem, history PutItem, reads GetItem, listing Query) and the sinks' delivery ledger
 * (BatchGetItem, BatchWriteItem). A test derives this list from the commands that source uses.
 */
export const stateTableActions = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

export interface ConnectorFunctionProps {
  readonly connector: string;
  /** The handler module, relative to the repository root. @default `functions/<connector>/handler.ts` */
  readonly entry?: string;
  readonly stateTable: ITable;
  readonly settings: FunctionSettings;
  /** How long fetch history is kept (`historyRetentionDays`). */
  readonly historyRetentionDays: number;
  /** Where the instance documents live, ending in "/". */
  readonly instanceParameterPrefix: string;
  /** The ingestion endpoint's URL (`FERRY_INGEST_URL`). @default - none: instances name their sink's URL */
  readonly ingestUrl?: string;
  /**
   * The customer managed key the SecureStrings are encrypted with.
   * @default - the AWS managed key `aws/ssm`, whose key policy already lets any principal of the account
   * decrypt through SSM, so `ssm:GetParameter` on the parameter is the whole permission
   */
  readonly secureStringKey?: IKey;
  /** @default - no metafile */
  readonly bundling?: FerryBundlingOptions;
}

/**
 * The tag every instance document carries with its connector's name. A sharded deployment grants each
 * function the documents under the prefix that carry its own connector's tag (one statement whatever
 * the instance count) instead of one ARN per instance.
 */
export const connectorTagKey = 'ferry-connector';

/**
 * The Lambda function of one connector, shared by all its instances (the schedule's input names the
 * instance). It may read and write the state table and read only the SSM parameters it is granted:
 * its own instances' documents and their SecureStrings.
 */
export class ConnectorFunction extends Construct {
  readonly function: IFunction;
  readonly connector: string;
  readonly #role: IRole;
  readonly #secureStringKey?: IKey;
  readonly #secretNames = new Set<string>();
  #secretGrants?: SecretGrants;
  #documents?: PolicyStatement;
  #secrets?: PolicyStatement;
  #decrypt?: PolicyStatement;
  #eventBuses?: PolicyStatement;
  readonly #sourceReads = new Map<string, PolicyStatement>();

  constructor(scope: Construct, id: string, props: ConnectorFunctionProps) {
    super(scope, id);
    this.connector = props.connector;
    this.#secureStringKey = props.secureStringKey;
    const entry = props.entry ?? `functions/${props.connector}/handler.ts`;
    if (!existsSync(join(projectRoot, entry))) {
      throw new ConfigError(
        `Connector "${props.connector}" has no Lambda handler: create ${entry} (see functions/helloworld/handler.ts).`,
        undefined,
        'connector',
      );
    }
    const ferryFunction = new FerryFunction(this, 'Lambda', {
      entry,
      description: `Ferry connector "${props.connector}": fetches incidents for its instances on their schedules`,
      settings: props.settings,
      environment: {
        STATE_TABLE: props.stateTable.tableName,
        HISTORY_RETENTION_DAYS: String(props.historyRetentionDays),
        INSTANCE_PARAMETER_PREFIX: props.instanceParameterPrefix,
        POWERTOOLS_METRICS_NAMESPACE: 'Ferry',
        ...(props.ingestUrl ? { FERRY_INGEST_URL: props.ingestUrl } : {}),
      },
      // A failed invocation is not retried: the next scheduled one is the retry, and a retry running
      // late would only find the next one holding the lease.
      retryAttempts: 0,
      bundling: props.bundling,
    });
    this.function = ferryFunction.function;

    this.#role = ferryFunction.role;
    this.#role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'StateTableReadWrite',
        actions: [...stateTableActions],
        resources: [props.stateTable.tableArn],
      }),
    );
  }

  /** Lets the function read one instance's document (a stack of up to `maxInlineInstances`). */
  grantInstanceDocument(parameter: InstanceParameter): void {
    this.#documents ??= this.#addStatement('ReadOwnInstanceDocuments', 'ssm:GetParameter');
    this.#documents.addResources(parameter.parameterArn);
  }

  /**
   * Lets the function read every document under `prefix` tagged with its connector (a sharded
   * deployment: one statement for any number of instances). The Service Authorization Reference lists
   * `aws:ResourceTag/${TagKey}` as GetParameter's only condition key (not `ssm:resourceTag/…`, which SSM
   * honours for other actions, and an unknown key would deny every read); every document the stack writes
   * carries the tag (`InstanceParameter`), so another connector's documents stay unreadable.
   */
  grantInstanceDocumentsByTag(prefix: string): void {
    if (this.#documents) return;
    this.#documents = new PolicyStatement({
      sid: 'ReadOwnInstanceDocuments',
      actions: ['ssm:GetParameter'],
      resources: [ssmParameterArn(this, `${prefix}*`)],
      conditions: { StringEquals: { [`aws:ResourceTag/${connectorTagKey}`]: this.connector } },
    });
    this.#role.addToPrincipalPolicy(this.#documents);
    this.#acknowledgeWildcard(
      `${prefix}*`,
      `One grant for every instance document of the stack's prefix, narrowed by the condition aws:ResourceTag/${connectorTagKey} = "${this.connector}" to this connector's own documents: per-document ARNs for thousands of instances would not fit IAM's 10,240 characters of a role's policies.`,
    );
  }

  /**
   * Notes the SecureStrings one of its instances references; {@link grantSecrets} grants them once all
   * instances are known (by name, or by folder for many: `secret-grants.ts`).
   */
  grantSecureStrings(names: readonly string[]): void {
    for (const name of names) this.#secretNames.add(name);
  }

  /** The SecureString names its instances reference. */
  get secureStringNames(): readonly string[] {
    return [...this.#secretNames];
  }

  /**
   * Grants the SecureStrings noted by {@link grantSecureStrings}: `foreign` are every other parameter
   * the stack knows of, which a folder grant must not cover.
   */
  grantSecrets(foreign: readonly string[], instancePrefix: string): void {
    if (this.#secretNames.size === 0 || this.#secretGrants) return;
    this.#secretGrants = secretGrantsFor({
      connector: this.connector,
      own: this.secureStringNames,
      foreign,
      instancePrefix,
    });
    this.#secrets = this.#addStatement('ReadOwnInstanceSecrets', 'ssm:GetParameter');
    this.#secrets.addResources(...this.#secretArns());
    for (const folder of this.#secretGrants.folders) {
      this.#acknowledgeWildcard(
        `${folder}/*`,
        `${folder}/ holds the SecureStrings of this connector's instances and, among the parameters this stack knows, nothing of another connector, the ingestion token or the instance documents (secret-grants.ts); granting each by name would not fit IAM's 10,240 characters of a role's policies.`,
      );
    }
    if (this.#secureStringKey) this.#decrypt ??= this.#decryptStatement(this.#secureStringKey);
  }

  #secretArns(): string[] {
    const grants = this.#secretGrants;
    if (!grants) return [];
    return [
      ...grants.names.map((name) => ssmParameterArn(this, name)),
      ...grants.folders.map((folder) => ssmParameterArn(this, `${folder}/*`)),
    ];
  }

  /** Lets the function put events on the bus (name or ARN) an instance's `eventbridge` sink names. */
  grantEventBus(bus: string): void {
    const arn = bus.startsWith('arn:')
      ? bus
      : Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: bus });
    this.#eventBuses ??= this.#addStatement('PutIncidentEvents', 'events:PutEvents');
    if (!this.#eventBuses.resources.includes(arn)) this.#eventBuses.addResources(arn);
  }

  /**
   * Lets the function read what an AWS-native instance fetches (Security Hub findings, one GuardDuty
   * detector's findings): those actions, on exactly that resource.
   */
  grantSourceRead(read: SourceRead): void {
    const arn = Stack.of(this).formatArn({
      service: read.service,
      resource: read.resource,
      resourceName: read.resourceName,
      ...(read.region ? { region: read.region } : {}),
    });
    let statement = this.#sourceReads.get(read.sid);
    if (!statement) {
      statement = new PolicyStatement({ sid: read.sid, actions: [...read.actions], resources: [arn] });
      this.#role.addToPrincipalPolicy(statement);
      this.#sourceReads.set(read.sid, statement);
    } else if (!statement.resources.includes(arn)) {
      statement.addResources(arn);
    }
  }

  // cdk-nag reports each wildcard resource on its own: acknowledge exactly that one, with why it holds.
  #acknowledgeWildcard(parameterPath: string, reason: string): void {
    Validations.of(this.#role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${parameterPath.startsWith('/') ? '' : '/'}${parameterPath}]`,
      reason,
    });
  }

  // IAM refuses a statement without resources, so each is added with its first resource.
  #addStatement(sid: string, action: string): PolicyStatement {
    const statement = new PolicyStatement({ sid, actions: [action] });
    this.#role.addToPrincipalPolicy(statement);
    return statement;
  }

  // SSM decrypts with the parameter's ARN as encryption context, so the key is usable only for these
  // parameters (or folders of them, matched with StringLike), and only through SSM.
  #decryptStatement(key: IKey): PolicyStatement {
    const stack = Stack.of(this);
    const viaSsm = { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` };
    const parameterArns = { 'kms:EncryptionContext:PARAMETER_ARN': this.#secretArns() };
    const conditions =
      (this.#secretGrants?.folders.length ?? 0) > 0
        ? { StringEquals: viaSsm, StringLike: parameterArns }
        : { StringEquals: { ...viaSsm, ...parameterArns } };
    const statement = new PolicyStatement({
      sid: 'DecryptOwnInstanceSecrets',
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions,
    });
    this.#role.addToPrincipalPolicy(statement);
    return statement;
  }
}
