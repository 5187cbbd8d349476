/**
 * Ferry's error hierarchy. Every error carries a stable `code`, a message that says what to do,
 * and the `cause` it wraps. Re-throw a FerryError unchanged; wrap anything else with `{ cause }`.
 */

export const ErrorCodes = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  SECRET_MISSING: 'SECRET_MISSING',
  INCIDENT_INVALID: 'INCIDENT_INVALID',
  CONNECTOR_FAILED: 'CONNECTOR_FAILED',
  SOURCE_AUTH: 'SOURCE_AUTH',
  SOURCE_RATE_LIMITED: 'SOURCE_RATE_LIMITED',
  SOURCE_HTTP: 'SOURCE_HTTP',
  SOURCE_UNREACHABLE: 'SOURCE_UNREACHABLE',
  SOURCE_TIMEOUT: 'SOURCE_TIMEOUT',
  SOURCE_BAD_RESPONSE: 'SOURCE_BAD_RESPONSE',
  /** A redirect that would move a credential off its origin (or loop, or downgrade): not followed. */
  SOURCE_REDIRECT: 'SOURCE_REDIRECT',
  LEASE_HELD: 'LEASE_HELD',
  LEASE_LOST: 'LEASE_LOST',
  STATE_CONFLICT: 'STATE_CONFLICT',
  STATE_CORRUPT: 'STATE_CORRUPT',
  STATE_UNAVAILABLE: 'STATE_UNAVAILABLE',
  SINK_FAILED: 'SINK_FAILED',
  SINK_REJECTED: 'SINK_REJECTED',
  DEADLINE: 'DEADLINE',
  /** A prefetched page the runner dropped: never surfaced, only the reason its fetch was aborted. */
  PREFETCH_DROPPED: 'PREFETCH_DROPPED',
  /** A paging cursor that was not handed out for this list (the ingestion endpoint's `GET`). */
  CURSOR_INVALID: 'CURSOR_INVALID',
  /** A Lambda function (or its local stand-in) failed or answered something else than it should. */
  INVOKE_FAILED: 'INVOKE_FAILED',
  /** A local service Ferry starts itself (DynamoDB Local, a table, the demo source) did not come up. */
  LOCAL_SETUP_FAILED: 'LOCAL_SETUP_FAILED',
  /** Never thrown: the code given to anything thrown that is not a FerryError (a bug, or a library's error). */
  UNEXPECTED: 'UNEXPECTED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface FerryErrorOptions {
  readonly cause?: unknown;
}

/** The base of every error Ferry raises on purpose. */
export class FerryError extends Error {
  override name = 'FerryError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** A configuration document, parameter or secret reference is wrong; the message names the fix. */
export class ConfigError extends FerryError {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly instanceId?: string,
    readonly field?: string,
    options?: FerryErrorOptions,
  ) {
    super(ErrorCodes.CONFIG_INVALID, message, options);
  }
}

/** A secret reference points at nothing. */
export class SecretMissingError extends FerryError {
  override name = 'SecretMissingError';
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCodes.SECRET_MISSING, message, options);
  }
}

/** A connector returned an incident that breaks the contract. */
export class IncidentInvalidError extends FerryError {
  override name = 'IncidentInvalidError';
  constructor(
    message: string,
    readonly index: number,
    readonly field: string,
  ) {
    super(ErrorCodes.INCIDENT_INVALID, message);
  }
}

/** The third-party source failed; `code` tells how (auth, rate limit, HTTP status, network). */
export class SourceError extends FerryError {
  override name = 'SourceError';
  constructor(
    code: ErrorCode,
    message: string,
    readonly details: {
      status?: number;
      url?: string;
      retryAfterMs?: number;
      /** What the source says went wrong, in its own words (an OAuth2 `error_description`, a message). */
      reason?: string;
      /**
       * What the server answered (method, URL, status, the start of the body), without the advice the
       * message adds for a source: a sink shows this beside its own advice.
       */
      answer?: string;
    } = {},
    options?: FerryErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** A connector broke its contract (what `fetchIncidents` returned is not `{ incidents: [...], nextRun }`). */
export class ConnectorError extends FerryError {
  override name = 'ConnectorError';
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCodes.CONNECTOR_FAILED, message, options);
  }
}

/** Another invocation holds the instance's lease: this one must not fetch. */
export class LeaseHeldError extends FerryError {
  override name = 'LeaseHeldError';
  constructor(
    readonly instanceId: string,
    readonly heldUntil: number | undefined,
  ) {
    super(
      ErrorCodes.LEASE_HELD,
      `Instance "${instanceId}" is being fetched by another run` +
        (heldUntil ? ` (its lease expires at ${new Date(heldUntil).toISOString()})` : '') +
        '; this run was skipped. Nothing to do unless it persists past the lease.',
    );
  }
}

