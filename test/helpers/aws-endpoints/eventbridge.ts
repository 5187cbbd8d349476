import { randomUUID } from 'node:crypto';
import { AwsServiceError, type RecordedCall } from './protocol.js';

/** One `PutEvents` entry as it arrives on the wire (JSON 1.1: `Time` is epoch seconds). */
export interface PutEventsWireEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: string[];
  readonly Time?: number;
  readonly TraceHeader?: string;
}

/** How one entry fails, in the shape of a `PutEventsResultEntry`. */
export interface EntryFailure {
  /** E.g. `ThrottlingException`, `InternalFailure`, `MalformedDetail`. */
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

/** Decides per entry whether it fails; `undefined` lets it through. `index` is within its request. */
export type EntryFailureRule = (entry: PutEventsWireEntry, index: number) => EntryFailure | undefined;

/** An event the local bus accepted. */
export interface RecordedEvent {
  readonly eventId: string;
  /** The bus name (an ARN is reduced to its name); `default` when none was given. */
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  /** The detail, parsed. */
  readonly detail: Record<string, unknown>;
  readonly time: Date | undefined;
  readonly resources: readonly string[];
}

/** Options of the local EventBridge. */
export interface LocalEventBridgeOptions {
  /** Total size of one PutEvents request, computed the way AWS documents it. @default 262_144 */
  readonly maxRequestBytes?: number;
}

/** The local EventBridge, as tests see it. */
export interface LocalEventBridge {
  /** Every accepted event, on every bus, oldest first. */
  readonly events: RecordedEvent[];
  /** The accepted events of one bus. */
  eventsOn(eventBusName: string): RecordedEvent[];
  /** Fails the next `count` entries (across requests). @default failure ThrottlingException */
  failNext(count: number, failure?: EntryFailure): void;
  /** Installs (or with `undefined` removes) a rule consulted for every entry after `failNext`'s. */
  setFailure(rule: EntryFailureRule | undefined): void;
  /** Every EventBridge request received, oldest first. */
  readonly calls: RecordedCall[];
}

/** The local EventBridge plus the entry point the server dispatches `AWSEvents.*` requests to. */
export interface EventBridgeService extends LocalEventBridge {
  handle(operation: string, input: Record<string, unknown>): unknown;
}

const throttled: EntryFailure = { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
const maxEntries = 10;

/** Creates an in-memory EventBridge answering `PutEvents` exactly as AWS shapes its result. */
export function createLocalEventBridge(options: LocalEventBridgeOptions = {}): EventBridgeService {
  const maxRequestBytes = options.maxRequestBytes ?? 256 * 1024;
  const events: RecordedEvent[] = [];
  const calls: RecordedCall[] = [];
  let failuresLeft = 0;
  let nextFailure = throttled;
  let rule: EntryFailureRule | undefined;

  const putEntry = (entry: PutEventsWireEntry, index: number) => {
    const failure = validate(entry) ?? injected(entry, index);
    if (failure) return failure;
    const eventId = randomUUID();
    events.push({
      eventId,
      eventBusName: busName(entry.EventBusName),
      source: entry.Source!,
      detailType: entry.DetailType!,
      detail: JSON.parse(entry.Detail!),
      time: entry.Time === undefined ? undefined : new Date(entry.Time * 1000),
      resources: entry.Resources ?? [],
    });
    return { EventId: eventId };
  };

  const injected = (entry: PutEventsWireEntry, index: number) => {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      return nextFailure;
    }
    return rule?.(entry, index);
  };

  const putEvents = (input: Record<string, unknown>) => {
    const entries = Array.isArray(input.Entries) ? (input.Entries as PutEventsWireEntry[]) : [];
    if (entries.length < 1 || entries.length > maxEntries) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${maxEntries}`,
      );
    }
    if (entries.reduce((total, entry) => total + entrySize(entry), 0) > maxRequestBytes) {
      throw new AwsServiceError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const results = entries.map(putEntry);
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  };

  return {
    events,
    eventsOn: (eventBusName) => events.filter((event) => event.eventBusName === eventBusName),
    failNext(count, failure = throttled) {
      failuresLeft = count;
      nextFailure = failure;
    },
    setFailure(next) {
      rule = next;
    },
    calls,
    handle(operation, input) {
      calls.push({ target: `AWSEvents.${operation}`, operation, input });
      if (operation !== 'PutEvents') {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The local EventBridge does not implement ${operation}.`,
        );
      }
      return putEvents(input);
    },
  };
}

function validate(entry: PutEventsWireEntry): EntryFailure | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (!entry[field]) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail!);
    // EventBridge wants a JSON object: arrays, strings and numbers are rejected as malformed.
    if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) return undefined;
  } catch {
    // fall through to the malformed result
  }
  return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
}

/** The entry size as AWS documents it for the PutEvents limit: Time 14 bytes, then UTF-8 lengths. */
function entrySize(entry: PutEventsWireEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((total, resource) => total + bytes(resource), 0)
  );
}

function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  // arn:aws:events:<region>:<account>:event-bus/<name>
  return nameOrArn.startsWith('arn:')
    ? nameOrArn.slice(nameOrArn.indexOf('event-bus/') + 'event-bus/'.length)
    : nameOrArn;
}
