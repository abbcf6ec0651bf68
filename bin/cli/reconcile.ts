/**
 * `genai-finops reconcile --cur <files or folder> --meter <files or folder> [--day YYYY-MM-DD] [--json] [--threshold 2]`:
 * the meter ↔ bill reconciliation of the `MeterReconciliation` construct, offline, on files a user downloaded, with
 * DuckDB. DuckDB is not a dependency of the package: a CDK app that only synthesizes should not download its native
 * binary (and jsii admits no non-jsii peer), so it is loaded here, on use, and a missing install is reported with the
 * command that installs it. The companion package genai-finops-local depends on it, for the demo.
 */
import { RECONCILIATION_DEFAULTS } from '../../shared/contract/reconciliation';
import { isCalendarDay } from '../../shared/core/calendar-day';
import { InputFileError } from '../../reports/reconcile/input-files';
import { formatReconciliation } from '../../reports/reconcile/format';
import type { ReconcileFilesResult } from '../../reports/reconcile/reconcile-files';
import { parseArgs, UsageError } from '../../shared/cli/args';
import { MissingPackageError } from './companion';
import { RECONCILE_HELP } from './help';

const COMMAND = 'reconcile';

/** The DuckDB package the command needs. */
export const DUCKDB_PACKAGE = '@duckdb/node-api';

/** Runs the command; resolves to the exit code. */
export async function reconcileCommand(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const { options, positionals } = parseArgs(argv, { cur: 'string', meter: 'string', day: 'string', json: 'boolean', threshold: 'string' }, COMMAND);
  if (options.help) {
    await out(RECONCILE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  if (typeof options.cur !== 'string') throw new UsageError('--cur is required: the CUR 2.0 export (Parquet or gzip CSV files, or a folder of them)', COMMAND);
  if (typeof options.meter !== 'string') throw new UsageError('--meter is required: the EMF records (JSON lines, plain or gzip, or a folder of them)', COMMAND);
  const day = options.day as string | undefined;
  if (day !== undefined && !isCalendarDay(day)) throw new UsageError(`--day is '${day}'; use a UTC day as YYYY-MM-DD, e.g. --day 2026-03-10`, COMMAND);
  const thresholdText = options.threshold as string | undefined;
  const thresholdPercent = thresholdText === undefined ? RECONCILIATION_DEFAULTS.thresholdPercent : Number(thresholdText);
  if (!Number.isFinite(thresholdPercent) || thresholdPercent <= 0 || thresholdPercent >= 100) {
    throw new UsageError(`--threshold is '${thresholdText}'; use a percentage above 0 and below 100, e.g. --threshold 2`, COMMAND);
  }
  const split = (text: string) => text.split(',').map((p) => p.trim()).filter(Boolean);

  const { reconcileFiles } = loadReader();
  let result: ReconcileFilesResult;
  try {
    result = await reconcileFiles({ cur: split(options.cur), meter: split(options.meter), day, thresholdPercent, minimumUsd: RECONCILIATION_DEFAULTS.minimumUsd });
  } catch (error) {
    // A file of the wrong shape is a mistake in the call: exit 2, the message names the file (and the column).
    if (error instanceof InputFileError) throw new UsageError(error.message, COMMAND);
    throw error;
  }
  log(`read ${result.curFiles} CUR file(s) and ${result.meterRecords} EMF record(s) from ${result.meterFiles} meter file(s)`);
  await out(options.json ? `${JSON.stringify(result.report, null, 2)}\n` : formatReconciliation(result.report));
  return 0;
}

function loadReader(): typeof import('../../reports/reconcile/reconcile-files') {
  try {
    require.resolve(DUCKDB_PACKAGE);
  } catch {
    throw new MissingPackageError(`'${COMMAND}' reads the files with DuckDB, which is not installed. Install it beside this CLI: `
      + `\`npm install --save-dev ${DUCKDB_PACKAGE}\`, then run the command again.`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../reports/reconcile/reconcile-files') as typeof import('../../reports/reconcile/reconcile-files');
}
