import { describe, expect, it } from 'vitest';
import type { DeployInstance } from '../../cdk/deploy-config.js';
import { accountIngestQuota, ingestThrottleFor, minimumIngestThrottle } from '../../cdk/ingest-throttle.js';
import { instanceDocumentSchema } from '../../shared/config/schema.js';

const instances = (
  count: number,
  options: { rateMinutes?: number; maxFetch?: number } = {},
): DeployInstance[] =>
  Array.from({ length: count }, (_, index) => ({
    document: instanceDocumentSchema.parse({
      id: `i-${index}`,
      connector: 'helloworld',
      sink: { type: 'ferry' },
      params: { url: 'https://alerts.example.com', max_fetch: options.maxFetch ?? 200 },
    }),
    rateMinutes: options.rateMinutes ?? 1,
    secureStrings: [],
    sourceReads: [],
    usesIngestEndpoint: true,
  }));

describe('the ingestion endpoint throttle', () => {
  it('stays at its floor for a handful of instances', () => {
    expect(ingestThrottleFor(instances(3)).throttle).toEqual(minimumIngestThrottle);
  });

  it('follows the instance count: 10,000 instances a minute at max_fetch 200 get twice their steady rate', () => {
    const { throttle, steadyPerSecond, warning } = ingestThrottleFor(instances(10_000));

    // Two batches of 100 per fetch, one fetch a minute each: 333 requests a second.
    expect(steadyPerSecond).toBeCloseTo(333.33, 1);
    expect(throttle).toEqual({ rateLimit: 667, burstLimit: 1334 });
    expect(warning).toBeUndefined();
  });

  it('counts only enabled instances that push to the endpoint, by their interval', () => {
    const hourly = instances(600, { rateMinutes: 60, maxFetch: 1000 });
    const elsewhere = instances(10_000).map((instance) => ({ ...instance, usesIngestEndpoint: false }));

    expect(ingestThrottleFor([...hourly, ...elsewhere]).steadyPerSecond).toBeCloseTo(1.67, 1);
  });

  it('is capped at the account quota, with a warning that says what to do', () => {
    const { throttle, warning } = ingestThrottleFor(instances(100_000, { maxFetch: 1000 }));

    expect(throttle).toEqual(accountIngestQuota);
    expect(warning).toMatch(/Service Quotas/);
  });
});
