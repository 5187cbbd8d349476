import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The ARN IAM authorizes for an SSM parameter name in the stack's account and Region. Hierarchical
 * names (`/ferry/x`) and plain ones (`x`) both become `parameter/...`; an ARN (a parameter shared from
 * another account) is returned as it is.
 */
export const ssmParameterArn = (scope: IConstruct, name: string): string =>
  name.startsWith('arn:')
    ? name
    : Stack.of(scope).formatArn({
        service: 'ssm',
        resource: 'parameter',
        resourceName: name.replace(/^\//, ''),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
