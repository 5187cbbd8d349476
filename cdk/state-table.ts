import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { STATE_TTL_ATTRIBUTE, StateTableKeys } from '../shared/state/table-layout.js';

export interface StateTableProps {
  /** @default RemovalPolicy.RETAIN: the last runs outlive the stack, so a redeploy resumes */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The state table, laid out by `shared/state/table-layout.ts`: partition key the instance id, sort key
 * the kind of item. On demand, point-in-time recovery, encrypted with the AWS managed key. Only the
 * kinds that may go carry the TTL attribute; the STATE item never does, so a last run never expires.
 */
export class StateTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: StateTableKeys.partition, type: AttributeType.STRING },
      sortKey: { name: StateTableKeys.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: STATE_TTL_ATTRIBUTE,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
    });
  }
}
