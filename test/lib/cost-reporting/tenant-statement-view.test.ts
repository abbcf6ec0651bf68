import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CostReporting } from '../../../lib/cost-reporting/cost-reporting';
import { MeterTable } from '../../../lib/cost-reporting/meter-table';
import { STATEMENT_MONTH_OF, STATEMENT_VIEW_COLUMNS, statementSelect } from '../../../shared/queries/statement';
import { TenantStatementView } from '../../../lib/cost-reporting/tenant-statement-view';
import { createTestApp } from '../../support/test-app';

function synthView(viewName?: string) {
  const stack = new Stack(createTestApp(), 'CostStack', { env: { account: '111122223333', region: 'us-east-1' } });
  const costReporting = new CostReporting(stack, 'CostReporting');
  const meterTable = new MeterTable(stack, 'MeterTable', { costReporting, bucket: s3.Bucket.fromBucketName(stack, 'MeterBucket', 'genai-meter-archive') });
  const view = new TenantStatementView(stack, 'Statement', { meterTable, ...(viewName ? { viewName } : {}) });
  return { stack, meterTable, view, template: Template.fromStack(stack) };
}

/** The Presto view definition Athena reads from the Glue table (`/* Presto View: <base64 JSON> *\/`). */
function prestoDefinition(template: Template): any {
  const views = Object.values(template.findResources('AWS::Glue::Table')).filter((t: any) => t.Properties.TableInput.TableType === 'VIRTUAL_VIEW');
  expect(views).toHaveLength(1);
  const [prefix, encoded, suffix] = (views[0] as any).Properties.TableInput.ViewOriginalText['Fn::Join'][1];
  expect([prefix, suffix]).toEqual(['/* Presto View: ', ' */']);
  return JSON.parse(Buffer.from(encoded['Fn::Base64'], 'utf8').toString('utf8'));
}

describe('TenantStatementView', () => {
  test('deploys an Athena view whose SQL is the statement the CLI runs, over the meter table, with Athena\'s month', () => {
    const { meterTable, template } = synthView();

    const definition = prestoDefinition(template);
    expect(definition.originalSql).toBe(statementSelect(`"${meterTable.databaseName}"."meter"`, STATEMENT_MONTH_OF.athena, true));
    expect(definition).toMatchObject({ catalog: 'awsdatacatalog', schema: meterTable.databaseName });
    expect(definition.columns.map((c: any) => c.name)).toEqual([...STATEMENT_VIEW_COLUMNS]);
    // The partition is a column of the view, so `WHERE dt BETWEEN ...` prunes the archive's daily folders.
    expect(definition.columns.find((c: any) => c.name === 'dt').type).toBe('varchar');
    expect(definition.originalSql).toMatch(/^\s+dt,$/m);
    expect(definition.columns.find((c: any) => c.name === 'cost_usd').type).toBe('double');
    expect(definition.columns.find((c: any) => c.name === 'input_tokens').type).toBe('bigint');
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: meterTable.databaseName,
      TableInput: { Name: 'tenant_statement', TableType: 'VIRTUAL_VIEW', Parameters: { presto_view: 'true' }, ViewExpandedText: '/* Presto View */' },
    });
  });

  test('fails when the view name is not a Glue table name, naming the fix', () => {
    expect(() => synthView('Tenant-Statement')).toThrow(/CostStack\/Statement: viewName is 'Tenant-Statement'\. Fix: use lower-case letters/);
  });
});
