import { Tags } from 'aws-cdk-lib';
import { ParameterDataType, ParameterTier, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { InstanceDocument } from '../shared/config/schema.js';
import { connectorTagKey } from './connector-function.js';
import { parameterValueLimits } from './deploy-config.js';

/** The prefix of instance documents the functions read (`createSsmInstanceSource`'s default). */
export const defaultInstanceParameterPrefix = '/ferry/instances/';

export interface InstanceParameterProps {
  /** The document: params and secret references, never secret values. */
  readonly document: InstanceDocument;
  /** @default {@link defaultInstanceParameterPrefix} */
  readonly prefix?: string;
  /**
   * Let Parameter Store pick the tier (Intelligent-Tiering): Standard while the account and Region have
   * room, Advanced past the 10,000 Standard parameters it allows ("AWS Systems Manager endpoints and
   * quotas": Standard 10,000 parameters, Advanced 100,000). A sharded deployment's documents alone can
   * be 10,000. @default false: Standard, or Advanced for a document over 4 KB
   */
  readonly intelligentTiering?: boolean;
}

/**
 * One instance's document as an SSM String parameter, `<prefix><id>`. The function reads it at every
 * invocation (cached a few seconds), so an edited parameter takes effect on the next fetch without a
 * deploy; the next deploy that changes this instance in ferry.config.json writes the file's version.
 */
export class InstanceParameter extends Construct {
  readonly parameter: StringParameter;
  readonly parameterName: string;
  readonly parameterArn: string;

  constructor(scope: Construct, id: string, props: InstanceParameterProps) {
    super(scope, id);
    const { document } = props;
    const value = JSON.stringify(document);
    this.parameterName = `${props.prefix ?? defaultInstanceParameterPrefix}${document.id}`;
    this.parameter = new StringParameter(this, 'Parameter', {
      parameterName: this.parameterName,
      stringValue: value,
      dataType: ParameterDataType.TEXT,
      // Advanced parameters cost money: only a document too large for Standard uses one.
      tier:
        Buffer.byteLength(value) > parameterValueLimits.standard
          ? ParameterTier.ADVANCED
          : props.intelligentTiering
            ? ParameterTier.INTELLIGENT_TIERING
            : ParameterTier.STANDARD,
      description: `Ferry instance "${document.id}" (${document.connector}): read at every fetch; secret references only.`,
    });
    // What lets a sharded deployment grant documents by connector rather than by name.
    Tags.of(this.parameter).add(connectorTagKey, document.connector);
    this.parameterArn = this.parameter.parameterArn;
  }
}
