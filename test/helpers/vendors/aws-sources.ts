import type { ConformanceSource } from '../../../shared/kit/index.js';
import { type AwsEndpoints, startAwsEndpoints } from '../aws-endpoints/server.js';

/**
 * Security Hub and GuardDuty sources for the connector kit and the connectors' tests: the local AWS
 * endpoints (restJson1) with the real SDK clients of the connectors signing against them.
 */

/** The SDK's default chain reads these; the local endpoints accept any signature. */
export const useLocalAwsCredentials = (): void => {
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIALOCALFERRYTEST01';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local-secret-access-key';
  process.env.AWS_REGION ??= 'us-east-1';
};

/** Why the kit's credential check does not apply to an AWS-native connector. */
export const noSecretsReason =
  'the connector has no secrets: it signs with the credentials the function runs with (its role); a denied role is tested in its own test';

/** A local Security Hub and an instance's parameters pointing at it. */
export const securityHubSource = async (
  params: Record<string, unknown> = {},
): Promise<ConformanceSource & { aws: AwsEndpoints }> => {
  useLocalAwsCredentials();
  const aws = await startAwsEndpoints();
  return {
    aws,
    params: { region: 'us-east-1', endpoint_url: aws.url, ...params },
    secrets: {},
    wrongSecrets: {},
    add: async (times) => times.map((time) => aws.securityHub.add({ CreatedAt: time.toISOString() }).Id),
    // AWS throttling answers advertise no delay: the SDK backs off by itself (standard retry mode).
    rateLimit: {
      next: () => aws.securityHub.throttleNext(1),
      log: () => aws.securityHub.calls,
    },
    close: () => aws.close(),
  };
};

/** A local GuardDuty and an instance's parameters pointing at its detector. */
export const guardDutySource = async (
  params: Record<string, unknown> = {},
): Promise<ConformanceSource & { aws: AwsEndpoints; detectorId: string }> => {
  useLocalAwsCredentials();
  const aws = await startAwsEndpoints();
  const detectorId = aws.guardDuty.detectorIds[0]!;
  return {
    aws,
    detectorId,
    params: { region: 'us-east-1', endpoint_url: aws.url, detector_id: detectorId, ...params },
    secrets: {},
    wrongSecrets: {},
    add: async (times) => times.map((time) => aws.guardDuty.add({ updatedAt: time.toISOString() }).id),
    rateLimit: {
      next: () => aws.guardDuty.throttleNext(1),
      // The kit looks for a 429; GuardDuty's ThrottlingException is a 400 with that type.
      log: () =>
        aws.guardDuty.calls.map(({ at, status, errorType }) => ({
          at,
          status: errorType === 'ThrottlingException' ? 429 : status,
        })),
    },
    close: () => aws.close(),
  };
};
