// Over 300 lines: the push is one algorithm (resolve what is in doubt, mark, create, resolve again)
// whose steps share the ledger session, the outcome maps and the size fitting; split up, each part
// would take half a dozen of them as parameters.
import { ErrorCodes, errorMessage, SinkError, SourceError } from '../errors.js';
import { forEachBounded } from '../for-each-bounded.js';
import { createHttpClient, type HttpClientOptions } from '../http-client.js';
import type { Incident } from '../incident.js';
import { redactAndTruncate } from '../redact.js';
import { backoffDelay, sleep } from '../retry.js';
import { type DeliveryLedger, ledgerScope } from '../state/delivery-ledger.js';
import {
  fitIncident,
  MIN_INCIDENT_BYTES,
  type Truncation,
  truncationNotice,
  utf8Bytes,
} from './fit-incident.js';
import {
  DEFAULT_LEDGER_TTL_SECONDS,
  type LedgerSession,
  ledgerFailureNotice,
  openLedgerSession,
} from './ledger-session.js';
import { requireTls } from './require-tls.js';
import type { IncidentBatch, KeyedIncident, PushOptions, PushResult, Sink } from './sink.js';
import { toSinkError } from './sink-error.js';
import type { XsoarMode } from './xsoar-requests.js';
import { resolveBySourceId } from './xsoar-resolve.js';
import { apiTarget, type Outgoing, webhookTarget, type XsoarTarget } from './xsoar-targets.js';

/** @default 1 MiB: XSOAR documents no per-incident limit; this keeps incidents workable in its UI. */
export const DEFAULT_XSOAR_INCIDENT_BYTES = 1024 * 1024;

export interface XsoarSinkOptions {
  /** XSOAR 6: the server URL. XSOAR 8: the API URL `https://api-<fqdn>`. Webhook: the server URL (8: `https://ext-<fqdn>/xsoar`). */
  readonly url: string;
  /** @default 'webhook' when `webhookInstance` is set (it runs the instance's classifier and mapper), else 'api' */
  readonly mode?: XsoarMode;
  /** @default 6 */
  readonly version?: 6 | 8;
  /** The API key (`Authorization`): REST API mode, and the webhook's searches. */
  readonly apiKey?: string;
  /** XSOAR 8: the key's ID (`x-xdr-auth-id`). */
  readonly apiKeyId?: string;
  /** XSOAR 8: an Advanced key signs each request (nonce, timestamp, SHA-256). @default 'standard' */
  readonly apiKeyType?: 'standard' | 'advanced';
  /** Webhook mode on XSOAR 8: the API URL for searches (`https://api-<fqdn>`). */
  readonly apiUrl?: string;
  /** Webhook mode: the Generic Webhook instance's name. */
  readonly webhookInstance?: string;
  /** Webhook mode: the instance's credentials (basic auth, or `_header:<Name>` and the header's value). */
  readonly username?: string;
  readonly password?: string;
  /** Webhook mode: incidents per request. @default 50 */
  readonly batchSize?: number;
  /** @default true */
  readonly createInvestigation?: boolean;
  readonly playbookId?: string;
  /** The type of incidents that name none. @default XSOAR's own (Unclassified) */
  readonly incidentType?: string;
  /** The brand XSOAR shows as the source (REST API mode). @default "Ferry" */
  readonly sourceBrand?: string;
  /** Requests in flight. @default 4 */
  readonly concurrency?: number;
  /** @default {@link DEFAULT_XSOAR_INCIDENT_BYTES} */
  readonly maxIncidentBytes?: number;
  readonly allowInsecure?: boolean;
  /** Records what is done and what is in doubt. Without one, a crash between a create and the commit creates duplicates. */
  readonly ledger?: DeliveryLedger;
  /** @default {@link DEFAULT_LEDGER_TTL_SECONDS} */
  readonly ledgerTtlSeconds?: number;
  /** Retry and timeout settings; `timeoutMs` defaults to 30 s here (creating an incident may start a playbook). */
  readonly http?: Omit<HttpClientOptions, 'signal' | 'headers'>;
  /**
   * How long to wait before searching for creates in doubt: a create a gateway gave up on may still be
   * finishing in XSOAR. @default 2_000
   */
  readonly resolveDelayMs?: number;
  /** Rounds of create → resolve → create the rest within one push. @default 3 */
  readonly maxRounds?: number;
}

/** A 2xx answer, parsed. Empty or `null`: accepted without an id (a pre-processing rule or the webhook's duplication_key dropped it). */
const parseAnswer = (text: string, endpoint: string): unknown => {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    // A 200 that is not JSON is not XSOAR (a proxy's login page): never count it as delivered.
    throw new SinkError(
      `Push to ${endpoint} failed: it answered with a body that is not JSON (${redactAndTruncate(text, 80)}), so it is not XSOAR's API; check "sink.url".`,
      { retryable: false },
      { cause: error },
    );
  }
};

