import { SinkError, SourceError } from '../errors.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../http-client.js';
import type { Incident } from '../incident.js';
import { redactAndTruncate } from '../redact.js';
import { type DeliveryLedger, ledgerScope } from '../state/delivery-ledger.js';
import {
  fitIncident,
  MIN_INCIDENT_BYTES,
  type Truncation,
  truncationNotice,
  utf8Bytes,
} from './fit-incident.js';
import { forEachBounded } from './for-each-bounded.js';
import { DEFAULT_LEDGER_TTL_SECONDS, ledgerFailureNotice, openLedgerSession } from './ledger-session.js';
import { requireTls } from './require-tls.js';
import type { IncidentBatch, KeyedIncident, PushOptions, PushResult, Sink } from './sink.js';
import { toSinkError } from './sink-error.js';
import { createdId, type XsoarMode } from './xsoar-requests.js';
import { apiTarget, webhookTarget } from './xsoar-targets.js';

/** @default 1 MiB: XSOAR documents no per-incident limit; this keeps incidents workable in its UI. */
export const DEFAULT_XSOAR_INCIDENT_BYTES = 1024 * 1024;

export interface XsoarSinkOptions {
  /** XSOAR 6: the server URL. XSOAR 8: the API URL `https://api-<fqdn>`. Webhook: the server URL (8: `https://ext-<fqdn>/xsoar`). */
  readonly url: string;
  /** @default 'api' */
  readonly mode?: XsoarMode;
  /** @default 6 */
  readonly version?: 6 | 8;
  /** REST API mode: the API key (`Authorization`). */
  readonly apiKey?: string;
  /** XSOAR 8: the key's ID (`x-xdr-auth-id`). */
  readonly apiKeyId?: string;
  /** Webhook mode: the Generic Webhook instance's name. */
  readonly webhookInstance?: string;
  /** Webhook mode: the instance's credentials (basic auth). */
  readonly username?: string;
  readonly password?: string;
  /** @default true */
  readonly createInvestigation?: boolean;
  readonly playbookId?: string;
  /** The type of incidents that name none. @default XSOAR's own (Unclassified) */
  readonly incidentType?: string;
  /** Requests in flight. @default 4 */
  readonly concurrency?: number;
  /** @default {@link DEFAULT_XSOAR_INCIDENT_BYTES} */
  readonly maxIncidentBytes?: number;
  readonly allowInsecure?: boolean;
  /** Skips what an earlier push delivered. Without one, a crash between push and commit creates duplicates. */
  readonly ledger?: DeliveryLedger;
  /** @default {@link DEFAULT_LEDGER_TTL_SECONDS} */
  readonly ledgerTtlSeconds?: number;
  /** Retry and timeout settings; `timeoutMs` defaults to 30 s here (creating an incident may start a playbook). */
  readonly http?: Omit<HttpClientOptions, 'signal' | 'headers'>;
}

/** A 2xx answer's id. Empty or `null` means accepted without one (a pre-processing rule may drop or merge). */
const readAnswer = (text: string, endpoint: string): string | undefined => {
  if (text.trim() === '') return undefined;
  try {
    return createdId(JSON.parse(text));
  } catch (error) {
    // A 200 that is not JSON is not XSOAR (a proxy's login page): never count it as delivered.
    throw new SinkError(
      `Push to ${endpoint} failed: it answered with a body that is not JSON (${redactAndTruncate(text, 80)}), so it is not XSOAR's API; check "sink.url".`,
      { retryable: false },
      { cause: error },
    );
  }
};

const progress = (delivered: number, total: number, skipped: number): string =>
  ` ${delivered} of ${total} incidents were created before it failed${skipped > 0 ? ` (${skipped} more were already delivered)` : ''}; ` +
  'the delivery ledger makes the next fetch send only the rest.';

/**
 * The `xsoar` sink: one request per incident (XSOAR has no batch create: `/incident/batch` is a bulk
 * update), `concurrency` at a time, each created incident's id returned for the history. A delivery
 * ledger, when given, is consulted first and written as incidents are accepted, so a fetch retried
 * after a crash between push and commit does not create them twice.
 * @example createXsoarSink({ url: 'https://xsoar.example.com', apiKey, ledger })
 */
