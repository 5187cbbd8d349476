import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { readHourCountItem } from './hour-count-items.js';
import { readSeenLogItem, type SeenLogItem, type SeenLogPointer, seenSortKey } from './seen-log.js';
import { SortKeyPrefixes, StateTableKeys } from './table-layout.js';

/** Every item of one instance in a sort-key range (consistent; pages only past 1 MB). */
const queryRange = async (
  doc: DynamoDBDocumentClient,
  table: string,
  instanceId: string,
  range: { expression: string; values: Record<string, string> },
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: `#pk = :pk AND ${range.expression}`,
        ExpressionAttributeNames: { '#pk': StateTableKeys.partition, '#sk': StateTableKeys.sort },
        ExpressionAttributeValues: { ':pk': instanceId, ...range.values },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
};

/** The seen-id log's live items, `from`…`version`: one Query, billed by the bytes it reads. */
export const querySeenLog = async (
  doc: DynamoDBDocumentClient,
  table: string,
  instanceId: string,
  pointer: SeenLogPointer,
  version: number,
): Promise<SeenLogItem[]> =>
  (
    await queryRange(doc, table, instanceId, {
      expression: '#sk BETWEEN :from AND :to',
      values: {
        ':from': seenSortKey(SortKeyPrefixes.seen, pointer.id, pointer.from),
        ':to': seenSortKey(SortKeyPrefixes.seen, pointer.id, version),
      },
    })
  ).map((item) => readSeenLogItem(instanceId, item));

/** The COUNT items of finished hours (a week and a day of them at most: older ones expire). */
export const queryFinishedHours = async (
  doc: DynamoDBDocumentClient,
  table: string,
  instanceId: string,
): Promise<[string, number][]> =>
  (
    await queryRange(doc, table, instanceId, {
      expression: 'begins_with(#sk, :prefix)',
      values: { ':prefix': SortKeyPrefixes.hourCount },
    })
  ).flatMap((item): [string, number][] => {
    const count = readHourCountItem(item);
    return count ? [count] : [];
  });
