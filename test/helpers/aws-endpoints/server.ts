import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { text as readBody } from 'node:stream/consumers';
import { listen } from '../../../shared/listen.js';
import {
  createLocalEventBridge,
  type LocalEventBridge,
  type LocalEventBridgeOptions,
} from './eventbridge.js';
import { createLocalGuardDuty, type LocalGuardDuty, type LocalGuardDutyOptions } from './guardduty.js';
import { createLocalLambda, type LocalLambda, lambdaInvokePath } from './lambda.js';
import { type AwsResponse, AwsServiceError, jsonRpcError, jsonRpcResponse } from './protocol.js';
import type { RestJsonService } from './rest-json.js';
import {
  createLocalSecurityHub,
  type LocalSecurityHub,
  type LocalSecurityHubOptions,
} from './securityhub.js';
import { createLocalSsm, type LocalSsm, type LocalSsmOptions } from './ssm.js';

/** Options of {@link startAwsEndpoints}. */
export interface StartAwsEndpointsOptions {
  /** Port on 127.0.0.1. @default a free port chosen by the OS */
  readonly port?: number;
  readonly ssm?: LocalSsmOptions;
  readonly eventBridge?: LocalEventBridgeOptions;
  readonly securityHub?: LocalSecurityHubOptions;
  readonly guardDuty?: LocalGuardDutyOptions;
}

/** The running local AWS endpoints: one URL serving SSM, EventBridge, Lambda Invoke, Security Hub and GuardDuty. */
export interface AwsEndpoints {
  /** `http://127.0.0.1:<port>` — the `endpoint` of every SDK client. */
  readonly url: string;
  /** `AWS_ENDPOINT_URL_SSM`, `…_EVENTBRIDGE`, `…_LAMBDA`, `…_SECURITYHUB`, `…_GUARDDUTY`, all {@link url}. */
  readonly environment: Readonly<Record<string, string>>;
  readonly ssm: LocalSsm;
  readonly eventBridge: LocalEventBridge;
  readonly lambda: LocalLambda;
  readonly securityHub: LocalSecurityHub;
  readonly guardDuty: LocalGuardDuty;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

/**
 * Starts a local server speaking AWS JSON 1.1 (SSM, EventBridge), the Lambda Invoke REST call and
 * restJson1 (Security Hub GetFindings, GuardDuty ListFindings/GetFindings), so the real SDK v3 clients
 * run against it. Signatures are accepted unchecked.
 *
 * @example
 * const aws = await startAwsEndpoints();
 * aws.ssm.put('/ferry/instances/demo', '{}');
 * const ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', credentials });
 * // ...
 * await aws.close();
 */
export async function startAwsEndpoints(options: StartAwsEndpointsOptions = {}): Promise<AwsEndpoints> {
  const ssm = createLocalSsm(options.ssm);
  const eventBridge = createLocalEventBridge(options.eventBridge);
  const lambda = createLocalLambda();
  const securityHub = createLocalSecurityHub(options.securityHub);
  const guardDuty = createLocalGuardDuty(options.guardDuty);
  const restJsonServices: RestJsonService[] = [securityHub.service, guardDuty.service];

  const jsonRpcServices: Record<string, (operation: string, input: Record<string, unknown>) => unknown> = {
    AmazonSSM: ssm.handle,
    AWSEvents: eventBridge.handle,
  };

  const route = async (request: IncomingMessage, body: string): Promise<AwsResponse> => {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const invoke = lambdaInvokePath.exec(path);
    if (request.method === 'POST' && invoke?.[1]) {
      return lambda.invoke(invoke[1], headersOf(request), body);
    }
    for (const service of restJsonServices) {
      const answer = service({ method: request.method ?? 'GET', path, headers: headersOf(request), body });
      if (answer) return answer;
    }
    const target = request.headers['x-amz-target'];
    const [service = '', operation = ''] = typeof target === 'string' ? target.split('.') : [];
    const handle = Object.hasOwn(jsonRpcServices, service) ? jsonRpcServices[service] : undefined;
    if (request.method !== 'POST' || !handle) {
      return jsonRpcError(
        new AwsServiceError(
          'UnknownOperationException',
          `No local endpoint for ${request.method} ${path} ${target ?? ''}`,
        ),
      );
    }
    try {
      const input = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
      return jsonRpcResponse(handle(operation, input));
    } catch (error) {
      if (error instanceof AwsServiceError) return jsonRpcError(error);
      if (error instanceof SyntaxError) {
        return jsonRpcError(new AwsServiceError('SerializationException', error.message));
      }
      throw error;
    }
  };

  const server = createServer((request, response) => {
    readBody(request)
      .then((body) => route(request, body))
      .then(
        (answer) => send(response, answer),
        (error: unknown) =>
          send(response, jsonRpcError(new AwsServiceError('InternalFailure', String(error), 500))),
      );
  });
  // close() also drops the connections the SDK keeps alive (it would wait for them to time out).
  const { url, close } = await listen(server, { port: options.port });

  return {
    url,
    environment: {
      AWS_ENDPOINT_URL_SSM: url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: url,
      AWS_ENDPOINT_URL_LAMBDA: url,
      AWS_ENDPOINT_URL_SECURITYHUB: url,
      AWS_ENDPOINT_URL_GUARDDUTY: url,
    },
    ssm,
    eventBridge,
    lambda,
    securityHub,
    guardDuty,
    close,
  };
}

function headersOf(request: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function send(response: ServerResponse, answer: AwsResponse): void {
  response.writeHead(answer.status, { 'x-amzn-requestid': randomUUID(), ...answer.headers });
  response.end(answer.body);
}
