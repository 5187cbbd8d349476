// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';

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
