// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';

/**
 * What invokes a connector's function: the schedule's input `{"instanceId": ...}`, or an operator
 * (`ferry fetch --debug`, `ferry test`) asking for a side-effect-free operation, or `ferry replay`, or
 * `ferry quarantine --redrive`.
 */
export const fetchEventSchema = z
  .object({
    instanceId: z.string().min(1),
    operation: z.enum(['fetch', 'debug', 'test', 'replay', 'redrive']).default('fetch'),
    /** `replay`: the replay to continue (`ferry replay` creates it; see `shared/runner/replay.ts`). */
    replayId: z.string().min(1).optional(),
    /** `redrive`: the quarantined events to re-drive (default: every held one). */
    quarantineIds: z.array(z.string().min(1).max(64)).max(1_000).optional(),
  })
  .strict()
  .refine((event) => (event.operation === 'replay') === (event.replayId !== undefined), {
    message: 'a replay names its replayId, and only a replay does',
  })
  .refine((event) => event.operation === 'redrive' || event.quarantineIds === undefined, {
    message: 'only a redrive names quarantineIds',
  });

export type FetchEvent = z.input<typeof fetchEventSchema>;
