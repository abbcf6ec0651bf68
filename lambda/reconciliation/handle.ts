import { logInfo, logWarn } from '../shared/log';
import { dayToReconcile, ReconciliationReport } from '../../shared/queries/reconciliation-verdict';
import { reconciliationEmfLines } from './emf';
import type { QueryRunner } from './query-runner';
import { runReconciliation } from './run';
import { ReconciliationHandlerSettings, requestedDay } from './settings';

/** What the reconciliation handler runs on. */
export interface ReconcileHandlerDependencies {
  readonly settings: ReconciliationHandlerSettings;
  /** Athena in the function; DuckDB in the tests. */
  readonly runner: QueryRunner;
  readonly now: () => Date;
  /** Where the EMF lines go (stdout in the function). */
  readonly write: (line: string) => void;
}

/**
 * The daily schedule (EventBridge) → reconcile the day `lagDays` ago; `{ "day": "YYYY-MM-DD" }` invoked directly →
 * that day. Publishes the drift per feature and the unmetered spend as EMF and returns the report.
 */
export function reconcileHandler(deps: ReconcileHandlerDependencies): (event: unknown) => Promise<ReconciliationReport> {
  return async (event) => {
    const now = deps.now();
    const day = requestedDay(event, now) ?? dayToReconcile(now, deps.settings.lagDays);
    const report = await runReconciliation(deps.runner, deps.settings, day);
    for (const line of reconciliationEmfLines(report, now)) deps.write(line);
    (report.overThreshold ? logWarn : logInfo)('meter reconciled with the bill', { ...report });
    return report;
  };
}
