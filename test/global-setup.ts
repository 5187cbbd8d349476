import type { TestProject } from 'vitest/node';
import { startLocalDynamo } from '../local/dynamodb.js';

/**
 * One DynamoDB Local (the real jar) for the whole run, shared by every file through
 * `FERRY_TEST_DYNAMO_ENDPOINT` (see `startTestDynamo` in test/helpers/test-dynamo.ts); each file creates tables of its own.
 */
export default async function setup(_project: TestProject) {
  const dynamo = await startLocalDynamo({ engine: 'java', startTimeoutMs: 120_000 });
  process.env.FERRY_TEST_DYNAMO_ENDPOINT = dynamo.endpoint;
  return async () => {
    await dynamo.stop();
  };
}
