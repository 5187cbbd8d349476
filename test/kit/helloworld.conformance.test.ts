import { helloworld } from '../../functions/helloworld/connector.js';
import { startDemoSource } from '../../local/demo-source/server.js';
import { runConformanceSuite, startRecordingProxy } from '../../shared/kit/index.js';

const API_KEY = 'kit-demo-key';

runConformanceSuite({
  connector: helloworld,
  startSource: async () => {
    const source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
    // The demo source answers 429 with its own Retry-After; the proxy notes when each request came.
    const proxy = await startRecordingProxy(source.url, {
      rateLimitSource: (seconds) => source.setFailure('rate-limited', { retryAfterSeconds: seconds }),
    });
    return {
      params: { url: proxy.url },
      secrets: { apiKey: API_KEY },
      wrongSecrets: { apiKey: 'not-the-demo-key' },
      add: async (times) => times.map((created) => source.add({ created }).id),
      rateLimit: proxy,
      close: async () => {
        await proxy.close();
        await source.close();
      },
    };
  },
  badParams: [
    {
      title: 'a URL that is not one',
      params: { url: 'not a url' },
      message: "params.url must be the alert API's base URL",
    },
    { title: 'no URL', params: { url: undefined }, message: 'params.url' },
  ],
});