/** The lease was lost (expired or taken over) before commit: the cursor was not moved. */
export class LeaseLostError extends FerryError {
  override name = 'LeaseLostError';
  constructor(readonly instanceId: string) {
    super(
      ErrorCodes.LEASE_LOST,
      `Instance "${instanceId}" lost its lease before the commit (the run outlived its deadline or was taken over); ` +
        'the last run was left unchanged and the next fetch will re-fetch the same window.',
    );
  }
}

/** A versioned write lost a race with another writer. */
export class StateConflictError extends FerryError {
  override name = 'StateConflictError';
  constructor(
    message: string,
    readonly existing?: Record<string, unknown>,
  ) {
    super(ErrorCodes.STATE_CONFLICT, message);
  }
}

/** A stored item cannot be read back as Ferry wrote it. */
export class StateCorruptError extends FerryError {
  override name = 'StateCorruptError';
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCodes.STATE_CORRUPT, message, options);
  }
}

/** The state store could not be reached or refused the request (throttling, network): nothing moved. */
export class StateUnavailableError extends FerryError {
  override name = 'StateUnavailableError';
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCodes.STATE_UNAVAILABLE, message, options);
  }
}

/** The sink did not accept the batch. `retryable` says whether the next fetch may succeed. */
export class SinkError extends FerryError {
  override name = 'SinkError';
  constructor(
    message: string,
    readonly details: { status?: number; retryable: boolean },
    options?: FerryErrorOptions,
  ) {
    super(details.retryable ? ErrorCodes.SINK_FAILED : ErrorCodes.SINK_REJECTED, message, options);
  }
}

/** A paging cursor this list did not hand out (altered, or another instance's). */
export class InvalidCursorError extends FerryError {
  override name = 'InvalidCursorError';
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCodes.CURSOR_INVALID, message, options);
  }
}

/** A function invocation failed, or answered with something that is not a result of the operation. */
export class InvokeError extends FerryError {
  override name = 'InvokeError';
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCodes.INVOKE_FAILED, message, options);
  }
}

/** A local service Ferry starts for itself (DynamoDB Local, its tables, the demo source) did not come up. */
export class LocalSetupError extends FerryError {
  override name = 'LocalSetupError';
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCodes.LOCAL_SETUP_FAILED, message, options);
  }
}

/*
 * Type guards, one per kind (as ky's `isHTTPError`): callers narrow without importing the class, and
 * the guard reads as the question it answers.
 */

/** Any error Ferry raised on purpose (it has a `code`). */
export const isFerryError = (error: unknown): error is FerryError => error instanceof FerryError;
export const isConfigError = (error: unknown): error is ConfigError => error instanceof ConfigError;
export const isSecretMissingError = (error: unknown): error is SecretMissingError =>
  error instanceof SecretMissingError;
export const isIncidentInvalidError = (error: unknown): error is IncidentInvalidError =>
  error instanceof IncidentInvalidError;
export const isConnectorError = (error: unknown): error is ConnectorError => error instanceof ConnectorError;
export const isSourceError = (error: unknown): error is SourceError => error instanceof SourceError;
export const isLeaseHeldError = (error: unknown): error is LeaseHeldError => error instanceof LeaseHeldError;
export const isLeaseLostError = (error: unknown): error is LeaseLostError => error instanceof LeaseLostError;
export const isStateConflictError = (error: unknown): error is StateConflictError =>
  error instanceof StateConflictError;
export const isStateCorruptError = (error: unknown): error is StateCorruptError =>
  error instanceof StateCorruptError;
export const isStateUnavailableError = (error: unknown): error is StateUnavailableError =>
  error instanceof StateUnavailableError;
export const isSinkError = (error: unknown): error is SinkError => error instanceof SinkError;
export const isInvalidCursorError = (error: unknown): error is InvalidCursorError =>
  error instanceof InvalidCursorError;
export const isInvokeError = (error: unknown): error is InvokeError => error instanceof InvokeError;
export const isLocalSetupError = (error: unknown): error is LocalSetupError =>
  error instanceof LocalSetupError;

/** A failure as a history record, a log line and an operator's answer carry it. */
export interface Failure {
  readonly code: string;
  readonly message: string;
}

/** The code and message of anything thrown. */
export const failureOf = (error: unknown): Failure => ({
  code: errorCode(error),
  message: errorMessage(error),
});

/** The message of anything thrown, for history records and logs. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);

/** The code of anything thrown: a FerryError's own, `UNEXPECTED` otherwise. */
export const errorCode = (error: unknown): string =>
  isFerryError(error) ? error.code : ErrorCodes.UNEXPECTED;
