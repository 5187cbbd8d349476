import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConnectorError,
  ErrorCodes,
  FerryError,
  failureOf,
  IncidentInvalidError,
  InvalidCursorError,
  InvokeError,
  isConfigError,
  isConnectorError,
  isFerryError,
  isIncidentInvalidError,
  isInvalidCursorError,
  isInvokeError,
  isLeaseHeldError,
  isLeaseLostError,
  isLocalSetupError,
  isSecretMissingError,
  isSinkError,
  isSourceError,
  isStateConflictError,
  isStateCorruptError,
  isStateUnavailableError,
  LeaseHeldError,
  LeaseLostError,
  LocalSetupError,
  SecretMissingError,
  SinkError,
  SourceError,
  StateConflictError,
  StateCorruptError,
  StateUnavailableError,
} from '../../shared/errors.js';
import { statusError } from '../../shared/http-status-error.js';
import { redact, registerSecrets } from '../../shared/redact.js';
import { toSinkError } from '../../shared/sinks/sink-error.js';

/** One error of each kind, with the guard that must recognise it and the code it must carry. */
const kinds = [
  [new ConfigError('bad'), isConfigError, ErrorCodes.CONFIG_INVALID],
  [new SecretMissingError('gone'), isSecretMissingError, ErrorCodes.SECRET_MISSING],
  [new IncidentInvalidError('bad', 0, 'name'), isIncidentInvalidError, ErrorCodes.INCIDENT_INVALID],
  [new ConnectorError('broken'), isConnectorError, ErrorCodes.CONNECTOR_FAILED],
  [new SourceError(ErrorCodes.SOURCE_HTTP, 'down'), isSourceError, ErrorCodes.SOURCE_HTTP],
  [new LeaseHeldError('demo', undefined), isLeaseHeldError, ErrorCodes.LEASE_HELD],
  [new LeaseLostError('demo'), isLeaseLostError, ErrorCodes.LEASE_LOST],
  [new StateConflictError('raced'), isStateConflictError, ErrorCodes.STATE_CONFLICT],
  [new StateCorruptError('unreadable'), isStateCorruptError, ErrorCodes.STATE_CORRUPT],
  [new StateUnavailableError('throttled'), isStateUnavailableError, ErrorCodes.STATE_UNAVAILABLE],
  [new SinkError('refused', { retryable: false }), isSinkError, ErrorCodes.SINK_REJECTED],
  [new InvalidCursorError('not ours'), isInvalidCursorError, ErrorCodes.CURSOR_INVALID],
  [new InvokeError('failed'), isInvokeError, ErrorCodes.INVOKE_FAILED],
  [new LocalSetupError('no java'), isLocalSetupError, ErrorCodes.LOCAL_SETUP_FAILED],
] as const;

describe('the error tree', () => {
  it.each(kinds.map(([error, guard, code]) => [error.name, error, guard, code] as const))(
    '%s is a FerryError with its own code, its name and a guard that recognises only it',
    (name, error, guard, code) => {
      expect(error).toBeInstanceOf(FerryError);
      expect(isFerryError(error)).toBe(true);
      expect(error.code).toBe(code);
      expect(error.name).toBe(name);
      expect(guard(error)).toBe(true);
      const others = kinds.filter(([other]) => other !== error).map(([other]) => other);
      expect(others.filter((other) => guard(other)).map((other) => other.name)).toEqual([]);
    },
  );

  it('gives every kind a code of its own from ErrorCodes', () => {
    const codes = kinds.map(([error]) => error.code);
    expect(codes.every((code) => Object.values(ErrorCodes).includes(code))).toBe(true);
  });

  it('tells nothing else for one of its own: a plain Error, a string, undefined', () => {
    for (const [, guard] of kinds) {
      expect(guard(new Error('plain'))).toBe(false);
      expect(guard('text')).toBe(false);
      expect(guard(undefined)).toBe(false);
    }
    expect(isFerryError(new TypeError('x'))).toBe(false);
  });

  it('keeps the cause it wraps', () => {
    const cause = new Error('ECONNRESET');

    const error = new StateUnavailableError('The store did not answer.', { cause });

    expect(error.cause).toBe(cause);
  });

  it("states a failure as its code and message, UNEXPECTED for what is not Ferry's own", () => {
    expect(failureOf(new ConfigError('Set "url".'))).toEqual({
      code: ErrorCodes.CONFIG_INVALID,
      message: 'Set "url".',
    });
    expect(failureOf(new Error('boom'))).toEqual({ code: ErrorCodes.UNEXPECTED, message: 'boom' });
  });

  it('redacted, an error stays the same kind with its code, its secret masked and its cause left behind', () => {
    const secret = `errors-test-secret-${Date.now()}`;
    registerSecrets([secret]);
    const error = new ConfigError(`the value ${secret} is wrong`, 'demo', 'url', {
      cause: new Error(secret),
    });

    const copy = redact(error);

    expect(isConfigError(copy)).toBe(true);
    expect(copy.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(copy.field).toBe('url');
    expect(copy.message).not.toContain(secret);
    expect(copy.stack ?? '').not.toContain(secret);
    expect(copy.cause).toBeUndefined();
    expect(error.message).toContain(secret);
  });
});

describe("a sink's refusal", () => {
  it("names the sink's credential, never the instance's (the source's advice stays with sources)", () => {
    const refused = statusError(
      'POST',
      'https://xsoar.example/incident/batch',
      401,
      '{"error":"bad key"}',
      new Headers(),
    );

    const error = toSinkError(refused, 'https://xsoar.example', {
      auth: 'XSOAR refused the API key: check the sink\'s "apiKey" secret',
      rejected: 'XSOAR refused the request',
      unavailable: 'XSOAR is unavailable; the next fetch retries',
    });

    expect(error.message).toContain(`check the sink's "apiKey" secret`);
    expect(error.message).toContain('answered 401 Unauthorized');
    expect(error.message).toContain('bad key');
    expect(error.message).not.toContain("instance's credentials");
    expect(refused.message).toContain("instance's credentials");
    expect(error.details).toEqual({ status: 401, retryable: false });
  });
});
