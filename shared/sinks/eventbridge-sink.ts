import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { SinkError } from '../errors.js';
import { forEachBounded } from '../for-each-bounded.js';
import { type BackoffOptions, backoffDelay, sleep } from '../retry.js';
import { type DeliveryLedger, ledgerScope } from '../state/delivery-ledger.js';
import { DEFAULT_MAX_ENTRY_BYTES, entrySize, packEntries, toEntry } from './eventbridge-entries.js';
import { fitIncident, type Truncation, truncationNotice } from './fit-incident.js';
import {
  DEFAULT_LEDGER_TTL_SECONDS,
  type LedgerSession,
  ledgerFailureNotice,
  openLedgerSession,
} from './ledger-session.js';
import type { IncidentBatch, PushOptions, PushResult, Sink } from './sink.js';

/** Entry error codes worth sending again (the PutEvents API reference names these two). */
const RETRYABLE_ENTRY_ERRORS = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

export interface EventBridgeSinkOptions {
  /** Created once per cold start by the caller; its endpoint follows `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  readonly client: EventBridgeClient;
  /** A bus name or ARN. @default the account's `default` bus */
  readonly eventBusName?: string;
  /** The entry and request size limit, counted as AWS counts it. @default 262_144 */
  readonly maxEntryBytes?: number;
  /** ARNs put in every event's `resources` (they count towards the size). */
  readonly resources?: readonly string[];
  /** PutEvents calls in flight. @default 4 */
  readonly concurrency?: number;
  /** Rounds of re-sending the entries a response reports failed. @default 4 */
  readonly retries?: number;
  readonly backoff?: BackoffOptions;
  /** When given, events already put by an earlier push of the same incidents are not put again. */
  readonly ledger?: DeliveryLedger;
  readonly ledgerTtlSeconds?: number;
}

interface Pending {
  readonly key: string;
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
}

interface SdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** A whole PutEvents call failed (the SDK already retried throttling and 5xx). */
const callFailure = (error: unknown, bus: string, signal?: AbortSignal): SinkError => {
  const sdk = (error ?? {}) as SdkError;
  const name = sdk.name ?? 'Error';
  const status = sdk.$metadata?.httpStatusCode;
  if (signal?.aborted) {
    return new SinkError(
      `PutEvents to bus "${bus}" was stopped by the invocation deadline; the next fetch retries.`,
      { retryable: true },
      { cause: error },
    );
  }
  const hint =
    name === 'ResourceNotFoundException'
      ? `the event bus "${bus}" does not exist: create it or fix the sink's "eventBusName"`
      : /AccessDenied|NotAuthorized|UnrecognizedClient|InvalidSignature|ExpiredToken/.test(name)
        ? `the function's role may not put events on "${bus}": grant it events:PutEvents on the bus`
        : sdk.$fault === 'client' && !sdk.$retryable
          ? `EventBridge refused the request (${name})`
          : 'EventBridge is unavailable; the next fetch retries';
  const retryable = !(sdk.$fault === 'client' && !sdk.$retryable && name !== 'ThrottlingException');
  return new SinkError(
    `PutEvents failed: ${hint}. (${sdk.message ?? String(error)})`,
    { ...(status === undefined ? {} : { status }), retryable },
    { cause: error },
  );
};

/**
 * The `eventbridge` sink: `PutEvents`, at most 10 entries and `maxEntryBytes` a call, `Source`
 * `ferry.<connector>`, `DetailType` `Incident`, `Detail` `{instance, connector, runId, key, incident}`.
 * Entries the response reports failed are sent again with backoff — only those: an entry EventBridge
 * accepted is never put twice by one push.
 * @example createEventBridgeSink({ client: new EventBridgeClient({}), eventBusName: 'soc' })
 */
