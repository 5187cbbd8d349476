import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { DeployInstance } from './deploy-config.js';

/** The floor: what the endpoint served before it followed the instance count. */
export const minimumIngestThrottle = { rateLimit: 50, burstLimit: 100 } as const satisfies ThrottleSettings;

/**
 * API Gateway's default account quotas for HTTP APIs (10,000 requests a second, bursts of 5,000, per
 * Region; Service Quotas can raise them). A stage limit above them would not be served: past them the
 * throttle says so in a warning instead.
 */
export const accountIngestQuota = { rateLimit: 10_000, burstLimit: 5_000 } as const;

/** The ferry sink's default batch: one `POST /incidents` per this many incidents. */
const FERRY_BATCH = 100;
/**
 * Headroom over the steady rate: a drain pushes page after page within one interval, and schedules
 * spread over a window still meet in bursts. Twice the steady rate keeps 429s out of normal operation.
 */
const HEADROOM = 2;

export interface IngestThrottle {
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** The steady rate the instances produce, requests a second, before headroom. */
  readonly steadyPerSecond: number;
  /** Set when the instances need more than the account quota serves. */
  readonly warning?: string;
}

/**
 * The ingestion API's throttle, derived from the instances that push to it: each sends, every fetch
 * interval, one request per batch of a full fetch (`max_fetch` / 100). With the schedules spread over
 * their interval (see `instance-schedule.ts`), that is the steady rate; the throttle allows twice it,
 * and its burst twice that again, so that by design no instance meets a 429 in normal operation.
 */
export const ingestThrottleFor = (instances: readonly DeployInstance[]): IngestThrottle => {
  const steadyPerSecond = instances
    .filter((instance) => instance.usesIngestEndpoint && instance.document.enabled)
    .reduce((sum, instance) => {
      const maxFetch = Number(instance.document.params.max_fetch ?? 200);
      const requestsPerFetch = Math.max(1, Math.ceil(maxFetch / FERRY_BATCH));
      return sum + requestsPerFetch / (instance.rateMinutes * 60);
    }, 0);
  const wantedRate = Math.max(minimumIngestThrottle.rateLimit, Math.ceil(steadyPerSecond * HEADROOM));
  const wantedBurst = Math.max(minimumIngestThrottle.burstLimit, wantedRate * 2);
  const rateLimit = Math.min(wantedRate, accountIngestQuota.rateLimit);
  const burstLimit = Math.min(wantedBurst, accountIngestQuota.burstLimit);
  const capped = rateLimit < wantedRate || burstLimit < wantedBurst;
  return {
    throttle: { rateLimit, burstLimit },
    steadyPerSecond,
    ...(capped
      ? {
          warning:
            `The instances pushing to the ingestion endpoint need about ${wantedRate} requests a second (bursts of ${wantedBurst}), ` +
            `above API Gateway's default quota of ${accountIngestQuota.rateLimit} (bursts of ${accountIngestQuota.burstLimit}); ` +
            'the throttle is capped there. Ask Service Quotas for more, or lengthen fetch intervals.',
        }
      : {}),
  };
};
