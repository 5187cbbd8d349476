import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseInstanceDocument } from '../../shared/config/instance-documents.js';
import { createSsmInstanceSource } from '../../shared/config/instance-source.js';
import type { InstanceDocument } from '../../shared/config/schema.js';
import { ConfigError, errorMessage, InvokeError } from '../../shared/errors.js';
import type { FetchHandlerResult } from '../../shared/handler/create-fetch-handler.js';
import type { FetchEvent } from '../../shared/handler/fetch-event.js';
import { DynamoStateStore } from '../../shared/state/dynamo-state-store.js';
import { DynamoQuarantineStore } from '../../shared/state/quarantine-store.js';
import { DynamoReplayStore } from '../../shared/state/replay-store.js';
import type { LocalInvoker } from '../local-invoker.js';
import type { OperatorEnvironment } from './operator-environment.js';

export interface AwsEnvironmentOptions {
  /** The CloudFormation stack whose outputs name the table and the functions. @default 'Ferry' */
  readonly stack?: string;
  /** Where instance documents live. @default FERRY_INSTANCE_PREFIX or '/ferry/instances/' */
  readonly instancePrefix?: string;
  /** Names from the environment (overrides the stack's outputs). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The stack output naming a connector's function: `ferry-stack.ts` turns "helloworld" into
 * `HelloworldFunctionName` and "http-json" into `HttpJsonFunctionName`.
 */
export const functionOutputKey = (connector: string): string =>
  `${connector.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase())}FunctionName`;

/** `FERRY_FUNCTION_<CONNECTOR>`: the connector's name upper-cased, anything else than A–Z and 0–9 as `_`. */
export const functionEnvName = (connector: string): string =>
  `FERRY_FUNCTION_${connector.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * The operator commands against the deployed stack, with the default credential chain and region.
 * Names come from the environment first (`FERRY_STATE_TABLE`, `FERRY_FUNCTION_<CONNECTOR>`), else from
 * the stack's outputs (`StateTableName`, `<Connector>FunctionName`), read once with DescribeStacks.
 * Instance documents are read from SSM; `fetch --debug`, `test` and `replay` invoke the connector's
 * function with the operator payload, so they run with its role and in its network. Every client
 * honours the SDK's endpoint variables (`AWS_ENDPOINT_URL_DYNAMODB`, `..._SSM`, `..._LAMBDA`,
 * `..._CLOUDFORMATION`), which is how the tests run this code against local endpoints.
 */
export const openAwsEnvironment = async (
  options: AwsEnvironmentOptions = {},
): Promise<OperatorEnvironment> => {
  const env = options.env ?? process.env;
  const stackName = options.stack ?? 'Ferry';
  const prefix = options.instancePrefix ?? env.FERRY_INSTANCE_PREFIX ?? '/ferry/instances/';
  const cloudFormation = new CloudFormationClient({});
  let outputs: Promise<Record<string, string>> | undefined;
  const stackOutputs = () => {
    outputs ??= cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })).then(
      ({ Stacks }) =>
        Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
      (error: unknown) => {
        throw new ConfigError(
          `Cannot read the outputs of the CloudFormation stack "${stackName}" (${errorMessage(error)}). Deploy it with "npx cdk deploy", pass --stack <name>, or set FERRY_STATE_TABLE and FERRY_FUNCTION_<CONNECTOR>.`,
          undefined,
          undefined,
          { cause: error },
        );
      },
    );
    return outputs;
  };
  const named = async (envName: string, outputKey: string, what: string): Promise<string> => {
    const fromEnv = env[envName];
    if (fromEnv) return fromEnv;
    const value = (await stackOutputs())[outputKey];
    if (!value) {
      throw new ConfigError(
        `The stack "${stackName}" has no output ${outputKey} (${what}). Set ${envName}, or deploy the stack with "npx cdk deploy".`,
      );
    }
    return value;
  };

  const tableName = await named('FERRY_STATE_TABLE', 'StateTableName', 'the state table');
  const dynamo = new DynamoDBClient({});
  const ssm = new SSMClient({});
  const lambda = new LambdaClient({});
  const instances = createSsmInstanceSource({ ssm, prefix, maxAgeMs: 0 });

  const listInstances = async () => {
    const documents: InstanceDocument[] = [];
    const errors: ConfigError[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(
        new GetParametersByPathCommand({ Path: prefix, Recursive: false, NextToken }),
      );
      for (const parameter of page.Parameters ?? []) {
        const id = (parameter.Name ?? '').slice(prefix.length);
        try {
          documents.push(parseInstanceDocument(id, parameter.Value ?? '', `SSM ${parameter.Name}`));
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          errors.push(error);
        }
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return { documents, errors };
  };

  const invoke: LocalInvoker = async (instanceId, operation = 'fetch', extra = {}) => {
    const document = await instances.getInstance(instanceId);
    const functionName = await named(
      functionEnvName(document.connector),
      functionOutputKey(document.connector),
      `the "${document.connector}" connector's function`,
    );
    const event: FetchEvent = {
      instanceId,
      operation,
      ...(extra.replayId ? { replayId: extra.replayId } : {}),
      ...(extra.quarantineIds ? { quarantineIds: extra.quarantineIds } : {}),
    };
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    const payload = answer.Payload ? JSON.parse(new TextDecoder().decode(answer.Payload)) : null;
    if (answer.FunctionError) {
      const message = (payload as { errorMessage?: string } | null)?.errorMessage ?? answer.FunctionError;
      throw new InvokeError(`The function ${functionName} failed for "${instanceId}": ${message}`);
    }
    return payload as FetchHandlerResult;
  };

  return {
    mode: 'aws',
    store: new DynamoStateStore({ client: dynamo, tableName }),
    replays: new DynamoReplayStore({ client: dynamo, tableName }),
    quarantine: new DynamoQuarantineStore({ client: dynamo, tableName }),
    invoke,
    listInstances,
    async connectorOf(instanceId) {
      try {
        return (await instances.getInstance(instanceId)).connector;
      } catch {
        return 'unknown';
      }
    },
    async close() {
      for (const client of [cloudFormation, dynamo, ssm, lambda]) client.destroy();
    },
  };
};