export const createEventBridgeSink = (options: EventBridgeSinkOptions): Sink => {
  const maxBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const bus = options.eventBusName ?? 'default';
  const retries = options.retries ?? 4;
  const backoff = options.backoff ?? { baseDelayMs: 100, maxDelayMs: 5_000 };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const entryOptions = { eventBusName: options.eventBusName, resources: options.resources };

  return {
    type: 'eventbridge',
    async push(batch: IncidentBatch, pushOptions: PushOptions = {}): Promise<PushResult> {
      const { signal, deadline } = pushOptions;
      const truncated: { key: string; truncation: Truncation }[] = [];
      let pending: Pending[] = batch.incidents.map(({ key, incident }) => {
        const fitted = fitIncident(incident, maxBytes, (candidate) =>
          entrySize(toEntry(batch, key, candidate, entryOptions)),
        );
        if (fitted.truncation) truncated.push({ key, truncation: fitted.truncation });
        return { key, entry: toEntry(batch, key, fitted.incident, entryOptions), size: fitted.bytes };
      });

      let session: LedgerSession | undefined;
      if (options.ledger) {
        const region = await options.client.config.region();
        session = await openLedgerSession(
          {
            ledger: options.ledger,
            instanceId: batch.instance,
            scope: ledgerScope(`eventbridge:${region}:${bus}`),
            runId: batch.runId,
            ttlSeconds: options.ledgerTtlSeconds ?? DEFAULT_LEDGER_TTL_SECONDS,
            deadline,
          },
          pending.map((item) => item.key),
          signal,
        ).catch((error: unknown) => {
          throw new SinkError(
            `Could not read the delivery ledger, so nothing was put on "${bus}"; the next fetch retries. (${(error as Error).message})`,
            { retryable: true },
            { cause: error },
          );
        });
        pending = pending.filter((item) => !session?.delivered.has(item.key));
      }
      const skipped = batch.incidents.length - pending.length;
      const eventIds = new Map<string, string>();

      const put = async (call: Pending[], failed: Pending[], reasons: Set<string>) => {
        let output: PutEventsCommandOutput;
        try {
          output = await options.client.send(
            new PutEventsCommand({ Entries: call.map((item) => item.entry) }),
            { abortSignal: signal },
          );
        } catch (error) {
          throw callFailure(error, bus, signal);
        }
        // Every accepted entry is recorded before any refusal is raised: those must not be put again.
        let refused: SinkError | undefined;
        call.forEach((item, index) => {
          const result = output.Entries?.[index];
          if (result?.EventId) {
            eventIds.set(item.key, result.EventId);
            session?.record({ key: item.key, sinkId: result.EventId });
            return;
          }
          const code = result?.ErrorCode ?? 'MissingResult';
          if (RETRYABLE_ENTRY_ERRORS.has(code) || code === 'MissingResult') {
            failed.push(item);
            reasons.add(code);
            return;
          }
          refused ??= new SinkError(
            `EventBridge refused incident "${item.key}" on bus "${bus}": ${code} ${result?.ErrorMessage ?? ''}`.trim() +
              (/NotAuthorized|AccessDenied/.test(code)
                ? ". Grant the function's role events:PutEvents for this source and detail type."
                : '.'),
            { retryable: false },
          );
        });
        if (refused) throw refused;
      };

      let failure: unknown;
      try {
        for (let attempt = 0; pending.length > 0; attempt++) {
          const failed: Pending[] = [];
          const reasons = new Set<string>();
          await forEachBounded(packEntries(pending, maxBytes), concurrency, (call) =>
            put(call, failed, reasons),
          );
          pending = failed;
          if (pending.length === 0) break;
          const delayMs = backoffDelay(attempt, backoff);
          if (attempt >= retries || (deadline !== undefined && Date.now() + delayMs > deadline)) {
            throw new SinkError(
              `EventBridge still reports ${pending.length} of ${batch.incidents.length} entries failed (${[...reasons].join(', ')}) ` +
                `after ${attempt + 1} attempts; the next fetch retries them.`,
              { retryable: true },
            );
          }
          await sleep(delayMs, signal);
        }
      } catch (error) {
        failure = error;
      }
      const ledger = session ? await session.close() : undefined;
      if (failure !== undefined) {
        if (failure instanceof SinkError) throw failure;
        throw callFailure(failure, bus, signal);
      }
      const notices = [truncationNotice(truncated), ledger ? ledgerFailureNotice(ledger) : undefined].filter(
        Boolean,
      );
      const ids = batch.incidents
        .map((item) => eventIds.get(item.key) ?? session?.delivered.get(item.key)?.sinkId)
        .filter((id): id is string => id !== undefined);
      return {
        accepted: batch.incidents.length,
        duplicates: skipped,
        ids,
        ...(truncated.length > 0 ? { truncated: truncated.length } : {}),
        ...(notices.length > 0 ? { notice: notices.join(' ') } : {}),
      };
    },
  };
};
