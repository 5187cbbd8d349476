import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionSettings } from './function-settings.js';
import {
  type FerryBundlingOptions,
  ferryBundling,
  ferryFunctionEnvironment,
  lambdaArchitecture,
  lambdaRuntime,
  projectRoot,
} from './lambda-bundling.js';

export interface FerryFunctionProps {
  /** The handler module, relative to the repository root (`functions/helloworld/handler.ts`). */
  readonly entry: string;
  readonly description: string;
  readonly settings: FunctionSettings;
  /** @default - only the variables every Ferry function gets */
  readonly environment?: Readonly<Record<string, string>>;
  /** Retries of a failed asynchronous invocation. @default 2 (Lambda's own default) */
  readonly retryAttempts?: number;
  /** @default - no metafile */
  readonly bundling?: FerryBundlingOptions;
}

/**
 * One Ferry Lambda function: the handler bundled with esbuild (ESM, Node 22, ARM64), its own log group
 * with a retention, and its own role that may write to that log group and nothing else yet; whoever
 * wires the function grants the rest.
 */
export class FerryFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: FerryFunctionProps) {
    super(scope, id);
    const { settings } = props;
    this.logGroup = new LogGroup(this, 'Logs', { retention: settings.logRetentionDays });
    // Not AWSLambdaBasicExecutionRole: it may create log groups and write to any of them.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: lambdaRuntime,
      architecture: lambdaArchitecture,
      memorySize: settings.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: { ...ferryFunctionEnvironment, ...props.environment },
      retryAttempts: props.retryAttempts,
      bundling: ferryBundling(props.bundling),
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose: the bundles target node22 and the tests run that target; moving to a newer runtime is a deliberate change with its own test run.',
    });
  }
}
