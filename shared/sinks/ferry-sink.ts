import { createHash } from 'node:crypto';
import { SinkError } from '../errors.js';
import { forEachBounded } from '../for-each-bounded.js';
import { createHttpClient, type HttpClientOptions } from '../http-client.js';
import type { Incident } from '../incident.js';
import { fitIncident, type Truncation, truncationNotice, utf8Bytes } from './fit-incident.js';
import { requireTls } from './require-tls.js';
import type { IncidentBatch, KeyedIncident, PushOptions, PushResult, Sink } from './sink.js';
import { toSinkError } from './sink-error.js';

/** The reference endpoint refuses an incident over 384 KiB (what fits a DynamoDB item). */
export const DEFAULT_FERRY_INCIDENT_BYTES = 384 * 1024;
/** Below the reference endpoint's 5 MiB body limit, with room for the envelope. */
export const DEFAULT_FERRY_BATCH_BYTES = 4 * 1024 * 1024;

export interface FerrySinkOptions {
  /** Base URL of the ingestion endpoint; batches go to `<url>/incidents`. */
  readonly url: string;
  readonly token?: string;
  /** Incidents per request. @default 100 */
  readonly batchSize?: number;
  /** Requests in flight. @default 4 */
  readonly concurrency?: number;
  readonly allowInsecure?: boolean;
  /** Larger incidents are shortened to fit (see fit-incident.ts). @default 384 KiB */
  readonly maxIncidentBytes?: number;
  /** A request carries at most this many bytes of incidents. @default 4 MiB */
  readonly maxBatchBytes?: number;
  /** Retry and timeout settings of the HTTP client. */
  readonly http?: Omit<HttpClientOptions, 'signal' | 'headers'>;
}

/** The reference endpoint's answer to one batch (a 409 adds the conflicts and an error). */
interface IngestAnswer {
  accepted: number;
  new: number;
  duplicates: number;
  conflicts?: { index: number; key: string }[];
}

/**
 * The batch's idempotency key: a hash of the instance and its incidents' keys, so a re-push after a
 * crash carries the same key and the endpoint can answer it without storing anything twice.
 */
export const idempotencyKey = (instance: string, keys: readonly string[]): string =>
  createHash('sha256').update(instance).update('\n').update(keys.join('\n')).digest('base64url');

const hints = {
  auth: 'the ingestion endpoint refused the token: check the sink\'s "token" secret',
  rejected: 'the ingestion endpoint rejected the batch: check the sink URL and the incidents',
  unavailable: 'the ingestion endpoint is unavailable; the next fetch pushes the same incidents again',
};

/** What the history says when the endpoint kept other incidents under some keys (a 409). */
const conflictNotice = (keys: readonly string[], instance: string): string =>
  `${keys.length} incident(s) conflicted with a different incident the endpoint already had under the same key ` +
  `(${keys
    .slice(0, 5)
    .map((key) => `"${key}"`)
    .join(', ')}${keys.length > 5 ? ', …' : ''}): the endpoint kept the stored ones and recorded these ` +
  `(GET /conflicts?instance=${instance}). Check that ids are unique at the source.`;

/** One incident ready to send: its key and its JSON, serialized once (sizing and the body share it). */
interface SerializedIncident {
  readonly key: string;
  readonly json: string;
  readonly bytes: number;
}

