/**
 * `genai-finops reconcile` without AWS: the CUR 2.0 export and the meter's EMF records a user downloaded, in DuckDB,
 * through the same query the `MeterReconciliation` function runs in Athena.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { reconcile, ReconciliationReport, parseReconciliationRows } from '../../shared/queries/reconciliation-verdict';
import { duckdbMeterSelect, METER_TIME_MS } from '../../shared/queries/meter';
import { reconciliationQuery } from '../../shared/queries/reconciliation';
import { createCurView } from './cur-files';
import { inputFiles } from './input-files';
import { collectMeterRecords } from './meter-files';

/** What to reconcile. */
export interface ReconcileFilesOptions {
  /** CUR 2.0 files or folders. */
  readonly cur: ReadonlyArray<string>;
  /** EMF record files or folders. */
  readonly meter: ReadonlyArray<string>;
  /** The UTC day; default: the last day the meter's records cover. */
  readonly day?: string;
  readonly thresholdPercent: number;
  readonly minimumUsd: number;
}

/** The report, and how many files and records it read. */
export interface ReconcileFilesResult {
  readonly report: ReconciliationReport;
  readonly curFiles: number;
  readonly meterFiles: number;
  readonly meterRecords: number;
}

/** Reads the files and reconciles the day. Errors name the file that is not what it must be. */
export async function reconcileFiles(options: ReconcileFilesOptions): Promise<ReconcileFilesResult> {
  const curFiles = inputFiles(options.cur, ['.parquet', '.csv.gz', '.csv'], '--cur');
  const meterFiles = inputFiles(options.meter, ['.jsonl', '.ndjson', '.json', '.gz', '.log', '.txt'], '--meter');
  const work = mkdtempSync(path.join(tmpdir(), 'genai-finops-reconcile-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const meterJson = path.join(work, 'meter.jsonl');
    const counts = await collectMeterRecords(meterFiles, meterJson);
    await connection.run(`CREATE VIEW meter AS ${duckdbMeterSelect([meterJson])}`);
    await createCurView(connection, 'cur', curFiles);
    const day = options.day ?? await lastMeterDay(connection);
    const rows = (await connection.runAndReadAll(reconciliationQuery({ curTable: 'cur', meterTable: 'meter', day }))).getRowObjectsJson();
    const report = reconcile(parseReconciliationRows(rows as Array<Record<string, unknown>>), {
      day, thresholdPercent: options.thresholdPercent, minimumUsd: options.minimumUsd,
    });
    return { report, curFiles: curFiles.length, meterFiles: meterFiles.length, meterRecords: [...counts.values()].reduce((a, b) => a + b, 0) };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}

async function lastMeterDay(connection: import('@duckdb/node-api').DuckDBConnection): Promise<string> {
  const rows = (await connection.runAndReadAll(`SELECT strftime(epoch_ms(max(${METER_TIME_MS})), '%Y-%m-%d') AS day FROM meter`)).getRowObjectsJson();
  return String(rows[0].day);
}
