import { createHash } from 'node:crypto';
import { isFerryError, SinkError, SourceError } from '../errors.js';
import { createHttpClient, type HttpClientOptions } from '../http-client.js';
import { requireTls } from './require-tls.js';
import type { IncidentBatch, PushOptions, PushResult, Sink } from './sink.js';

export interface FerrySinkOptions {
  /** Base URL of the ingestion endpoint; batches go to `<url>/incidents`. */
  readonly url: string;
  readonly token?: string;
  /** Incidents per request. @default 100 */
  readonly batchSize?: number;
  readonly allowInsecure?: boolean;
  /** Retry and timeout settings of the HTTP client. */
  readonly http?: Omit<HttpClientOptions, 'signal' | 'headers'>;
}

/** The reference endpoint's answer to one batch. */
interface IngestAnswer {
  accepted: number;
  new: number;
  duplicates: number;
}

/**
 * The batch's idempotency key: a hash of the instance and its incidents' keys, so a re-push after a
 * crash carries the same key and the endpoint can answer it without storing anything twice.
 */
export const idempotencyKey = (instance: string, keys: readonly string[]): string =>
  createHash('sha256').update(instance).update('\n').update(keys.join('\n')).digest('base64url');

const toSinkError = (error: unknown, url: string): SinkError => {
  if (error instanceof SourceError) {
    const status = error.details.status;
    const rejected = status !== undefined && status < 500 && status !== 429;
    const hint =
      status === 401 || status === 403
        ? 'the ingestion endpoint refused the token: check the sink\'s "token" secret'
        : rejected
          ? 'the ingestion endpoint rejected the batch: check the sink URL and the incidents'
          : 'the ingestion endpoint is unavailable; the next fetch pushes the same incidents again';
    return new SinkError(
      `Push to ${url} failed: ${hint}. (${error.message})`,
      { status, retryable: !rejected },
      { cause: error },
    );
  }
  if (isFerryError(error)) return new SinkError(error.message, { retryable: true }, { cause: error });
  return new SinkError(
    `Push to ${url} failed: ${(error as Error).message}`,
    { retryable: true },
    { cause: error },
  );
};

/** The `ferry` sink: POSTs batches to Ferry's reference ingestion endpoint with an `Idempotency-Key`. */
export const createFerrySink = (options: FerrySinkOptions): Sink => {
  const base = requireTls(options.url, 'sink "ferry"', options.allowInsecure);
  const endpoint = new URL('incidents', base.href.endsWith('/') ? base : `${base.href}/`).toString();
  const batchSize = options.batchSize ?? 100;
  return {
    type: 'ferry',
    async push(batch: IncidentBatch, pushOptions: PushOptions = {}): Promise<PushResult> {
      const http = createHttpClient({
        ...options.http,
        signal: pushOptions.signal,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      });
      let accepted = 0;
      let duplicates = 0;
      for (let start = 0; start < batch.incidents.length; start += batchSize) {
        const chunk = batch.incidents.slice(start, start + batchSize);
        try {
          const { body } = await http.request<IngestAnswer>({
            url: endpoint,
            method: 'POST',
            headers: {
              'idempotency-key': idempotencyKey(
                batch.instance,
                chunk.map((item) => item.key),
              ),
            },
            body: {
              instance: batch.instance,
              connector: batch.connector,
              runId: batch.runId,
              incidents: chunk.map((item) => item.incident),
            },
          });
          if (typeof body?.accepted !== 'number' || body.accepted !== chunk.length) {
            throw new SinkError(
              `The ingestion endpoint acknowledged ${body?.accepted ?? 'no'} of ${chunk.length} incidents; the batch is retried on the next fetch.`,
              { retryable: true },
            );
          }
          accepted += body.accepted;
          duplicates += body.duplicates ?? 0;
        } catch (error) {
          throw error instanceof SinkError ? error : toSinkError(error, endpoint);
        }
      }
      return { accepted, duplicates };
    },
  };
};
