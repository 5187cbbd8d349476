// The config file's schema: instances, their common parameters and the file itself (sinks:
// sink-schema.ts; secret references: secret-ref.ts). ferry.config.schema.json is generated from it.
// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { isIsoDate, parseDuration } from '../duration.js';
import { secretRefSchema } from './secret-ref.js';
import { sinkSchema } from './sink-schema.js';

export { type SecretRef, secretRefSchema } from './secret-ref.js';
export {
  eventBridgeSinkSchema,
  ferrySinkSchema,
  type SinkConfig,
  sinkSchema,
  xsoarSinkSchema,
} from './sink-schema.js';

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

/** Where incidents go: `sink-schema.ts`. */
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
