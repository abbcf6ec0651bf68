import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbBreakerStore } from '../../lambda/breaker/state-store';
import { createBreakerTable } from '../../packages/local/src/demo/resources';
import { LocalDynamoDb, localClientConfig, startDynamoDbLocal } from '../../packages/local/src/services';

/** A DynamoDB Local of a test file (or describe block): its endpoint, and an SDK client pointed at it. */
export interface TestDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
}

/**
 * Starts DynamoDB Local before the tests of the enclosing block and stops it after them. Read its fields inside
 * hooks and tests (they throw before it has started).
 */
export function useDynamoDbLocal(): TestDynamoDb {
  let ddb: LocalDynamoDb | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
    client = new DynamoDBClient(localClientConfig(ddb.endpoint));
  }, 120_000); // above startDynamoDbLocal's own 90 s startup bound: a cold JVM on a loaded CI machine is slow
  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('DynamoDB Local is not started yet: use it inside a hook or a test.');
    return value;
  };
  return {
    get endpoint() {
      return started(ddb).endpoint;
    },
    get client() {
      return started(client);
    },
  };
}

/** A new breaker state table in which the budget has tripped the support chat of customer-support; its store. */
export async function tableWithTrippedSupportChat(client: DynamoDBClient, tableName: string): Promise<DynamoDbBreakerStore> {
  await createBreakerTable(client, tableName);
  const store = new DynamoDbBreakerStore(client, tableName);
  await store.trip({
    application: 'customer-support', feature: 'support-chat', source: 'budget:genai-monthly-total', reason: 'over budget',
    period: '2026-12', notifiedAt: '2026-12-01T00:00:00.000Z',
  });
  return store;
}
