import { AthenaClient } from '@aws-sdk/client-athena';
import { reconcileHandler } from './handle';
import { AthenaQueryRunner } from './query-runner';
import { readReconciliationSettings } from './settings';

export type { ReconciliationReport } from '../../shared/queries/reconciliation-verdict';

// Read at init, as Lambda loads the handler after setting the environment: a missing variable fails the first run.
const settings = readReconciliationSettings();

/** The `MeterReconciliation` function: the day's reconciliation, in Athena (see `reconcileHandler`). */
export const handler = reconcileHandler({
  settings,
  runner: new AthenaQueryRunner({ client: new AthenaClient({}), workGroup: settings.workGroup, database: settings.database }),
  now: () => new Date(),
  write: (line) => process.stdout.write(`${line}\n`),
});
