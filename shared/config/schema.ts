import { z } from 'zod';
import { isIsoDate, parseDuration } from '../duration.js';

/** A secret is referenced, never inlined: an SSM SecureString in AWS, an environment variable locally. */
export const secretRefSchema = z.union([
  z.object({ ssm: z.string().min(1, 'name the SecureString parameter') }).strict(),
  z
    .object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') })
    .strict(),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

const durationText = (what: string) =>
  z.string().refine((text) => parseDuration(text) !== undefined, {
    message: `${what} must be a duration such as "30 seconds", "5 minutes", "1 hour"`,
  });

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
    .string()
    .refine((text) => parseDuration(text) !== undefined || isIsoDate(text.trim()), {
      message: 'must be a time back from now ("3 days", "12 hours") or an ISO date ("2026-01-31T00:00:00Z")',
    })
    .default('3 days'),
  max_fetch: z
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000 (XSOAR recommends 200)')
    .default(200),
  look_back: z
    .number({ message: 'must be a number of minutes' })
    .min(0, 'must be 0 or more minutes')
    .max(1440, 'must be at most 1440 minutes (one day)')
    .default(0),
  lag: z.union([z.number().min(0, 'must be 0 or more seconds'), durationText('lag')]).default(0),
  query: z.string().optional(),
});
export const commonParamKeys = Object.keys(commonParamsSchema.shape) as (keyof z.infer<
  typeof commonParamsSchema
>)[];
export type CommonParams = z.infer<typeof commonParamsSchema>;

/** Where incidents go. */
export const ferrySinkSchema = z
  .object({
    type: z.literal('ferry'),
    /** The ingestion endpoint's base URL. Local: the endpoint `ferry start` runs; AWS: the deployed API. */
    url: z.url({ message: 'must be an absolute URL' }).optional(),
    token: secretRefSchema.optional(),
    /** @default 100 */
    batchSize: z.number().int().min(1).max(1000).optional(),
    /** Allow plain http:// to a host that is not loopback. @default false */
    allowInsecure: z.boolean().optional(),
  })
  .strict();

export const sinkSchema = z.discriminatedUnion('type', [ferrySinkSchema]);
export type SinkConfig = z.infer<typeof sinkSchema>;

/** One connector instance as the config file lists it. */
export const instanceSchema = z
  .object({
    connector: z.string().min(1, 'name the connector (for example "helloworld")'),
    enabled: z.boolean().default(true),
    fetchInterval: durationText('fetchInterval').default('1 minute'),
    params: z.record(z.string(), z.unknown()).default({}),
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
