/**
 * The meter ↔ bill reconciliation's contract: what the `MeterReconciliation` construct writes into its function's
 * environment, what the function publishes, and the defaults both sides use.
 */

/** Environment variables of the reconciliation function. */
export const RECONCILIATION_ENV = Object.freeze({
  /** The Athena workgroup the query runs in (the cost-reporting construct's). */
  workGroup: 'RECONCILE_WORKGROUP',
  /** The Glue database holding both tables. */
  database: 'RECONCILE_DATABASE',
  /** The CUR 2.0 table. */
  curTable: 'RECONCILE_CUR_TABLE',
  /** The meter table. */
  meterTable: 'RECONCILE_METER_TABLE',
  /** Whole days between a day and its reconciliation (CUR's data lands late and is restated). */
  lagDays: 'RECONCILE_LAG_DAYS',
  /** Drift, in percent of the bill, above which a feature is reported as drifting. */
  thresholdPercent: 'RECONCILE_THRESHOLD_PERCENT',
  /** Features (and unmetered spend) under this many USD on both sides are not judged: too small to say anything. */
  minimumUsd: 'RECONCILE_MINIMUM_USD',
} as const);

/** The namespace of the reconciliation's metrics (apart from the pipeline's, which only the pipeline writes). */
export const RECONCILIATION_NAMESPACE = 'GenAI/FinOps/Reconciliation';

/** The reconciliation's metric names. */
export const RECONCILIATION_METRIC = Object.freeze({
  /** Per Application and Feature: (metered − billed) / billed × 100 for the reconciled day; signed. */
  driftPercent: 'MeterDriftPercent',
  /** No dimension: the largest absolute drift of the judged features that day (what the drift alarm watches). */
  maxDriftPercent: 'MeterMaxDriftPercent',
  /** No dimension: Bedrock spend on the bill that no metered feature accounts for, USD. */
  unmeteredUsd: 'UnmeteredSpendUSD',
  /** No dimension: that spend as a percentage of the day's Bedrock bill (what the unmetered alarm watches). */
  unmeteredPercent: 'UnmeteredSpendPercent',
} as const);

/** The dimensions of the per-feature drift metric. */
export const RECONCILIATION_DIMENSIONS = Object.freeze(['Application', 'Feature'] as const);

/** Defaults shared by the construct and the command. */
export const RECONCILIATION_DEFAULTS = Object.freeze({
  /** CUR 2.0 refreshes up to three times a day and restates recent days: day D is reconciled on D+2. */
  lagDays: 2,
  thresholdPercent: 2,
  minimumUsd: 0.01,
} as const);
