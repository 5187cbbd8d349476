/**
 * The benchmarks' servers, in a process of their own: the demo source and the ack-and-count sink. The
 * process being measured then spends its CPU on the client side only (runner or bare loop), which is
 * what the figures are about; the parent drives this one over IPC (see `servers.ts`).
 */

import type { RateLimit } from '../../local/demo-source/rate-limit.js';
import { startDemoSource } from '../../local/demo-source/server.js';
import { startAckSink } from './ack-sink.js';
import {
  BENCH_API_KEY,
  type ServerReply,
  type ServerRequest,
  type ServersReady,
  type SourceStats,
} from './protocol.js';

const source = await startDemoSource({ apiKey: BENCH_API_KEY, ratePerSecond: 0 });
const sink = await startAckSink();

const handle = (request: ServerRequest): unknown => {
  switch (request.call) {
    case 'backlog': {
      const { count, from, to } = request.args as { count: number; from: number; to: number };
      return source.backlog(count, { from, to });
    }
    case 'clear':
      source.store.clear();
      return null;
    case 'sinkStats':
      return sink.stats();
    case 'sinkReset':
      sink.reset(request.args as { trackIds?: boolean });
      return null;
    case 'sourceStats':
      return {
        requests: source.requests,
        alertsServed: source.alertsServed,
        rateLimited: source.rateLimited,
      } satisfies SourceStats;
    case 'sourceRateLimit':
      source.setRateLimit((request.args as { limit: RateLimit | null }).limit ?? undefined);
      return null;
  }
};

process.on('message', (message: ServerRequest) => {
  let reply: ServerReply;
  try {
    reply = { id: message.id, result: handle(message) ?? null };
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
  }
  process.send?.(reply);
});

// The parent going away (a crash, Ctrl-C) must not leave this process serving.
process.on('disconnect', () => {
  void Promise.all([source.close(), sink.close()]).finally(() => process.exit(0));
});

process.send?.({ ready: { sourceUrl: source.url, sinkUrl: sink.url } } satisfies ServersReady);
