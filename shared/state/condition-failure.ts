import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Record<string, never>;
}

/**
 * Whether a write failed its condition: a ConditionalCheckFailedException, or a transaction that
 * DynamoDB cancelled because its first item's condition failed (`TransactionCanceledException` with
 * `ConditionalCheckFailed` as the reason; the conditioned item is always the first in Ferry's
 * transactions). A transaction cancelled for a conflict is not one: it is retried by the caller.
 */
export const isConditionFailure = (error: unknown): boolean => {
  if (error instanceof ConditionalCheckFailedException) return true;
  const named = error as { name?: string; CancellationReasons?: CancellationReason[] } | null;
  if (named?.name === 'ConditionalCheckFailedException') return true;
  return (
    named?.name === 'TransactionCanceledException' &&
    named.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
  );
};

/** The item the failed condition saw (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), if returned. */
export const failedConditionItem = (error: unknown): Record<string, unknown> | undefined => {
  const failed = error as { Item?: Record<string, never>; CancellationReasons?: CancellationReason[] };
  const item = failed.Item ?? failed.CancellationReasons?.[0]?.Item;
  return item ? unmarshall(item) : undefined;
};
