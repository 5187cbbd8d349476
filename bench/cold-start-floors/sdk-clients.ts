// Cold-start floor: the two AWS SDK clients every connector Lambda builds at import (state in
// DynamoDB, instances and secrets in SSM), and nothing of Ferry's.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';

export const clients = [new DynamoDBClient({}), new SSMClient({})];
