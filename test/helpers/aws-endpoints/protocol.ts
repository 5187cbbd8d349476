/**
 * The few pieces of the AWS wire protocols the local endpoints share: an error that serialises
 * the way the SDK v3 deserialisers look for it, and the record of a call.
 */

/** An AWS service error. The SDK maps `type` to its modelled exception class (`instanceof` works). */
export class AwsServiceError extends Error {
  override name = 'AwsServiceError';
  constructor(
    /** The exception's shape name, e.g. `ParameterNotFound`, `ValidationException`. */
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** One request a local endpoint received, for assertions in tests. */
export interface RecordedCall {
  /** The `X-Amz-Target` header, e.g. `AmazonSSM.GetParameter`. */
  readonly target: string;
  /** The operation alone, e.g. `GetParameter`. */
  readonly operation: string;
  /** The request body as parsed JSON. */
  readonly input: Record<string, unknown>;
}

/** What a service handler answers; the server writes it as is. */
export interface AwsResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A JSON 1.1 success response. */
export function jsonRpcResponse(output: unknown): AwsResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(output),
  };
}

/**
 * A JSON 1.1 error response. The SDK reads the type from `x-amzn-ErrorType` first and `__type`
 * second; both are set, as the real services do.
 */
export function jsonRpcError(error: AwsServiceError): AwsResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': error.type },
    body: JSON.stringify({ __type: error.type, message: error.message }),
  };
}

/** The account id the local endpoints put in ARNs. */
export const localAccountId = '000000000000';

/** The region the local endpoints put in ARNs. */
export const localRegion = 'us-east-1';
