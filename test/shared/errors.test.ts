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
    '%s is a FerryError with its own code, its literal name and a guard that recognises only it',
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
      code: 'CONFIG_INVALID',
      message: 'Set "url".',
    });
    expect(failureOf(new Error('boom'))).toEqual({ code: 'UNEXPECTED', message: 'boom' });
  });
});
