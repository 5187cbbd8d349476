import { createHash, timingSafeEqual } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import {
  ConfigError,
  ErrorCodes,
  IncidentInvalidError,
  isInvalidCursorError,
  SecretMissingError,
} from '../../shared/errors.js';
import { type Incident, validateIncident } from '../../shared/incident.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { IncidentStore } from './incident-store.js';

/** The bearer token, or a function resolving it (an SSM SecureString, cached). */
export type TokenSource = string | (() => string | Promise<string>);

export interface IngestAppOptions {
  readonly store: IncidentStore;
  /** Clients send it as `Authorization: Bearer <token>`. */
  readonly token: TokenSource;
  /** Largest request body; over it the answer is 413. @default 5 MiB */
  readonly maxBodyBytes?: number;
  /** @default a Powertools logger, service `ferry-ingest` */
  readonly logger?: Logger;
}

/** The error codes the endpoint answers with, in `{ error: { code, message } }`. */
export const IngestErrorCodes = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INVALID_JSON: 'INVALID_JSON',
  INVALID_REQUEST: 'INVALID_REQUEST',
  INCIDENT_INVALID: ErrorCodes.INCIDENT_INVALID,
  INVALID_CURSOR: 'INVALID_CURSOR',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL: 'INTERNAL',
} as const;

export const defaultMaxBodyBytes = 5 * 1024 * 1024;
/** max_fetch is at most 1000, so a fetch never needs a larger batch. */
export const maxIncidentsPerBatch = 1000;
// DynamoDB's item limit is 400 KB; the rest of the item (keys, run id, arrival) stays under 16 KB.
const maxIncidentBytes = 384 * 1024;

// Unknown top-level fields are ignored rather than refused, so a newer sink can add one without
// breaking older endpoints; everything the endpoint relies on is checked.
const batchSchema = z.object({
  instance: z.string().min(1).max(256),
  connector: z.string().min(1).max(128),
  runId: z.string().min(1).max(256),
  incidents: z.array(z.unknown()).max(maxIncidentsPerBatch),
});

const listQuerySchema = z.object({
  instance: z.string().min(1).max(256),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(4096).optional(),
});

type ErrorCode = (typeof IngestErrorCodes)[keyof typeof IngestErrorCodes];

const fail = (
  c: Context,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => c.json({ error: { code, message, ...extra } }, status, headers);

const describeIssues = (what: string, error: z.ZodError): string =>
  `Invalid ${what}: ${error.issues
    .map((issue) => `"${issue.path.map(String).join('.') || '(body)'}" ${issue.message}`)
    .join('; ')}.`;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant time whatever the lengths: both sides are compared as SHA-256 digests. */
const sameSecret = (presented: string, expected: string): boolean =>
  timingSafeEqual(digest(presented), digest(expected));

const bearerToken = (header: string | undefined): string | undefined =>
  /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')?.[1];

/** Refuses every request without the right bearer token. */
const requireToken = (token: TokenSource): MiddlewareHandler => {
  if (typeof token === 'string' && token === '')
    throw new ConfigError(
      'createIngestApp: "token" is empty; pass the bearer token the sinks send (locally: FERRY_INGEST_TOKEN).',
    );
  const expected = typeof token === 'string' ? () => token : token;
  return async function requireToken(c, next) {
    const presented = bearerToken(c.req.header('authorization'));
    const secret = await expected();
    if (secret === '')
      throw new SecretMissingError(
        'The ingestion token resolved to an empty string; put the token in its SecureString parameter (see docs/operations.md).',
      );
    if (presented === undefined || !sameSecret(presented, secret)) {
      return fail(
        c,
        401,
        IngestErrorCodes.UNAUTHORIZED,
        'Missing or wrong bearer token: send "Authorization: Bearer <token>" with the ingestion token.',
        {},
        { 'www-authenticate': 'Bearer' },
      );
    }
    await next();
  };
};

/**
 * The reference ingestion endpoint: `POST /incidents` (a Ferry batch), `GET /incidents` (what arrived,
 * oldest first) and `GET /health`. The same app runs in Lambda (`handler.ts`) and locally (`server.ts`).
 *
 * @example
 * const app = createIngestApp({ store: new DynamoIncidentStore({ client, tableName }), token });
 */
export const createIngestApp = (options: IngestAppOptions): Hono => {
  const { store } = options;
  const logger = options.logger ?? createLogger({ serviceName: 'ferry-ingest' });
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const app = new Hono();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.use('/incidents', requireToken(options.token));

  app.post(
    '/incidents',
    bodyLimit({
      maxSize: maxBodyBytes,
      // The unread rest of the body is still on the wire: close the connection so that no client
      // reuses a socket that is mid-request (Node would otherwise leave it stalled).
      onError: (c) =>
        fail(
          c,
          413,
          IngestErrorCodes.PAYLOAD_TOO_LARGE,
          `The request body is over ${maxBodyBytes} bytes: send fewer incidents per request (the sink's batchSize).`,
          {},
          { connection: 'close' },
        ),
    }),
    async (c) => {
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return fail(c, 400, IngestErrorCodes.INVALID_JSON, 'The request body is not valid JSON.');
      }
      const parsed = batchSchema.safeParse(body);
      if (!parsed.success) {
        return fail(c, 400, IngestErrorCodes.INVALID_REQUEST, describeIssues('batch', parsed.error));
      }
      const { instance, connector, runId } = parsed.data;
      let incidents: Incident[];
      try {
        // Every incident is checked before any is stored: a rejected batch leaves nothing behind.
        incidents = parsed.data.incidents.map((incident, index) =>
          validateIncident(incident, index, maxIncidentBytes),
        );
      } catch (error) {
        if (!(error instanceof IncidentInvalidError)) throw error;
        return fail(c, 400, IngestErrorCodes.INCIDENT_INVALID, error.message, {
          index: error.index,
          field: error.field,
        });
      }
      const result = await store.putBatch({ instance, connector, runId, incidents });
      const answer = { accepted: incidents.length, new: result.new, duplicates: result.duplicates };
      // The Idempotency-Key is only logged: every incident is stored under its own key with a
      // condition, which makes a replayed batch harmless without remembering batches.
      logger.info('Batch ingested', {
        instance,
        connector,
        runId,
        idempotencyKey: c.req.header('idempotency-key'),
        ...answer,
      });
      return c.json(answer, 200);
    },
  );

  app.get('/incidents', async (c) => {
    const parsed = listQuerySchema.safeParse(c.req.query());
    if (!parsed.success)
      return fail(c, 400, IngestErrorCodes.INVALID_REQUEST, describeIssues('query', parsed.error));
    try {
      return c.json(await store.list(parsed.data), 200);
    } catch (error) {
      if (!isInvalidCursorError(error)) throw error;
      return fail(c, 400, IngestErrorCodes.INVALID_CURSOR, error.message);
    }
  });

  app.notFound((c) =>
    fail(
      c,
      404,
      IngestErrorCodes.NOT_FOUND,
      `No route ${c.req.method} ${c.req.path}: use POST or GET /incidents.`,
    ),
  );

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      return fail(
        c,
        error.status,
        IngestErrorCodes.INVALID_REQUEST,
        error.message || 'The request was refused.',
      );
    }
    // The details go to the log only: an answer must not leak table names, stack traces or SDK text.
    logger.error('Request failed', { method: c.req.method, path: c.req.path, error });
    return fail(
      c,
      500,
      IngestErrorCodes.INTERNAL,
      'The ingestion endpoint failed unexpectedly; retry later.',
    );
  });

  return app;
};
