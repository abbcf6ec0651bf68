import { AthenaClient } from '@aws-sdk/client-athena';
import { reconcileHandler } from '../reconciliation/handle';
import { AthenaQueryRunner } from '../reconciliation/query-runner';
import { readReconciliationSettings } from '../reconciliation/settings';

export type { ReconciliationReport } from '../reconciliation/compare';

// Read at init, as Lambda loads the handler after setting the environment: a missing variable fails the first run.
const settings = readReconciliationSettings();

/** The `MeterReconciliation` function: the day's reconciliation, in Athena (see `reconcileHandler`). */
export const handler = reconcileHandler({
  settings,
  runner: new AthenaQueryRunner({ client: new AthenaClient({}), workGroup: settings.workGroup, database: settings.database }),
  now: () => new Date(),
  write: (line) => process.stdout.write(`${line}\n`),
});
