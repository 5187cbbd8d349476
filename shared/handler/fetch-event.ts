import { z } from 'zod';

/**
 * What invokes a connector's function: the schedule's input `{"instanceId": ...}`, or an operator
 * (`ferry fetch --debug`, `ferry test`) asking for a side-effect-free operation.
 */
export const fetchEventSchema = z
  .object({
    instanceId: z.string().min(1),
    operation: z.enum(['fetch', 'debug', 'test']).default('fetch'),
  })
  .strict();

export type FetchEvent = z.input<typeof fetchEventSchema>;
