import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { byArrivalIndex } from '../functions/ingest/incident-store.js';
import { FerryFunction } from './ferry-function.js';
import type { FunctionSettings } from './function-settings.js';
import { incidentsTableKeys } from './incidents-table-keys.js';
import {
  grantInstanceTokenReads,
  type InstanceTokenParameterNames,
  instanceTokensEnvironment,
} from './ingest-instance-tokens.js';
import { minimumIngestThrottle } from './ingest-throttle.js';
import type { FerryBundlingOptions } from './lambda-bundling.js';
import { ssmParameterArn } from './ssm-parameter-arn.js';

/** What `DynamoIncidentStore` sends: PutItem (conditional) to store, Query on the arrival index to list. */
export const incidentsTableActions = {
  // GetItem: a write refused as already stored is read back to tell a duplicate from a conflict.
  table: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  index: ['dynamodb:Query'],
} as const;

/** Requests per second the endpoint serves before answering 429, when no throttle is given. */
export const defaultIngestThrottle: ThrottleSettings = minimumIngestThrottle;

export interface IngestionApiProps {
  /** The SecureString holding the bearer token; the stack never sees its value. */
  readonly tokenParameterName: string;
  /** Per-instance tokens, each for its own instance only: SecureString name by instance id. @default none */
  readonly instanceTokenParameterNames?: InstanceTokenParameterNames;
  readonly settings: FunctionSettings;
  /** @default RemovalPolicy.RETAIN: received incidents outlive the stack */
  readonly removalPolicy?: RemovalPolicy;
  /** @default - the AWS managed key `aws/ssm` (see ConnectorFunctionProps.secureStringKey) */
  readonly secureStringKey?: IKey;
  /** @default {@link defaultIngestThrottle}; the stack derives it from the instances (`ingest-throttle.ts`) */
  readonly throttle?: ThrottleSettings;
  /** @default - no metafile */
  readonly bundling?: FerryBundlingOptions;
}

/**
 * The reference ingestion endpoint in AWS: an HTTP API (`POST /incidents`, `GET /incidents`,
 * `GET /health`) in front of the ingest function, which stores each incident once in the incidents
 * table and checks the bearer token against the SecureString `tokenParameterName`.
 */
export class IngestionApi extends Construct {
  readonly table: Table;
  readonly function: IFunction;
  readonly api: HttpApi;
  /** The endpoint's base URL, as the ferry sink takes it (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: IngestionApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const keys = incidentsTableKeys();
    this.table = new Table(this, 'IncidentsTable', {
      partitionKey: keys.partitionKey,
      sortKey: keys.sortKey,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    });
    for (const index of keys.indexes) this.table.addGlobalSecondaryIndex(index);

    const ingest = new FerryFunction(this, 'Lambda', {
      entry: 'functions/ingest/handler.ts',
      description: 'Ferry ingestion endpoint: stores pushed incidents once each, lists what arrived',
      settings: props.settings,
      environment: {
        INCIDENTS_TABLE: this.table.tableName,
        INGEST_TOKEN_PARAMETER: props.tokenParameterName,
        ...instanceTokensEnvironment(props.instanceTokenParameterNames ?? {}),
      },
      bundling: props.bundling,
    });
    this.function = ingest.function;
    ingest.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'StoreIncidents',
        actions: [...incidentsTableActions.table],
        resources: [this.table.tableArn],
      }),
    );
    ingest.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ListIncidents',
        actions: [...incidentsTableActions.index],
        resources: [`${this.table.tableArn}/index/${byArrivalIndex}`],
      }),
    );
    const tokenArn = ssmParameterArn(this, props.tokenParameterName);
    ingest.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'ReadIngestToken', actions: ['ssm:GetParameter'], resources: [tokenArn] }),
    );
    if (props.secureStringKey) {
      const stack = Stack.of(this);
      ingest.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'DecryptIngestToken',
          actions: ['kms:Decrypt'],
          resources: [props.secureStringKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}`,
              'kms:EncryptionContext:PARAMETER_ARN': tokenArn,
            },
          },
        }),
      );
    }

    grantInstanceTokenReads(
      this,
      ingest.role,
      props.instanceTokenParameterNames ?? {},
      props.secureStringKey,
    );

    this.api = new HttpApi(this, 'Api', {
      description: 'Ferry ingestion endpoint',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.settings.logRetentionDays });
    const stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? defaultIngestThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No headers: the Authorization header carries the token.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.url = stage.url;

    const integration = new HttpLambdaIntegration('Ingest', this.function);
    const routes = [
      ...this.api.addRoutes({ path: '/incidents', methods: [HttpMethod.POST, HttpMethod.GET], integration }),
      ...this.api.addRoutes({ path: '/health', methods: [HttpMethod.GET], integration }),
    ];
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The ingest function itself requires the bearer token (constant-time comparison against the SecureString) on /incidents; /health is public by design and reveals nothing.',
      });
    }
  }
}
