/**
 * Reading a CUR 2.0 export as AWS Data Exports writes it (Parquet, or gzip CSV whose map columns are JSON text)
 * into a DuckDB view with the Glue table's columns, so the shared report SQL runs on it unchanged.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BILLING_PERIOD_COLUMN, CUR_COLUMNS, CurColumn } from '../../shared/queries/cur-schema';
import { literal } from '../../shared/queries/sql';
import { InputFileError } from './input-files';

/** The columns reconciliation cannot do without; the others are NULL when a file lacks them. */
export const REQUIRED_CUR_COLUMNS = [
  'bill_billing_period_start_date', 'line_item_usage_start_date', 'line_item_line_item_type', 'line_item_product_code',
  'line_item_unblended_cost', 'resource_tags',
] as const;

const DUCKDB_TYPE: Record<CurColumn['type'], string> = {
  'string': 'VARCHAR', 'double': 'DOUBLE', 'timestamp': 'TIMESTAMP', 'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
};

/** True for the files this reader takes. */
export function isCurFile(file: string): boolean {
  const f = file.toLowerCase();
  return f.endsWith('.parquet') || f.endsWith('.csv.gz') || f.endsWith('.csv');
}

/**
 * Creates the view `name` over `files`. Throws naming the file and its missing columns when one is not a CUR 2.0
 * export, and naming the file when DuckDB cannot read it.
 */
export async function createCurView(connection: DuckDBConnection, name: string, files: ReadonlyArray<string>): Promise<void> {
  await connection.run("SET TimeZone = 'UTC'");
  const selects: string[] = [];
  for (const file of files) {
    if (!isCurFile(file)) throw new InputFileError(`${file}: not a CUR 2.0 export file (expected .parquet, .csv.gz or .csv)`);
    const csv = !file.toLowerCase().endsWith('.parquet');
    const source = csv
      ? `read_csv(${literal(file)}, header = true, all_varchar = true, auto_detect = true)`
      : `read_parquet(${literal(file)})`;
    let present: Set<string>;
    try {
      const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson() as Array<{ column_name: string }>;
      present = new Set(described.map((c) => c.column_name.toLowerCase()));
    } catch (error) {
      throw new InputFileError(`${file}: cannot be read as ${csv ? 'CSV' : 'Parquet'} (${firstLine((error as Error).message)})`);
    }
    const missing = REQUIRED_CUR_COLUMNS.filter((c) => !present.has(c));
    if (missing.length > 0) {
      throw new InputFileError(`${file}: not a CUR 2.0 export: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} `
        + '(export CUR 2.0 with AWS Data Exports, or use the CostReporting construct\'s export)');
    }
    const columns = CUR_COLUMNS.map((c) => `${present.has(c.name) ? convert(c, csv) : `CAST(NULL AS ${DUCKDB_TYPE[c.type]})`} AS ${c.name}`);
    selects.push(`SELECT ${columns.join(', ')} FROM ${source}`);
  }
  await connection.run(`CREATE OR REPLACE VIEW ${name} AS SELECT *, strftime(bill_billing_period_start_date, '%Y-%m') AS ${BILLING_PERIOD_COLUMN} `
    + `FROM (${selects.join('\nUNION ALL\n')})`);
}

function convert(column: CurColumn, csv: boolean): string {
  const c = column.name;
  switch (column.type) {
    case 'map<string,string>':
      // Data Exports writes map columns into CSV as JSON objects; empty means no entry.
      return csv
        ? `CASE WHEN ${c} IS NULL OR trim(${c}) = '' THEN CAST(MAP {} AS MAP(VARCHAR, VARCHAR)) ELSE CAST(CAST(${c} AS JSON) AS MAP(VARCHAR, VARCHAR)) END`
        : `CAST(${c} AS MAP(VARCHAR, VARCHAR))`;
    case 'timestamp':
      // CSV timestamps are ISO 8601 in UTC ('2026-03-10T05:00:00Z'); the session time zone is UTC.
      return csv ? `CAST(CAST(nullif(${c}, '') AS TIMESTAMPTZ) AS TIMESTAMP)` : `CAST(${c} AS TIMESTAMP)`;
    case 'double':
      return csv ? `CAST(nullif(${c}, '') AS DOUBLE)` : `CAST(${c} AS DOUBLE)`;
    default:
      return csv ? `nullif(${c}, '')` : `CAST(${c} AS VARCHAR)`;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