/**
 * What a failed create means for the incidents in it. A 5xx, a timeout or a broken connection after
 * the request went out: XSOAR may have stored them (a gateway answers 502 after XSOAR created the
 * incident) — in doubt. A 429: XSOAR refused before doing anything — not created. Anything else
 * (4xx, the deadline) stops the push.
 */
const outcomeOf = (error: unknown): 'in-doubt' | 'not-created' | 'fatal' => {
  if (!(error instanceof SourceError)) return 'fatal';
  const status = error.details.status;
  if (status === 429 || error.code === ErrorCodes.SOURCE_RATE_LIMITED) return 'not-created';
  if (status !== undefined) return status >= 500 ? 'in-doubt' : 'fatal';
  return error.code === ErrorCodes.SOURCE_TIMEOUT || error.code === ErrorCodes.SOURCE_UNREACHABLE
    ? 'in-doubt'
    : 'fatal';
};

const dbotMirrorIdOf = (item: KeyedIncident) => item.incident.dbotMirrorId ?? item.key;

/**
 * The `xsoar` sink: exactly once into XSOAR, whatever the network does. A create is never simply sent
 * again after an unknown outcome: the delivery ledger marks each incident "in doubt" before its create
 * goes out and "done" once XSOAR answered; an incident in doubt — from this push's 5xx or timeout, or
 * from an earlier process that died between the create and the ledger write — is looked up in XSOAR by
 * its source id (`dbotMirrorId`, in bulk) and only what is not there is created. REST API: one request
 * per incident (XSOAR has no batch create: `/incident/batch` is a bulk update); Generic Webhook: up to
 * `batchSize` incidents per request.
 * @example createXsoarSink({ url: 'https://xsoar.example.com', apiKey, ledger })
 */
