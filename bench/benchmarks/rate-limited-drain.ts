import { type BenchEnvironment, benchInstanceId } from '../environment.js';
import { benchInstance, createBenchHandler, lambdaContext } from '../instance.js';
import { type BenchOptions, type BenchResult, check, measurement } from '../result.js';
import { formatDuration } from '../stats.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The demo source's limit for this benchmark, as a vendor's would read: 5 requests a second. */
const LIMIT = { requests: 5, perMs: 1_000 } as const;
const PAGE_SIZE = 1000;
/** The Lambda's largest timeout: the drain is measured in one invocation. */
const TIMEOUT_MS = 900_000;

const count = (value: number) => value.toLocaleString('en-US');

/**
 * Drain throughput against a rate-limited source: the demo source enforces 5 requests a second (a fixed
 * window, `X-RateLimit-*` headers on every answer, 429 beyond), the runner paces itself from the
 * headers; the figure is the drain rate as a fraction of what the limit allows (limit × page size).
 */
export const rateLimitedDrain = async (
  env: BenchEnvironment,
  options: BenchOptions,
  backlog = options.quick ? 20_000 : 150_000,
): Promise<BenchResult> => {
  const started = Date.now();
  const { servers } = env;
  await servers.call('clear', {});
  const now = Date.now();
  await servers.call('backlog', { count: backlog, from: now - 24 * HOUR, to: now - HOUR });
  await servers.call('sinkReset', { trackIds: true });
  await servers.call('sourceRateLimit', { limit: LIMIT });
  const document = benchInstance(benchInstanceId('paced'), servers, {
    first_fetch: new Date(now - 24 * HOUR).toISOString(),
    max_fetch: PAGE_SIZE,
  });
  const handler = createBenchHandler(document, env.store);
  const before = await servers.call('sourceStats', {});
  let pushed = 0;
  let pacedMs = 0;
  const start = Date.now();
  try {
    while (pushed < backlog) {
      const outcome = await handler({ instanceId: document.id }, lambdaContext(TIMEOUT_MS));
      if (outcome.status !== 'ok')
        throw new Error(`rate-limited drain ended ${outcome.status}: ${outcome.error?.message}`);
      if (outcome.pushed === 0) break;
      pushed += outcome.pushed;
      pacedMs += outcome.pacedMs ?? 0;
    }
  } finally {
    await servers.call('sourceRateLimit', { limit: null });
  }
  const ms = Date.now() - start;
  const after = await servers.call('sourceStats', {});
  const sink = await servers.call('sinkStats', {});
  await servers.call('clear', {});
  if (sink.incidents !== backlog || sink.distinct !== backlog) {
    throw new Error(
      `rate-limited drain: the sink received ${sink.incidents} (${sink.distinct} distinct) of ${backlog}`,
    );
  }
  const requests = after.requests - before.requests;
  const refused = after.rateLimited - before.rateLimited;
  const allowedPerSecond = (LIMIT.requests * 1000 * PAGE_SIZE) / LIMIT.perMs;
  const rate = backlog / (ms / 1000);
  const fraction = rate / allowedPerSecond;
  const refusedPerMinute = refused / (ms / MINUTE);
  options.log(
    `drained ${count(backlog)} in ${formatDuration(ms)}: ${count(Math.round(rate))}/s of ${count(allowedPerSecond)}/s ` +
      `allowed (${(fraction * 100).toFixed(1)} %), ${requests} requests, ${refused} answered 429`,
  );
  return {
    id: 'rate-limit',
    title: 'Drain at the rate limit',
    method:
      `${count(backlog)} alerts in the demo source, which allows ${LIMIT.requests} requests a second (a fixed window, ` +
      '`X-RateLimit-Limit/Remaining/Reset` on every answer, 429 with `Retry-After` beyond it); the real fetch handler ' +
      `drains them with \`max_fetch\` ${PAGE_SIZE} (pages of ${PAGE_SIZE}) into the ack-and-count sink. The limit ` +
      `allows ${count(allowedPerSecond)} alerts a second; measured once.`,
    measurements: [
      measurement('Drain rate', 'incidents/s', [rate]),
      measurement('Drain rate / rate the limit allows', '%', [fraction * 100]),
      measurement('Requests to the source', 'requests', [requests]),
      measurement('Answered 429', 'requests', [refused]),
      measurement('Time spent waiting for a window to reset', 's', [pacedMs / 1000]),
    ],
    checks: [
      check('drain rate / allowed rate', '≥ 90 %', [fraction * 100], '%', 90, true),
      check('429s per minute of draining', '≤ 1', [refusedPerMinute], '429/min', 1),
    ],
    notes: [
      `Every one of the ${count(backlog)} incidents reached the sink exactly once.`,
      'The runner reads the headers of each answer (`shared/rate-limit-pacer.ts`): when the window is spent, ' +
        'the next request waits for its reset instead of meeting a 429, and the history says the fetch was paced.',
    ],
    elapsedMs: Date.now() - started,
  };
};
