import { StateCorruptError } from '../errors.js';
import { redactAndTruncate } from '../redact.js';
import { readPushedByHour } from './incident-counts.js';
import type { InstanceState, StoredContext } from './state-store.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

const describeValue = (value: unknown): string => {
  return value === undefined ? 'missing' : redactAndTruncate(JSON.stringify(value), 200);
};

/**
 * Reads a state item back, refusing one that Ferry did not write: a corrupted last run must stop the
 * instance with a clear error, never silently reset it (which would re-fetch `first_fetch` worth of
 * incidents, or skip some).
 */
export const readStateItem = (
  instanceId: string,
  item: Record<string, unknown> | undefined,
): InstanceState => {
  if (!item) throw new StateCorruptError(`The state item of "${instanceId}" was not returned by DynamoDB.`);
  const { lastRun, version } = item;
  if (!isPlainObject(lastRun) || typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    // What was found goes into the message: it is what an operator repairs the cursor from.
    throw new StateCorruptError(
      `The state item of instance "${instanceId}" is corrupted (lastRun must be a map and version a non-negative integer; ` +
        `found lastRun ${describeValue(lastRun)} and version ${describeValue(version)}). ` +
        `Repair it with "ferry last-run ${instanceId} --set '<json>'" ` +
        `or start over with "ferry last-run ${instanceId} --reset" (re-fetches from first_fetch).`,
    );
  }
  return {
    instanceId,
    lastRun,
    version,
    leaseId: optionalString(item.leaseId),
    leaseExpiresAt: typeof item.leaseExpiresAt === 'number' ? item.leaseExpiresAt : undefined,
    pushedByHour: readPushedByHour(item.pushedByHour),
    health: {
      firstRunAt: optionalString(item.firstRunAt),
      consecutiveFailures: typeof item.consecutiveFailures === 'number' ? item.consecutiveFailures : 0,
      lastRunAt: optionalString(item.lastRunAt),
      lastSuccessAt: optionalString(item.lastSuccessAt),
      lastIncidentAt: optionalString(item.lastIncidentAt),
      lastError: optionalString(item.lastError),
      lastErrorCode: optionalString(item.lastErrorCode),
      lastErrorAt: optionalString(item.lastErrorAt),
      message: optionalString(item.message),
      messageIsError: typeof item.messageIsError === 'boolean' ? item.messageIsError : undefined,
    },
  };
};

/** Reads the integration context item; a missing one is the empty context at version 0. */
export const readContextItem = (
  instanceId: string,
  item: Record<string, unknown> | undefined,
): StoredContext => {
  if (!item) return { value: {}, version: 0 };
  if (!isPlainObject(item.value) || typeof item.version !== 'number') {
    throw new StateCorruptError(
      `The integration context of "${instanceId}" is corrupted; delete the CONTEXT item of the instance to start it afresh.`,
    );
  }
  return { value: item.value, version: item.version };
};
