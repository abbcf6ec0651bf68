import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE } from '../../../../shared/contract';

/**
 * Creates a usage-ledger table as the `UsageLedger` construct does (partition key `pk`, on-demand), for tests, the
 * demo and the benchmark against DynamoDB Local.
 *
 * TTL is left off on purpose. DynamoDB Local deletes expired items by the machine's clock, while tests run the ledger
 * on a fixed clock: a counter whose `expiresAt` is past by the machine's date vanished mid-test. In AWS, TTL deletion
 * is garbage collection that the ledger never relies on (holds are given back by its own sweep), so leaving it off
 * changes nothing the ledger does.
 */
export async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: LEDGER_TABLE.partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' }],
  }));
}
