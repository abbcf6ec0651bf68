import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE } from '../../../shared/contract';
import { createLedgerTable } from '../../../packages/local/src/services/ledger-table';
import { useDynamoDbLocal } from '../../support/dynamodb-local';

// Tests run the ledger on a fixed clock (December 2026) while DynamoDB Local deletes expired items by the machine's
// clock: with TTL on, a counter whose window had passed by the machine's date vanished in the middle of a test.
describe('createLedgerTable', () => {
  const ddb = useDynamoDbLocal();

  test('keys the table as the UsageLedger construct does, and leaves TTL off so no item depends on the machine\'s date', async () => {
    await createLedgerTable(ddb.client, 'ledger-under-test');

    const { Table } = await ddb.client.send(new DescribeTableCommand({ TableName: 'ledger-under-test' }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' }]);
    const { TimeToLiveDescription } = await ddb.client.send(new DescribeTimeToLiveCommand({ TableName: 'ledger-under-test' }));
    expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });
});
