import { ErrorCodes, errorMessage, SourceError } from './errors.js';

/** What an AWS-native connector was doing when the SDK call failed, for the message. */
export interface AwsCallContext {
  /** The IAM action of the call, e.g. `guardduty:ListFindings`. */
  readonly action: string;
  /** The resource it acted on (an ARN or a name), when there is one. */
  readonly resource?: string;
}

/** The fields of an SDK v3 service exception this module reads (all optional: anything may be thrown). */
interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

// The names the SDK's retry strategy treats as throttling (@smithy/service-error-classification), and the
// ones these services answer with: Security Hub's TooManyRequestsException / LimitExceededException (429),
// the ThrottlingException every AWS API may answer (API reference, "Common Errors").
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'RequestLimitExceeded',
]);

// Who the caller is or what it may do: credentials (UnrecognizedClientException, InvalidSignatureException,
// ExpiredTokenException: "Common Errors") or its policy (AccessDenied*); Security Hub answers 401
// InvalidAccessException when the account is not subscribed to it (GetFindings, "Errors").
const AUTH = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'MissingAuthenticationTokenException',
  'InvalidAccessException',
]);

const isAbort = (error: SdkErrorShape) => error.name === 'AbortError' || error.name === 'TimeoutError';

/**
 * Turns what an AWS SDK v3 call threw into a {@link SourceError} whose code the runner understands and
 * whose message says what to fix: the IAM action and resource on a denial, the parameters on a
 * validation error. The SDK has already retried throttling and 5xx by then (standard retry mode).
 */
export const awsSourceError = (error: unknown, call: AwsCallContext): SourceError => {
  if (error instanceof SourceError) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = sdk.$metadata?.httpStatusCode;
  const name = sdk.name ?? 'Error';
  const text = `${name}: ${sdk.message ?? errorMessage(error)}`;
  const on = call.resource ? ` on ${call.resource}` : '';
  const details = status === undefined ? {} : { status };

  if (AUTH.has(name) || status === 401 || status === 403) {
    return new SourceError(
      ErrorCodes.SOURCE_AUTH,
      `${call.action}${on} was refused (${text}). Check the credentials the function runs with (its execution role) ` +
        `and that its policy allows ${call.action}${on}: "npx cdk deploy" grants it for the instances in ferry.config.json.`,
      details,
      { cause: error },
    );
  }
  if (THROTTLING.has(name) || sdk.$retryable?.throttling || status === 429) {
    return new SourceError(
      ErrorCodes.SOURCE_RATE_LIMITED,
      `${call.action} is throttled (${text}) after the SDK's retries. The next fetch retries; lengthen fetchInterval or lower max_fetch if it persists.`,
      details,
      { cause: error },
    );
  }
  if (isAbort(sdk)) {
    return new SourceError(
      ErrorCodes.SOURCE_TIMEOUT,
      `${call.action} did not finish before the invocation's deadline; the next fetch resumes from the same cursor.`,
      {},
      { cause: error },
    );
  }
  if (status === undefined) {
    return new SourceError(
      ErrorCodes.SOURCE_UNREACHABLE,
      `${call.action} could not reach the service (${text}). Check params.region and the function's network access (a VPC needs a NAT gateway or an interface endpoint).`,
      {},
      { cause: error },
    );
  }
  return new SourceError(
    ErrorCodes.SOURCE_HTTP,
    status >= 500
      ? `${call.action} failed at the service (${status} ${text}); the next fetch retries.`
      : `${call.action}${on} was rejected (${status} ${text}): check the instance's parameters.`,
    details,
    { cause: error },
  );
};
