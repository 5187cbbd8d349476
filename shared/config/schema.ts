// Over 300 lines: the config file's whole schema (sinks, instances, common parameters) in one place,
// because ferry.config.schema.json is generated from it and its parts refer to one another.
// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { isIsoDate, parseDuration } from '../duration.js';
import { httpUrlSchema } from './http-url.js';

/** A secret is referenced, never inlined: an SSM SecureString in AWS, an environment variable locally. */
export const secretRefSchema = z.union(
  [
    z.object({ ssm: z.string().min(1, 'name the SecureString parameter') }).strict(),
    z
      .object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') })
      .strict(),
  ],
  {
    message:
      'must be a reference, never the value: {"ssm": "<SecureString name>"} in AWS or {"env": "<VARIABLE>"} locally',
  },
);
export type SecretRef = z.infer<typeof secretRefSchema>;

// The error names the field already: "fetchInterval must be a duration such as ...".
const durationText = () =>
  z
    .string({ message: 'must be a duration such as "30 seconds", "5 minutes", "1 hour"' })
    .refine((text) => parseDuration(text) !== undefined, {
      message: 'must be a duration such as "30 seconds", "5 minutes", "1 hour"',
    });

/** How far back a first fetch may start: a year (a longer backfill is a replay, see docs/operations.md). */
export const MAX_FIRST_FETCH_DAYS = 365;
const MAX_FIRST_FETCH_MS = MAX_FIRST_FETCH_DAYS * 86_400_000;
/** The shortest fetch interval: below a second a schedule is a busy loop against the source. */
export const MIN_FETCH_INTERVAL_MS = 1_000;
/** The longest `lag`: a source that indexes a day late needs a look at its pipeline, not a longer wait. */
const MAX_LAG_MS = 86_400_000;

/** Instance ids become SSM parameter paths and DynamoDB keys: keep them plain. */
export const instanceIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

/**
 * The parameters every instance has, whatever its connector (XSOAR's standard fetch parameters).
 * Defaults live here, like an integration's yml.
 */
export const commonParamsSchema = z.object({
  first_fetch: z
    .string({
      message: 'must be a time back from now ("3 days", "12 hours") or an ISO date ("2026-01-31T00:00:00Z")',
    })
    .refine((text) => parseDuration(text) !== undefined || isIsoDate(text.trim()), {
      message: 'must be a time back from now ("3 days", "12 hours") or an ISO date ("2026-01-31T00:00:00Z")',
    })
    .refine((text) => (parseDuration(text) ?? 0) <= MAX_FIRST_FETCH_MS, {
      message: `must be at most "${MAX_FIRST_FETCH_DAYS} days" back`,
    })
    .default('3 days'),
  max_fetch: z
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000 (XSOAR recommends 200)')
    .default(200),
  // max_fetch bounds one request's page; the drain loop may fetch several pages in one run (a backlog
  // is caught up within one invocation). max_per_run bounds the run itself; unset, only the deadline does.
  max_per_run: z
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1_000_000, 'must be at most 1000000')
    .optional(),
  look_back: z
    .number({ message: 'must be a number of minutes' })
    .min(0, 'must be 0 or more minutes')
    .max(1440, 'must be at most 1440 minutes (one day)')
    .default(0),
  lag: z
    .union(
      [
        z
          .number()
          .min(0, 'must be 0 or more seconds')
          .max(MAX_LAG_MS / 1000, 'must be at most 86400 seconds (a day)'),
        durationText().refine((text) => parseDuration(text)! <= MAX_LAG_MS, 'must be at most "1 day"'),
      ],
      { message: 'must be a number of seconds or a duration such as "30 seconds"' },
    )
    .default(0),
  query: z.string({ message: "must be a string (the source's query)" }).optional(),
});
export const commonParamKeys = Object.keys(commonParamsSchema.shape) as (keyof z.infer<
  typeof commonParamsSchema
>)[];
export type CommonParams = z.infer<typeof commonParamsSchema>;

/** Where incidents go. */
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

/** One connector instance as the config file lists it. */
export const instanceSchema = z
  .object({
    connector: z
      .string({ message: 'name the connector (for example "helloworld")' })
      .min(1, 'name the connector (for example "helloworld")'),
    enabled: z.boolean({ message: 'must be true or false' }).default(true),
    fetchInterval: durationText()
      .refine((text) => parseDuration(text)! >= MIN_FETCH_INTERVAL_MS, 'must be at least "1 second"')
      .default('1 minute'),
    params: z
      .record(z.string(), z.unknown(), {
        message: 'must be an object of parameters, such as {"url": "https://..."}',
      })
      .default({}),
    secrets: z.record(z.string(), secretRefSchema).default({}),
    sink: sinkSchema.optional(),
    /** Lambda settings for the connector's function (CDK). */
    description: z.string().optional(),
  })
  .strict();
export type InstanceConfig = z.infer<typeof instanceSchema>;

/** `ferry.config.json`. */
export const ferryConfigSchema = z
  .object({
    $schema: z.string().optional(),
    sink: sinkSchema.default({ type: 'ferry' }),
    /** How long fetch history is kept. @default 30 */
    historyRetentionDays: z.number().int().min(1).max(3650).default(30),
    instances: z.record(z.string(), z.unknown()),
    /** Per-connector Lambda settings for `cdk deploy`. */
    functions: z
      .record(
        z.string(),
        z
          .object({
            memoryMb: z.number().int().min(128).max(10240).optional(),
            timeoutSeconds: z.number().int().min(10).max(900).optional(),
            logRetentionDays: z.number().int().min(1).optional(),
          })
          .strict(),
      )
      .default({}),
  })
  .strict();
export type FerryConfigFile = z.infer<typeof ferryConfigSchema>;

/**
 * The document stored per instance (SSM `/ferry/instances/<id>` in AWS): everything a fetch needs,
 * secret references only.
 */
export const instanceDocumentSchema = instanceSchema
  .extend({
    id: instanceIdSchema,
    sink: sinkSchema,
    historyRetentionDays: z.number().int().min(1).default(30),
  })
  .strict();
export type InstanceDocument = z.infer<typeof instanceDocumentSchema>;
