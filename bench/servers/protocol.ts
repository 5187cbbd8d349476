import type { InsertedAlerts } from '../../local/demo-source/alert-store.js';
import type { RateLimit } from '../../local/demo-source/rate-limit.js';
import type { AckSinkStats } from './ack-sink.js';

/** The bearer token of the benchmarks' demo source. */
export const BENCH_API_KEY = 'bench-demo-key';

/** What the parent asks the servers process, and what each request answers. */
export interface ServerCalls {
  backlog: { args: { count: number; from: number; to: number }; result: InsertedAlerts };
  clear: { args: Record<string, never>; result: null };
  sinkStats: { args: Record<string, never>; result: AckSinkStats };
  sinkReset: { args: { trackIds?: boolean }; result: null };
  /** What the demo source served: requests, alerts returned, requests refused by its rate limit. */
  sourceStats: { args: Record<string, never>; result: SourceStats };
  /** Sets the demo source's rate limit (a fixed window with headers); `null` lifts it. */
  sourceRateLimit: { args: { limit: RateLimit | null }; result: null };
}

export interface SourceStats {
  readonly requests: number;
  readonly alertsServed: number;
  readonly rateLimited: number;
}

export type ServerCall = keyof ServerCalls;

export interface ServerRequest {
  readonly id: number;
  readonly call: ServerCall;
  readonly args: unknown;
}

export type ServerReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };

export interface ServersReady {
  readonly ready: { readonly sourceUrl: string; readonly sinkUrl: string };
}
