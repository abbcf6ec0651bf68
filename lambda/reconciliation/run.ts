import { reconciliationQuery } from '../../shared/queries/reconciliation';
import { parseReconciliationRows, reconcile, ReconciliationReport } from '../../shared/queries/reconciliation-verdict';
import type { QueryRunner } from './query-runner';

/** What one reconciliation run needs. */
export interface ReconciliationSettings {
  /** The CUR 2.0 table as the engine names it, e.g. `"genai_finops_cost"."cur2"`. */
  readonly curTable: string;
  /** The meter table as the engine names it. */
  readonly meterTable: string;
  readonly thresholdPercent: number;
  readonly minimumUsd: number;
}

/**
 * Runs the reconciliation query for `day` on `runner` and judges its rows. The SQL comes from the one module both
 * engines share (pure: it imports neither aws-cdk-lib nor an SDK), so the function runs the text the tests ran.
 */
export async function runReconciliation(runner: QueryRunner, settings: ReconciliationSettings, day: string): Promise<ReconciliationReport> {
  const sql = reconciliationQuery({ curTable: settings.curTable, meterTable: settings.meterTable, day });
  const rows = parseReconciliationRows(await runner.run(sql));
  return reconcile(rows, { day, thresholdPercent: settings.thresholdPercent, minimumUsd: settings.minimumUsd });
}
