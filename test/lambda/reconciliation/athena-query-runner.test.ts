import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaQueryRunner } from '../../../lambda/reconciliation/query-runner';

const athena = mockClient(AthenaClient);
const noWait = async () => undefined;

beforeEach(() => athena.reset());

const row = (...values: Array<string | undefined>) => ({ Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
const columns = { ColumnInfo: [{ Name: 'kind', Type: 'varchar' }, { Name: 'billed_usd', Type: 'double' }] };

test('starts the query in the workgroup and database, polls until it succeeds, and reads every page without the header row', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
    .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
    .resolves({ ResultSet: { ResultSetMetadata: columns, Rows: [row('kind', 'billed_usd'), row('feature', '0.75')] }, NextToken: 'p2' });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'p2' })
    .resolves({ ResultSet: { ResultSetMetadata: columns, Rows: [row('unmetered', undefined)] } });

  const runner = new AthenaQueryRunner({ client: new AthenaClient({}), workGroup: 'wg', database: 'db', sleep: noWait });
  const rows = await runner.run('SELECT 1');

  expect(rows).toEqual([{ kind: 'feature', billed_usd: '0.75' }, { kind: 'unmetered', billed_usd: null }]);
  expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
    QueryString: 'SELECT 1', WorkGroup: 'wg', QueryExecutionContext: { Database: 'db' },
  });
  expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(3);
});

test('fails with Athena\'s reason when the query fails', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: meter' } } });
  const runner = new AthenaQueryRunner({ client: new AthenaClient({}), workGroup: 'wg', database: 'db', sleep: noWait });
  await expect(runner.run('SELECT 1')).rejects.toThrow('Athena query q-2 FAILED: TABLE_NOT_FOUND: meter');
});

test('gives up polling after its timeout', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
  const runner = new AthenaQueryRunner({ client: new AthenaClient({}), workGroup: 'wg', database: 'db', sleep: noWait, pollMs: 1000, timeoutMs: 5000 });
  await expect(runner.run('SELECT 1')).rejects.toThrow(/q-3 still RUNNING after 5000 ms/);
  expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(6);
});
