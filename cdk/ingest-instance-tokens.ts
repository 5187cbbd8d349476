import { Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import { instanceTokensVariable } from '../functions/ingest/ssm-instance-tokens.js';
import { ssmParameterArn } from './ssm-parameter-arn.js';

/** Per-instance ingestion tokens: SecureString name by instance id (`DeployConfig.instanceTokenParameterNames`). */
export type InstanceTokenParameterNames = Readonly<Record<string, string>>;

/**
 * The ingest function's variable naming each instance's token parameter (names only: the values stay
 * in SSM and never reach the template). Sorted, so the template does not change with config order.
 */
export const instanceTokensEnvironment = (names: InstanceTokenParameterNames): Record<string, string> => {
  const sorted = Object.entries(names).sort(([a], [b]) => a.localeCompare(b));
  return sorted.length === 0 ? {} : { [instanceTokensVariable]: JSON.stringify(Object.fromEntries(sorted)) };
};

/**
 * Lets the ingest function read and decrypt exactly these parameters (GetParameters, which it reads
 * them with, 10 a call) and nothing else. Without a customer managed key, SSM decrypts with `aws/ssm`
 * and the read permission is the whole permission.
 */
export const grantInstanceTokenReads = (
  scope: IConstruct,
  grantee: IGrantable,
  names: InstanceTokenParameterNames,
  secureStringKey?: IKey,
): void => {
  const arns = [...new Set(Object.values(names))].sort().map((name) => ssmParameterArn(scope, name));
  if (arns.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ sid: 'ReadInstanceIngestTokens', actions: ['ssm:GetParameters'], resources: arns }),
  );
  if (!secureStringKey) return;
  const stack = Stack.of(scope);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'DecryptInstanceIngestTokens',
      actions: ['kms:Decrypt'],
      resources: [secureStringKey.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}`,
          'kms:EncryptionContext:PARAMETER_ARN': arns,
        },
      },
    }),
  );
};
