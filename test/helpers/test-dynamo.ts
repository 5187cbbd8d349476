import { type LocalDynamo, type StartLocalDynamoOptions, startLocalDynamo } from '../../local/dynamodb.js';

/**
 * A DynamoDB Local for a test file: the one the whole test run shares when `FERRY_TEST_DYNAMO_ENDPOINT`
 * names it (Vitest's global setup starts it once: a JVM per file costs seconds on two cores), otherwise a
 * fresh one. Callers keep their data apart with their own table names; `stop` leaves a shared one running.
 */
export async function startTestDynamo(options: StartLocalDynamoOptions = {}): Promise<LocalDynamo> {
  const shared = process.env.FERRY_TEST_DYNAMO_ENDPOINT;
  if (shared) return { endpoint: shared, engine: 'java', stop: async () => undefined };
  return startLocalDynamo({ engine: 'java', ...options });
}
