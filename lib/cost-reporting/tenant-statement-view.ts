import { Aws, Fn, Stack, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import type { MeterTable } from './meter-table';
import { STATEMENT_MONTH_OF, STATEMENT_VIEW_COLUMNS, statementSelect } from '../../shared/queries';
import { checkProps, PropKinds } from '../private/prop-check';

/** Props of {@link TenantStatementView}. */
export interface TenantStatementViewProps {
  /** The meter table the view reads (its database holds the view too). */
  readonly meterTable: MeterTable;
  /**
   * The view's name.
   * @default 'tenant_statement'
   */
  readonly viewName?: string;
}

// The view's columns and their types: Presto's in the view definition, Hive's in the Glue catalog.
const COUNT_COLUMNS = new Set<string>(['requests', 'answered_requests', 'cache_hits', 'refused_requests', 'failed_requests', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens']);
const USD_COLUMNS = new Set<string>(['cost_usd', 'saved_usd']);
const prestoType = (c: string) => (COUNT_COLUMNS.has(c) ? 'bigint' : USD_COLUMNS.has(c) ? 'double' : 'varchar');
const hiveType = (c: string) => (COUNT_COLUMNS.has(c) ? 'bigint' : USD_COLUMNS.has(c) ? 'double' : 'string');

/**
 * An Athena view of each tenant's chargeback statement per month, over the meter table: month, delivery day (`dt`),
 * tenant, application, feature, model, requests, tokens by kind, USD and what the response cache saved. Its SQL is
 * the one `genai-finops statement` runs offline on the same EMF records (`queries/statement.ts`), also grouped by the
 * meter table's partition `dt`, so a filter on it prunes the archive's daily folders; sum over `dt` for the month:
 * `SELECT tenant_id, feature, model, sum(cost_usd) FROM tenant_statement WHERE month = '2026-11'
 *  AND dt BETWEEN '2026-11-01' AND '2026-12-02' GROUP BY 1, 2, 3` (records reach the folder of their delivery day,
 * up to a day or two after their own time).
 *
 * A Glue table of type VIRTUAL_VIEW in the Presto view format Athena writes for `CREATE VIEW` (the SQL and its
 * columns, base64-encoded), so the view is deployed with the stack, not created by hand. A query scans the meter
 * archive's objects (all of them without a `dt` filter: the month is computed from each record's own time): about
 * 0.5 KB of gzip JSON per request before compression, so a million requests a month is well under a gigabyte
 * ($5 per TB).
 */
export class TenantStatementView extends Construct {
  /** The Glue table of the view. */
  public readonly table: glue.CfnTable;
  /** The view's name. */
  public readonly viewName: string;

  constructor(scope: Construct, id: string, props: TenantStatementViewProps) {
    super(scope, id);
    checkProps(this, 'TenantStatementViewProps', props, TENANT_STATEMENT_VIEW_PROP_KINDS);
    const viewName = props.viewName ?? 'tenant_statement';
    if (!Token.isUnresolved(viewName) && !/^[a-z0-9_]{1,255}$/.test(viewName)) {
      throw new Error(`${this.node.path}: viewName is '${viewName}'. Fix: use lower-case letters, digits and underscores, e.g. 'tenant_statement'.`);
    }
    const meter = props.meterTable;
    this.viewName = viewName;
    const originalSql = statementSelect(`"${meter.databaseName}"."${meter.tableName}"`, STATEMENT_MONTH_OF.athena, true);
    const definition = Stack.of(this).toJsonString({
      originalSql,
      catalog: 'awsdatacatalog',
      schema: meter.databaseName,
      columns: STATEMENT_VIEW_COLUMNS.map((name) => ({ name, type: prestoType(name) })),
    });
    this.table = new glue.CfnTable(this, 'Resource', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: meter.databaseName,
      tableInput: {
        name: viewName,
        description: 'Each tenant\'s chargeback statement per month, from the GenAI meter (genai-finops statement runs the same SQL).',
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: Fn.join('', ['/* Presto View: ', Fn.base64(definition), ' */']),
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: STATEMENT_VIEW_COLUMNS.map((name) => ({ name, type: hiveType(name) })),
          serdeInfo: {},
        },
      },
    });
    this.table.node.addDependency(meter.table);
  }
}

// The known keys of TenantStatementViewProps and what each holds (lib/private/prop-check.ts).
const TENANT_STATEMENT_VIEW_PROP_KINDS = { meterTable: 'object', viewName: 'string' } as const satisfies PropKinds<TenantStatementViewProps>;
