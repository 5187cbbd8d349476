import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { stateTtlAttribute } from '../local/tables.js';

export interface StateTableProps {
  /** @default RemovalPolicy.RETAIN: the last runs outlive the stack, so a redeploy resumes */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The state table (DESIGN.md, "State"): partition key the instance id, sort key the kind of item
 * (`STATE`, `CONTEXT`, `HISTORY#...`). On demand, point-in-time recovery, encrypted with the AWS
 * managed key. Only history records carry the TTL attribute; the STATE item never does, so a last run
 * never expires.
 */
export class StateTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: stateTtlAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
    });
  }
}