/** Splits the batch by count and by bytes, in order: the same incidents always split the same way. */
const chunks = (items: readonly SerializedIncident[], count: number, bytes: number) => {
  const out: SerializedIncident[][] = [];
  let current: SerializedIncident[] = [];
  let size = 0;
  for (const item of items) {
    const itemBytes = item.bytes;
    if (current.length === count || (current.length > 0 && size + itemBytes > bytes)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemBytes + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
};

/** The `ferry` sink: POSTs batches to Ferry's reference ingestion endpoint with an `Idempotency-Key`. */
export const createFerrySink = (options: FerrySinkOptions): Sink => {
  const base = requireTls(options.url, 'sink "ferry"', options.allowInsecure);
  const endpoint = new URL('incidents', base.href.endsWith('/') ? base : `${base.href}/`).toString();
  const batchSize = options.batchSize ?? 100;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxIncidentBytes = options.maxIncidentBytes ?? DEFAULT_FERRY_INCIDENT_BYTES;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_FERRY_BATCH_BYTES;
  const measure = (incident: Incident) => utf8Bytes(JSON.stringify(incident));
  // Serialized once: the same JSON is measured and sent (half the CPU of stringifying twice).
  const serialize = ({ key, incident }: KeyedIncident): SerializedIncident & { truncation?: Truncation } => {
    const json = JSON.stringify(incident);
    const bytes = utf8Bytes(json);
    if (bytes <= maxIncidentBytes) return { key, json, bytes };
    const fitted = fitIncident(incident, maxIncidentBytes, measure);
    return { key, json: JSON.stringify(fitted.incident), bytes: fitted.bytes, truncation: fitted.truncation };
  };
  return {
    type: 'ferry',
    async push(batch: IncidentBatch, pushOptions: PushOptions = {}): Promise<PushResult> {
      const http = createHttpClient({
        ...options.http,
        // No Retry-After wait that ends past the deadline.
        ...(pushOptions.deadline === undefined
          ? {}
          : {
              maxRetryAfterMs: Math.min(
                options.http?.maxRetryAfterMs ?? 30_000,
                pushOptions.deadline - Date.now(),
              ),
            }),
        signal: pushOptions.signal,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        // Incidents and the token go to the configured endpoint or nowhere.
        crossOriginRedirects: 'refuse',
      });
      // An incident over the endpoint's limit would be refused at every retry and wedge the instance.
      const truncated: { key: string; truncation: Truncation }[] = [];
      const sized = batch.incidents.map((item) => {
        const serialized = serialize(item);
        if (serialized.truncation) truncated.push({ key: item.key, truncation: serialized.truncation });
        return serialized;
      });
      // The envelope around the incidents' JSON, as JSON.stringify would write it.
      const envelope = JSON.stringify({
        instance: batch.instance,
        connector: batch.connector,
        runId: batch.runId,
      }).slice(0, -1);
      let accepted = 0;
      let duplicates = 0;
      const conflicts: string[] = [];
      // Batches are independent (each has its own idempotency key), so several go at once; one that
      // fails stops new ones, and the whole push is retried by the next fetch.
      await forEachBounded(chunks(sized, batchSize, maxBatchBytes), concurrency, async (chunk) => {
        try {
          const { status, body } = await http.request<IngestAnswer>({
            url: endpoint,
            method: 'POST',
            // 409: some incidents reuse a stored key with another content; the endpoint kept the stored
            // ones, recorded these and stored the rest. Pushing again would only conflict again.
            acceptStatus: [409],
            headers: {
              'idempotency-key': idempotencyKey(
                batch.instance,
                chunk.map((item) => item.key),
              ),
            },
            body: `${envelope},"incidents":[${chunk.map((item) => item.json).join(',')}]}`,
          });
          const conflicting = status === 409 && Array.isArray(body?.conflicts) ? body.conflicts : [];
          if (status === 409 && conflicting.length === 0) {
            throw new SinkError(
              `Push to ${endpoint} failed: it answered 409 without the conflicts; check "sink.url".`,
              {
                status,
                retryable: false,
              },
            );
          }
          conflicts.push(...conflicting.map((conflict) => conflict.key));
          if (typeof body?.accepted !== 'number' || body.accepted + conflicting.length !== chunk.length) {
            throw new SinkError(
              `The ingestion endpoint acknowledged ${body?.accepted ?? 'no'} of ${chunk.length} incidents; the batch is retried on the next fetch.`,
              { retryable: true },
            );
          }
          accepted += body.accepted;
          duplicates += body.duplicates ?? 0;
        } catch (error) {
          throw toSinkError(error, endpoint, hints);
        }
      });
      const notices = [
        truncated.length > 0 ? truncationNotice(truncated) : undefined,
        conflicts.length > 0 ? conflictNotice(conflicts, batch.instance) : undefined,
      ].filter((notice): notice is string => notice !== undefined);
      return {
        accepted: accepted + conflicts.length,
        duplicates,
        ...(truncated.length > 0 ? { truncated: truncated.length } : {}),
        ...(notices.length > 0 ? { notice: notices.join(' ') } : {}),
      };
    },
  };
};
