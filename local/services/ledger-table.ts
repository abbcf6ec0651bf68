import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE } from '../../lambda/contract';

/**
 * Creates a usage-ledger table as the `UsageLedger` construct does (partition key `pk`, TTL `expiresAt`,
 * on-demand), for tests, the demo and the benchmark against DynamoDB Local.
 */
export async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: LEDGER_TABLE.partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' }],
  }));
  await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: LEDGER_TABLE.ttlAttribute, Enabled: true } }));
}
