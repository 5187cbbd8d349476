import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ConfigError } from '../shared/errors.js';
import type { DeployInstance } from './deploy-config.js';

/**
 * Parameter Store's request quotas per account and Region ("AWS Systems Manager endpoints and quotas",
 * https://docs.aws.amazon.com/general/latest/gr/ssm.html, "Max throughput (transactions per second)"):
 * 40 a second shared by GetParameter, GetParameters and GetParametersByPath at the default (standard)
 * throughput; with higher throughput turned on, up to 10,000 a second for GetParameter and GetParameters.
 * The setting is `/ssm/parameter-store/high-throughput-enabled` ("Changing Parameter Store throughput",
 * Systems Manager User Guide); it is billed per API interaction (`bench/aws-prices.ts`, `ssm`: $0.05 per
 * 10,000; the capacity plan in docs/operations.md prices it for 10,000 instances).
 */
export const parameterStoreQuota = { standardTps: 40, highTps: 10_000 } as const;

/** The service setting that turns higher throughput on. */
export const highThroughputSettingId = '/ssm/parameter-store/high-throughput-enabled';

/**
 * The share of a quota the instances may use at their steady rate: schedules dispersed at random still
 * meet in bursts, the CLI and other applications of the account share the quota, and a throttled read
 * fails a fetch after the SDK's retries.
 */
export const ssmQuotaShare = 0.5;

/**
 * GetParameter calls a second the instances make at their steady rate. Each fetch reads its document
 * (cached 5 s per warm Lambda environment) and its SecureStrings (cached 60 s). An instance runs once
 * per interval of at least a minute, and with the tens of environments a connector function keeps warm
 * at scale its next fetch lands on the one holding its cache about once in that many: the caches save
 * almost nothing, so every fetch counts its document and its secrets.
 */
export const getParameterRate = (instances: readonly DeployInstance[]): number =>
  instances
    .filter((instance) => instance.document.enabled)
    .reduce((sum, instance) => sum + (1 + instance.secureStrings.length) / (instance.rateMinutes * 60), 0);

export type SsmThroughput = 'standard' | 'high';

/**
 * Checks the read rate against the chosen throughput (`-c ssmThroughput`), so that by design no fetch
 * meets SSM's ThrottlingException: past half the standard quota, synth fails and names the fix.
 */
export const ssmThroughputFor = (
  instances: readonly DeployInstance[],
  option: string | undefined,
): SsmThroughput => {
  if (option !== undefined && option !== 'standard' && option !== 'high') {
    throw new ConfigError(
      `Context "ssmThroughput" is "${option}"; use "standard" (the default) or "high".`,
      undefined,
      'ssmThroughput',
    );
  }
  const throughput = option ?? 'standard';
  const rate = getParameterRate(instances);
  const quota = throughput === 'high' ? parameterStoreQuota.highTps : parameterStoreQuota.standardTps;
  if (rate <= quota * ssmQuotaShare) return throughput;
  const perSecond = rate.toFixed(1);
  if (throughput === 'high') {
    throw new ConfigError(
      `The instances read about ${perSecond} SSM parameters a second, over half of Parameter Store's higher-throughput quota (${quota}). Lengthen fetch intervals, or deploy the instances to another Region or account.`,
      undefined,
      'ssmThroughput',
    );
  }
  throw new ConfigError(
    `The instances read about ${perSecond} SSM parameters a second (each fetch reads its document and its secrets), over half of ` +
      `Parameter Store's standard throughput (${quota} a second per account and Region), so fetches would be throttled. ` +
      `Deploy with -c ssmThroughput=high: the stack turns on higher throughput (${parameterStoreQuota.highTps} a second), billed ` +
      `per read (about ${Math.round((rate * 3600 * 730) / 1e6)} million reads a month here; see the capacity plan in docs/operations.md). Or lengthen fetch intervals.`,
    undefined,
    'ssmThroughput',
  );
};

/**
 * Turns on Parameter Store's higher throughput for the account and Region (a service setting, through
 * ssm:UpdateServiceSetting, allowed on that one setting). Deleting the stack leaves it on: other
 * applications of the account may rely on it; turn it off with `aws ssm reset-service-setting
 * --setting-id /ssm/parameter-store/high-throughput-enabled`.
 */
export class ParameterStoreHighThroughput extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const setting = Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'servicesetting',
      resourceName: highThroughputSettingId.replace(/^\//, ''),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const call = {
      service: 'SSM',
      action: 'UpdateServiceSetting',
      parameters: { SettingId: highThroughputSettingId, SettingValue: 'true' },
      physicalResourceId: PhysicalResourceId.of('ssm-parameter-store-high-throughput'),
    };
    const resource = new AwsCustomResource(this, 'Setting', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: {
        statements: [new PolicyStatement({ actions: ['ssm:UpdateServiceSetting'], resources: [setting] })],
      },
    });
    // The provider is one function per stack, beside this construct rather than under it.
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
    );
    Validations.of(provider ?? resource).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's AwsCustomResource provider function runs with AWSLambdaBasicExecutionRole (writing its own logs); the one call it makes, ssm:UpdateServiceSetting, is allowed on the high-throughput setting alone.",
    });
  }
}