export const createXsoarSink = (options: XsoarSinkOptions): Sink => {
  const base = requireTls(options.url, 'sink "xsoar"', options.allowInsecure);
  const mode = options.mode ?? (options.webhookInstance ? 'webhook' : 'api');
  const target: XsoarTarget = mode === 'webhook' ? webhookTarget(base, options) : apiTarget(base, options);
  if (options.apiUrl !== undefined)
    requireTls(options.apiUrl, 'sink "xsoar" (apiUrl)', options.allowInsecure);
  const maxBytes = Math.max(MIN_INCIDENT_BYTES, options.maxIncidentBytes ?? DEFAULT_XSOAR_INCIDENT_BYTES);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const scope = ledgerScope(`xsoar:${mode}:${target.endpoint}`);
  const maxRounds = Math.max(1, options.maxRounds ?? 3);
  const resolveDelayMs = options.resolveDelayMs ?? 2_000;

  return {
    type: 'xsoar',
    async push(batch: IncidentBatch, pushOptions: PushOptions = {}): Promise<PushResult> {
      const measure = (item: KeyedIncident) => (incident: Incident) =>
        utf8Bytes(JSON.stringify(target.body([{ item, incident }], batch)));
      const truncated = new Map<string, Truncation>();
      const fitFor = (item: KeyedIncident, limit: number): Incident => {
        const fitted = fitIncident(item.incident, limit, measure(item));
        if (fitted.truncation) truncated.set(item.key, fitted.truncation);
        return fitted.incident;
      };
      const fitted: Outgoing[] = batch.incidents.map((item) => ({ item, incident: fitFor(item, maxBytes) }));
      const byKey = new Map(fitted.map((outgoing) => [outgoing.item.key, outgoing]));

      let session: LedgerSession | undefined;
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
            `The next fetch retries. (${errorMessage(error)})`,
          { retryable: true },
          { cause: error },
        );
      }
      const httpOptions = {
        timeoutMs: 30_000,
        ...options.http,
        // No Retry-After wait that ends past the deadline: fail now, with time left to record.
        maxRetryAfterMs: Math.min(
          options.http?.maxRetryAfterMs ?? 30_000,
          pushOptions.deadline === undefined ? Number.POSITIVE_INFINITY : pushOptions.deadline - Date.now(),
        ),
        signal: pushOptions.signal,
        // Incidents and the API key go to the configured server or nowhere.
        crossOriginRedirects: 'refuse' as const,
      };
      // Creates are never retried by the client: a retried create after a 5xx is how duplicates are made.
      const creates = createHttpClient({ ...httpOptions, retries: 0 });
      // Searches are retried by resolveBySourceId, each attempt signed anew (an advanced key's nonce is single-use).
      const searches = createHttpClient({ ...httpOptions, retries: 0 });
      const searchRetry = { ...options.http, signal: pushOptions.signal };

      const earlier = session?.delivered ?? new Map();
      const created = new Map<string, string | undefined>();
      /** Found in XSOAR although the ledger had them in doubt: created by an earlier push. */
      const recovered = new Set<string>();
      const done = (key: string, id: string | undefined) => {
        created.set(key, id);
        session?.record(id === undefined ? { key } : { key, sinkId: id });
      };

      const resolve = async (keys: readonly string[]): Promise<Outgoing[]> => {
        if (keys.length === 0) return [];
        // The webhook without an API key: its duplication_key drops what it created before.
        if (!target.search) return keys.map((key) => byKey.get(key) as Outgoing);
        const { found } = await resolveBySourceId(
          searches,
          target.search,
          batch,
          keys.map((key) => ({ key, dbotMirrorId: dbotMirrorIdOf((byKey.get(key) as Outgoing).item) })),
          searchRetry,
        );
        for (const [key, id] of found) done(key, id);
        return keys.filter((key) => !found.has(key)).map((key) => byKey.get(key) as Outgoing);
      };

      const send = async (group: readonly Outgoing[]): Promise<void> => {
        let outgoing = group;
        for (let limit = maxBytes; ; ) {
          try {
            const { body } = await creates.request<string>({
              url: target.endpoint,
              method: 'POST',
              headers: target.headers(),
              body: target.body(outgoing, batch),
              responseType: 'text',
            });
            const ids = target.ids(parseAnswer(body, target.endpoint), outgoing.length);
            for (const [index, { item }] of outgoing.entries()) done(item.key, ids[index]);
            return;
          } catch (error) {
            // 413: a proxy in front of XSOAR takes less. Split a group, or shrink one incident, and resend.
            if (!(error instanceof SourceError && error.details.status === 413)) throw error;
            if (outgoing.length > 1) {
              const half = Math.ceil(outgoing.length / 2);
              await send(outgoing.slice(0, half));
              await send(outgoing.slice(half));
              return;
            }
            const only = outgoing[0] as Outgoing;
            if (limit <= MIN_INCIDENT_BYTES) throw error;
            limit = Math.max(
              MIN_INCIDENT_BYTES,
              Math.floor(Math.min(limit, measure(only.item)(only.incident)) / 4),
            );
            outgoing = [{ item: only.item, incident: fitFor(only.item, limit) }];
          }
        }
      };

      let failure: unknown;
      let pending: Outgoing[] = [];
      try {
        // In doubt since an earlier push (a 5xx, or a process killed before the "done" record): resolve first.
        const doubted = fitted
          .filter(({ item }) => earlier.get(item.key)?.inDoubt)
          .map(({ item }) => item.key);
        const toCreate = await resolve(doubted);
        for (const key of doubted) if (created.has(key)) recovered.add(key);
        pending = [...toCreate, ...fitted.filter(({ item }) => !earlier.has(item.key))];
        let retryAfterMs = 0;
        for (let round = 0; pending.length > 0 && round < maxRounds; round++) {
          if (round > 0) {
            // A 429's Retry-After is honoured, unless it ends past the deadline: then the next fetch retries.
            const wait = Math.max(backoffDelay(round - 1, options.http ?? {}), retryAfterMs);
            if (pushOptions.deadline !== undefined && Date.now() + wait > pushOptions.deadline) break;
            await sleep(wait, pushOptions.signal);
            retryAfterMs = 0;
          }
          await session?.markInDoubt(pending.map(({ item }) => item.key));
          const inDoubt: string[] = [];
          const again: Outgoing[] = [];
          const groups = Array.from({ length: Math.ceil(pending.length / target.perRequest) }, (_, index) =>
            pending.slice(index * target.perRequest, (index + 1) * target.perRequest),
          );
          await forEachBounded(groups, concurrency, async (group) => {
            try {
              await send(group);
            } catch (error) {
              const outcome = outcomeOf(error);
              if (outcome === 'fatal') throw error;
              if (outcome === 'in-doubt') inDoubt.push(...group.map(({ item }) => item.key));
              else {
                again.push(...group);
                retryAfterMs = Math.max(retryAfterMs, (error as SourceError).details.retryAfterMs ?? 0);
              }
              failure = error;
            }
          });
          if (inDoubt.length > 0 && resolveDelayMs > 0) await sleep(resolveDelayMs, pushOptions.signal);
          pending = [...again, ...(await resolve(inDoubt))];
        }
        if (pending.length === 0) failure = undefined;
      } catch (error) {
        failure = error;
      }
      const ledger = session ? await session.close() : undefined;
      const skipped =
        fitted.filter(({ item }) => earlier.has(item.key) && !earlier.get(item.key)?.inDoubt).length +
        recovered.size;
      if (failure !== undefined) {
        const error = toSinkError(failure, target.endpoint, target.hints(pending[0]?.item.key ?? '?'));
        const unrecorded = ledger ? ledgerFailureNotice(ledger) : undefined;
        const message =
          `${error.message} ${created.size} of ${fitted.length} incidents were created by this push` +
          `${skipped > 0 ? ` (${skipped} more were already in XSOAR)` : ''}; ` +
          'the delivery ledger records the rest as in doubt, and the next fetch looks them up in XSOAR before creating any.';
        throw new SinkError(unrecorded ? `${message} ${unrecorded}` : message, error.details, {
          cause: error.cause ?? error,
        });
      }
      const ids = batch.incidents
        .map((item) => (created.has(item.key) ? created.get(item.key) : earlier.get(item.key)?.sinkId))
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
