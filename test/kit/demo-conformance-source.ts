import { startDemoSource } from '../../local/demo-source/server.js';
import { type ConformanceSource, startRecordingProxy } from '../../shared/kit/index.js';

/**
 * The demo source as a conformance source: behind a recording proxy, which notes when each request
 * came; the demo source answers 429 with its own Retry-After when asked to rate-limit.
 */
export const startDemoConformanceSource = async (apiKey: string): Promise<ConformanceSource> => {
  const source = await startDemoSource({ apiKey, ratePerSecond: 0 });
  const proxy = await startRecordingProxy(source.url, {
    rateLimitSource: (seconds) => source.setFailure('rate-limited', { retryAfterSeconds: seconds }),
  });
  return {
    params: { url: proxy.url },
    secrets: { apiKey },
    wrongSecrets: { apiKey: `not-${apiKey}` },
    add: async (times) => times.map((created) => source.add({ created }).id),
    rateLimit: proxy,
    close: async () => {
      await proxy.close();
      await source.close();
    },
  };
};
