// What each sink type takes in the config file (`sink` of an instance, or `defaults.sink`).
// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { httpUrlSchema } from './http-url.js';
import { secretRefSchema } from './secret-ref.js';

/** Size limit of one incident as a sink sends it; larger ones are shortened (docs/sinks.md, "Oversized incidents"). */
const maxIncidentBytesSchema = z
  .number()
  .int()
  .min(8192, 'must be at least 8192 bytes (a stripped incident must fit)')
  .max(100 * 1024 * 1024);

export const ferrySinkSchema = z
  .object({
    type: z.literal('ferry'),
    /** The ingestion endpoint's base URL. Local: the endpoint `ferry start` runs; AWS: the deployed API. */
    url: httpUrlSchema("must be the ingestion endpoint's absolute http(s) base URL").optional(),
    token: secretRefSchema.optional(),
    /** @default 100 */
    batchSize: z.number().int().min(1).max(1000).optional(),
    /** Requests in flight. @default 4 */
    concurrency: z.number().int().min(1).max(32).optional(),
    /** @default 393216 (384 KiB, the reference endpoint's limit) */
    maxIncidentBytes: maxIncidentBytesSchema.optional(),
    /** Allow plain http:// to a host that is not loopback. @default false */
    allowInsecure: z.boolean().optional(),
  })
  .strict();

/** Fields of the `xsoar` sink that only one mode takes, for the error that names the right one. */
const xsoarApiOnly = ['createInvestigation', 'playbookId', 'sourceBrand'] as const;
const xsoarWebhookOnly = ['webhookInstance', 'credentials', 'batchSize', 'apiUrl'] as const;

/**
 * XSOAR's REST API (6, or 8/XSIAM with `version: 8`), or its Generic Webhook (`mode: "webhook"`, the
 * default when `webhookInstance` is set: it runs the instance's classifier and mapper). Exactly once:
 * the delivery ledger records creates in doubt, and XSOAR's incident search resolves them.
 */
export const xsoarSinkSchema = z
  .object({
    type: z.literal('xsoar'),
    /** @default "webhook" when `webhookInstance` is set, else "api" */
    mode: z.enum(['api', 'webhook']).optional(),
    /** XSOAR 6: the server URL. XSOAR 8: the API URL, https://api-<fqdn>. Webhook: the server URL (8: https://ext-<fqdn>/xsoar). */
    url: httpUrlSchema("must be the XSOAR server's absolute http(s) URL"),
    /** @default 6 */
    version: z.union([z.literal(6), z.literal(8)], { message: 'must be 6 or 8' }).optional(),
    apiKey: secretRefSchema.optional(),
    /** XSOAR 8: the API key's ID (x-xdr-auth-id). */
    apiKeyId: secretRefSchema.optional(),
    /** XSOAR 8: "advanced" signs each request with a nonce and a timestamp. @default "standard" */
    apiKeyType: z.enum(['standard', 'advanced'], { message: 'must be "standard" or "advanced"' }).optional(),
    /** Webhook mode on XSOAR 8 with "apiKey": the API URL https://api-<fqdn>, for the incident search. */
    apiUrl: z.url({ message: 'must be an absolute URL' }).optional(),
    /** REST API mode: the Source Brand XSOAR shows. @default "Ferry" */
    sourceBrand: z.string().min(1).max(200).optional(),
    /** Webhook mode: incidents per request. @default 50 */
    batchSize: z.number().int().min(1).max(500).optional(),
    /** @default true */
    createInvestigation: z.boolean().optional(),
    playbookId: z.string().min(1).optional(),
    /** The type of incidents that name none. @default XSOAR's (Unclassified) */
    incidentType: z.string().min(1).optional(),
    /** The Generic Webhook instance's name (webhook mode). */
    webhookInstance: z.string().min(1).optional(),
    /** The Generic Webhook instance's username and password (webhook mode, basic auth). */
    credentials: z.object({ username: secretRefSchema, password: secretRefSchema }).strict().optional(),
    /** Requests in flight. @default 4 */
    concurrency: z.number().int().min(1).max(32).optional(),
    /** @default 1048576 (1 MiB) */
    maxIncidentBytes: maxIncidentBytesSchema.optional(),
    /** Per request. @default 30 */
    timeoutSeconds: z.number().int().min(1).max(300).optional(),
    /** How long the delivery ledger remembers an incident. @default 7 */
    ledgerDays: z.number().int().min(1).max(90).optional(),
    /** Allow plain http:// to a host that is not loopback. @default false */
    allowInsecure: z.boolean().optional(),
  })
  .strict()
  .superRefine((sink, ctx) => {
    const webhook = (sink.mode ?? (sink.webhookInstance === undefined ? 'api' : 'webhook')) === 'webhook';
    const misplaced = webhook ? xsoarApiOnly : xsoarWebhookOnly;
    for (const field of misplaced) {
      if (sink[field] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: webhook
            ? 'is for the REST API: remove it, or remove "mode": "webhook"'
            : 'is for the Generic Webhook: add "mode": "webhook", or remove it',
        });
      }
    }
    if (webhook && sink.webhookInstance === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhookInstance'],
        message: "is required in webhook mode: the Generic Webhook instance's name",
      });
    }
    if (!webhook && sink.apiKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKey'],
        message: 'is required: a secret reference to the API key',
      });
    }
    if (sink.apiKey !== undefined && sink.version === 8 && sink.apiKeyId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKeyId'],
        message: "is required for XSOAR 8: a secret reference to the API key's ID (Settings → API Keys)",
      });
    }
    if (sink.apiKeyType === 'advanced' && sink.version !== 8) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKeyType'],
        message: 'is for XSOAR 8 / XSIAM keys: add "version": 8, or remove it',
      });
    }
    if (webhook && sink.apiKey !== undefined && sink.version === 8 && sink.apiUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiUrl'],
        message:
          'is required for a webhook on XSOAR 8 with "apiKey": the API URL https://api-<fqdn>, where Ferry searches',
      });
    }
    if (sink.version !== 8 && sink.apiKeyId !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKeyId'],
        message: 'is for XSOAR 8: add "version": 8, or remove it',
      });
    }
  });

/** Amazon EventBridge `PutEvents`: Source `ferry.<connector>`, DetailType `Incident`. */
export const eventBridgeSinkSchema = z
  .object({
    type: z.literal('eventbridge'),
    /** A bus name or ARN. @default "default" */
    eventBusName: z.string().min(1).max(1600).optional(),
    /** Entry and request size limit, counted as AWS counts it. @default 262144 (256 KiB) */
    maxEntryBytes: z
      .number()
      .int()
      .min(8192, 'must be at least 8192 bytes')
      .max(1024 * 1024, "must be at most 1048576 (EventBridge's largest entry)")
      .optional(),
    /** ARNs added to every event's `resources`. */
    resources: z.array(z.string().min(1)).max(10).optional(),
    /** PutEvents calls in flight. @default 4 */
    concurrency: z.number().int().min(1).max(32).optional(),
    /** Skip incidents an earlier, uncommitted push already put (costs DynamoDB requests). @default false */
    ledger: z.boolean().optional(),
    /** @default 7 */
    ledgerDays: z.number().int().min(1).max(90).optional(),
  })
  .strict();

export const sinkSchema = z.discriminatedUnion('type', [
  ferrySinkSchema,
  xsoarSinkSchema,
  eventBridgeSinkSchema,
]);
export type SinkConfig = z.infer<typeof sinkSchema>;
