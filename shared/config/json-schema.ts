// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { ferryConfigSchema, instanceIdSchema, instanceSchema } from './schema.js';

/**
 * The JSON Schema of `ferry.config.json`, for editors (`"$schema": "./ferry.config.schema.json"`).
 * The runtime validates instances one by one (so one bad instance never stops the others); the
 * editor gets them typed.
 */
export const configJsonSchema = (): Record<string, unknown> =>
  z.toJSONSchema(ferryConfigSchema.extend({ instances: z.record(instanceIdSchema, instanceSchema) }), {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;

/** The schema file's text, as committed at the repository root. */
export const configJsonSchemaText = (): string => `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