export const createXsoarSink = (options: XsoarSinkOptions): Sink => {
  const base = requireTls(options.url, 'sink "xsoar"', options.allowInsecure);
  const mode = options.mode ?? 'api';
  const target = mode === 'webhook' ? webhookTarget(base, options) : apiTarget(base, options);
  const maxBytes = Math.max(MIN_INCIDENT_BYTES, options.maxIncidentBytes ?? DEFAULT_XSOAR_INCIDENT_BYTES);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const scope = ledgerScope(`xsoar:${mode}:${target.endpoint}`);

  return {
    type: 'xsoar',
    async push(batch: IncidentBatch, pushOptions: PushOptions = {}): Promise<PushResult> {
      const measure = (item: KeyedIncident) => (incident: Incident) =>
        utf8Bytes(JSON.stringify(target.body(item, incident, batch)));
      const truncated = new Map<string, Truncation>();
      const fitFor = (item: KeyedIncident, limit: number): Incident => {
        const fitted = fitIncident(item.incident, limit, measure(item));
        if (fitted.truncation) truncated.set(item.key, fitted.truncation);
        return fitted.incident;
      };
      const fitted = batch.incidents.map((item) => ({ item, incident: fitFor(item, maxBytes) }));

      let session: Awaited<ReturnType<typeof openLedgerSession>> | undefined;
      try {
        session = options.ledger
          ? await openLedgerSession(
              {
                ledger: options.ledger,
                instanceId: batch.instance,
                scope,
                runId: batch.runId,
                ttlSeconds: options.ledgerTtlSeconds ?? DEFAULT_LEDGER_TTL_SECONDS,
                deadline: pushOptions.deadline,
              },
              batch.incidents.map((item) => item.key),
              pushOptions.signal,
            )
          : undefined;
      } catch (error) {
        throw new SinkError(
          `Could not read the delivery ledger before pushing to ${target.endpoint}, so nothing was sent (it could create duplicates). ` +
            `The next fetch retries. (${(error as Error).message})`,
          { retryable: true },
          { cause: error },
        );
      }
      const pending = fitted.filter(({ item }) => !session?.delivered.has(item.key));
      const created = new Map<string, string | undefined>();
      const http = createHttpClient({
        timeoutMs: 30_000,
        ...options.http,
        // No Retry-After wait that ends past the deadline: fail now, with time left to record.
        maxRetryAfterMs: Math.min(
          options.http?.maxRetryAfterMs ?? 30_000,
          pushOptions.deadline === undefined ? Number.POSITIVE_INFINITY : pushOptions.deadline - Date.now(),
        ),
        signal: pushOptions.signal,
        headers: target.headers,
        // Incidents and the API key go to the configured server or nowhere.
        crossOriginRedirects: 'refuse',
      });

      const deliver = async (client: HttpClient, item: KeyedIncident, first: Incident) => {
        let incident = first;
        for (let limit = maxBytes; ; ) {
          try {
            const { body } = await client.request<string>({
              url: target.endpoint,
              method: 'POST',
              body: target.body(item, incident, batch),
              responseType: 'text',
            });
            return readAnswer(body, target.endpoint);
          } catch (error) {
            // 413: a proxy in front of XSOAR takes less than maxIncidentBytes. Shrink and resend.
            if (error instanceof SourceError && error.details.status === 413 && limit > MIN_INCIDENT_BYTES) {
              limit = Math.max(MIN_INCIDENT_BYTES, Math.floor(Math.min(limit, measure(item)(incident)) / 4));
              incident = fitFor(item, limit);
              continue;
            }
            throw toSinkError(error, target.endpoint, target.hints(item.key));
          }
        }
      };

      let failure: unknown;
      try {
        await forEachBounded(pending, concurrency, async ({ item, incident }) => {
          const id = await deliver(http, item, incident);
          created.set(item.key, id);
          session?.record(id === undefined ? { key: item.key } : { key: item.key, sinkId: id });
        });
      } catch (error) {
        failure = error;
      }
      const ledger = session ? await session.close() : undefined;
      const skipped = fitted.length - pending.length;
      if (failure !== undefined) {
        const error = toSinkError(failure, target.endpoint, target.hints('?'));
        const unrecorded = ledger ? ledgerFailureNotice(ledger) : undefined;
        const message = error.message + progress(created.size, pending.length, skipped);
        throw new SinkError(unrecorded ? `${message} ${unrecorded}` : message, error.details, {
          cause: error.cause ?? error,
        });
      }
      const ids = batch.incidents
        .map((item) =>
          created.has(item.key) ? created.get(item.key) : session?.delivered.get(item.key)?.sinkId,
        )
        .filter((id): id is string => id !== undefined);
      const notices = [
        truncationNotice([...truncated].map(([key, truncation]) => ({ key, truncation }))),
        ledger ? ledgerFailureNotice(ledger) : undefined,
      ].filter(Boolean);
      return {
        accepted: batch.incidents.length,
        duplicates: skipped,
        ids,
        ...(truncated.size > 0 ? { truncated: truncated.size } : {}),
        ...(notices.length > 0 ? { notice: notices.join(' ') } : {}),
      };
    },
  };
};
