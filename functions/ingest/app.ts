import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { IncidentInvalidError, isInvalidCursorError } from '../../shared/errors.js';
import { hasLoneSurrogate, type Incident, validateIncident } from '../../shared/incident.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { fail, IngestErrorCodes } from './answers.js';
import { type InstanceTokens, outOfScope, requireToken, type TokenSource } from './bearer-auth.js';
import { checkIncidentContract } from './incident-contract.js';
import type { IncidentStore } from './incident-store.js';

export { IngestErrorCodes } from './answers.js';
export type { InstanceTokens, TokenSource } from './bearer-auth.js';

export interface IngestAppOptions {
  readonly store: IncidentStore;
  /** Clients send it as `Authorization: Bearer <token>`. It reads and writes every instance. */
  readonly token: TokenSource;
  /**
   * Per-instance tokens, by instance id: each one reads and writes its own instance only, so one
   * leaked sink token exposes one instance, not all (`"sink": {"type": "ferry", "token": ...}` per
   * instance sends it). The main `token` keeps access to every instance. @default none
   */
  readonly instanceTokens?: InstanceTokens;
  /** Largest request body; over it the answer is 413. @default 5 MiB */
  readonly maxBodyBytes?: number;
  /** @default a Powertools logger, service `ferry-ingest` */
  readonly logger?: Logger;
}

export const defaultMaxBodyBytes = 5 * 1024 * 1024;
/** max_fetch is at most 1000, so a fetch never needs a larger batch. */
export const maxIncidentsPerBatch = 1000;
// DynamoDB's item limit is 400 KB; the rest of the item (keys, run id, arrival) stays under 16 KB.
const maxIncidentBytes = 384 * 1024;

// Unknown top-level fields are ignored rather than refused, so a newer sink can add one without
// breaking older endpoints; everything the endpoint relies on is checked.
// Keys and key parts must survive UTF-8: an unpaired surrogate would be stored as U+FFFD.
const wellFormed = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((text) => !hasLoneSurrogate(text), 'has an unpaired UTF-16 surrogate');

const batchSchema = z.object({
  instance: wellFormed(256),
  connector: wellFormed(128),
  runId: wellFormed(256),
  incidents: z.array(z.unknown()).max(maxIncidentsPerBatch),
});

const listQuerySchema = z.object({
  instance: z.string().min(1).max(256),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(4096).optional(),
});

const describeIssues = (what: string, error: z.ZodError): string =>
  `Invalid ${what}: ${error.issues
    .map((issue) => `"${issue.path.map(String).join('.') || '(body)'}" ${issue.message}`)
    .join('; ')}.`;

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

  const authenticate = requireToken(options.token, options.instanceTokens ?? {});
  app.use('/incidents', authenticate);
  app.use('/conflicts', authenticate);

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
      const forbidden = outOfScope(c, instance);
      if (forbidden) return forbidden;
      let incidents: Incident[];
      try {
        // Every incident is checked before any is stored: a rejected batch leaves nothing behind.
        incidents = parsed.data.incidents.map((incident, index) => {
          checkIncidentContract(incident, index);
          return validateIncident(incident, index, maxIncidentBytes);
        });
      } catch (error) {
        if (!(error instanceof IncidentInvalidError)) throw error;
        return fail(c, 400, IngestErrorCodes.INCIDENT_INVALID, error.message, {
          index: error.index,
          field: error.field,
        });
      }
      const result = await store.putBatch({ instance, connector, runId, incidents });
      const answer = {
        accepted: result.new + result.duplicates,
        new: result.new,
        duplicates: result.duplicates,
      };
      if (result.conflicts.length > 0) {
        // Stored over nothing, dropped nothing: the first incident under each key stays, the other is
        // recorded as a conflict (GET /conflicts) and the client is told which ones.
        logger.warn('Incidents conflict with stored ones under the same key', {
          instance,
          runId,
          conflicts: result.conflicts.length,
          keys: result.conflicts.slice(0, 20).map((conflict) => conflict.key),
        });
        const message =
          `${result.conflicts.length} incident(s) reuse a key this instance already has for another source event; ` +
          `the stored ones were kept and these were recorded as conflicts (GET /conflicts?instance=${instance}). The rest of the batch was stored.`;
        return c.json(
          { ...answer, conflicts: result.conflicts, error: { code: IngestErrorCodes.CONFLICT, message } },
          409,
        );
      }
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

  /** A listing route: the query checked, the token's scope checked, a foreign cursor a 400. */
  const listing =
    (list: (request: z.infer<typeof listQuerySchema>) => Promise<unknown>) => async (c: Context) => {
      const parsed = listQuerySchema.safeParse(c.req.query());
      if (!parsed.success)
        return fail(c, 400, IngestErrorCodes.INVALID_REQUEST, describeIssues('query', parsed.error));
      const forbidden = outOfScope(c, parsed.data.instance);
      if (forbidden) return forbidden;
      try {
        return c.json(await list(parsed.data), 200);
      } catch (error) {
        if (!isInvalidCursorError(error)) throw error;
        return fail(c, 400, IngestErrorCodes.INVALID_CURSOR, error.message);
      }
    };
  app.get(
    '/incidents',
    listing((request) => store.list(request)),
  );
  app.get(
    '/conflicts',
    listing((request) => store.listConflicts(request)),
  );

  app.notFound((c) =>
    fail(
      c,
      404,
      IngestErrorCodes.NOT_FOUND,
      `No route ${c.req.method} ${c.req.path}: use POST or GET /incidents, or GET /conflicts.`,
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
