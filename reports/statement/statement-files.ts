/**
 * `genai-finops statement` without AWS: the meter's EMF records a user has (the MeterArchive's objects, a CloudWatch
 * Logs export, the demo's output), in DuckDB, through the SQL of the `TenantStatementView` Athena view; and the
 * FOCUS 1.2 export of the same rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { focusSelect } from '../../shared/queries/focus';
import { duckdbMeterSelect } from '../../shared/queries/meter';
import { literal } from '../../shared/queries/sql';
import { STATEMENT_MONTH_OF, statementQuery } from '../../shared/queries/statement';
import { inputFiles } from '../reconcile/input-files';
import { collectMeterRecords } from '../reconcile/meter-files';

/** What to state. */
export interface StatementFilesOptions {
  /** EMF record files or folders. */
  readonly meter: ReadonlyArray<string>;
  /** `YYYY-MM`. */
  readonly month: string;
  /** One tenant only. */
  readonly tenant?: string;
  /** Where to write the FOCUS export: Parquet when it ends in `.parquet`, else CSV. */
  readonly focusFile?: string;
}

/** The statement's rows (the view's columns), and how many files and records were read. */
export interface StatementFilesResult {
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  readonly meterFiles: number;
  readonly meterRecords: number;
}

/**
 * Reads the files and runs the statement (and the export). A file of the wrong shape is an `InputFileError` naming it
 * (`local/reconcile/input-files.ts`). DuckDB is imported here: the CLI loads this module only once it is installed.
 */
export async function statementFromFiles(options: StatementFilesOptions): Promise<StatementFilesResult> {
  const files = inputFiles(options.meter, ['.jsonl', '.ndjson', '.json', '.gz', '.log', '.txt'], '--meter');
  const work = mkdtempSync(path.join(tmpdir(), 'genai-finops-statement-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const meterJson = path.join(work, 'meter.jsonl');
    const counts = await collectMeterRecords(files, meterJson);
    await connection.run(`CREATE VIEW meter AS ${duckdbMeterSelect([meterJson])}`);
    const query = statementQuery({ meterTable: 'meter', monthOf: STATEMENT_MONTH_OF.duckdb, month: options.month, tenant: options.tenant });
    const rows = (await connection.runAndReadAll(query)).getRowObjectsJson() as Array<Record<string, unknown>>;
    if (options.focusFile) {
      // FOCUS's DateTime is ISO 8601 in UTC with a Z; Parquet keeps the timestamp type (UTC-adjusted). CSV renders a
      // TIMESTAMPTZ in the session's zone, which is the machine's unless set.
      await connection.run("SET TimeZone = 'UTC'");
      const format = options.focusFile.toLowerCase().endsWith('.parquet') ? 'FORMAT PARQUET' : "FORMAT CSV, HEADER, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%SZ'";
      await connection.run(`COPY (${focusSelect(query)}) TO ${literal(options.focusFile)} (${format})`);
    }
    return { rows, meterFiles: files.length, meterRecords: [...counts.values()].reduce((a, b) => a + b, 0) };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}

