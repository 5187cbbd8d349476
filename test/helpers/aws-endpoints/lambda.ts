import type { Context } from 'aws-lambda';
import { createLambdaContext } from '../../../local/lambda-context.js';
import { type AwsResponse, localAccountId, localRegion } from './protocol.js';

/** A handler the local Lambda can run: the same signature as a deployed Node.js handler. */
export type LocalLambdaHandler<TEvent = unknown> = (event: TEvent, context: Context) => unknown;

/** Options of one registered function. */
export interface RegisterLambdaOptions {
  /** Past it, the invocation fails with `Sandbox.Timedout` as in Lambda. @default 900_000 */
  readonly timeoutMs?: number;
}

/** One invocation, recorded once it finished. */
export interface LambdaInvocation {
  readonly functionName: string;
  readonly invocationType: 'RequestResponse' | 'Event' | 'DryRun';
  readonly event: unknown;
  /** The handler's result; absent when it failed. */
  readonly result?: unknown;
  /** The error payload Lambda would return (`errorType`, `errorMessage`). */
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
}

/** The local Lambda, as tests and the local system see it. */
export interface LocalLambda {
  /** Makes `handler` answer Invoke for `name` (a later registration replaces an earlier one). */
  register<TEvent>(name: string, handler: LocalLambdaHandler<TEvent>, options?: RegisterLambdaOptions): void;
  /** Every finished invocation, oldest first (asynchronous `Event` ones once they complete). */
  readonly calls: LambdaInvocation[];
}

/** The local Lambda plus the entry point the server dispatches Invoke requests to. */
export interface LambdaService extends LocalLambda {
  invoke(
    functionName: string,
    headers: Record<string, string | undefined>,
    body: string,
  ): Promise<AwsResponse>;
}

interface Registration {
  readonly handler: LocalLambdaHandler<never>;
  readonly timeoutMs: number;
}

/** The Invoke path of the Lambda REST-JSON API; the capture is the URL-encoded function name. */
export const lambdaInvokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

const functionArn = (name: string) => `arn:aws:lambda:${localRegion}:${localAccountId}:function:${name}`;

/** Creates a Lambda runtime in this process: Invoke dispatches to registered JS handlers. */
export function createLocalLambda(): LambdaService {
  const functions = new Map<string, Registration>();
  const calls: LambdaInvocation[] = [];

  const run = async (name: string, registration: Registration, event: unknown) => {
    const context = createLambdaContext(name, registration.timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const seconds = (registration.timeoutMs / 1000).toFixed(2);
        reject(
          Object.assign(new Error(`${context.awsRequestId} Task timed out after ${seconds} seconds`), {
            name: 'Sandbox.Timedout',
          }),
        );
      }, registration.timeoutMs);
    });
    try {
      const result = await Promise.race([
        Promise.resolve(registration.handler(event as never, context)),
        timedOut,
      ]);
      return { result };
    } catch (thrown) {
      const error =
        thrown instanceof Error
          ? { errorType: thrown.name, errorMessage: thrown.message, trace: thrown.stack?.split('\n') ?? [] }
          : { errorType: typeof thrown, errorMessage: String(thrown), trace: [] };
      return { error };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    calls,
    register(name, handler, options = {}) {
      functions.set(name, {
        handler: handler as LocalLambdaHandler<never>,
        timeoutMs: options.timeoutMs ?? 900_000,
      });
    },
    async invoke(functionName, headers, body) {
      const name = nameOf(decodeURIComponent(functionName));
      const registration = functions.get(name);
      if (!registration) {
        return restError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(name)}`);
      }
      let event: unknown;
      try {
        event = body === '' ? {} : JSON.parse(body);
      } catch {
        return restError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
      const invocationType = (headers['x-amz-invocation-type'] ??
        'RequestResponse') as LambdaInvocation['invocationType'];
      if (invocationType === 'DryRun') return { status: 204, headers: {}, body: '' };
      const outcome = run(name, registration, event).then(({ result, error }) => {
        calls.push({
          functionName: name,
          invocationType,
          event,
          ...(error
            ? { error: { errorType: error.errorType, errorMessage: error.errorMessage } }
            : { result }),
        });
        return { result, error };
      });
      if (invocationType === 'Event') return { status: 202, headers: {}, body: '' };
      const { result, error } = await outcome;
      return {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'x-amz-executed-version': '$LATEST',
          ...(error ? { 'x-amz-function-error': 'Unhandled' } : {}),
        },
        // A handler returning undefined yields the payload `null`, as in Lambda.
        body: JSON.stringify(error ?? result ?? null),
      };
    },
  };
}

/** `name`, `name:qualifier`, `account:function:name` or a full ARN → `name`. */
function nameOf(functionName: string): string {
  const parts = functionName.split(':');
  const at = parts.indexOf('function');
  return (at >= 0 ? parts[at + 1] : parts[0]) ?? functionName;
}

function restError(status: number, type: string, message: string): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ Type: 'User', Message: message }),
  };
}
