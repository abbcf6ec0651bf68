/**
 * Meter ↔ bill reconciliation: for one UTC day, what the pipeline recorded per application and feature (the meter
 * table, `./meter.ts`) against what CUR 2.0 billed for the same day to the same application and feature, and the
 * Bedrock spend no metered feature accounts for. One text for Athena (the `MeterReconciliation` function) and DuckDB
 * (`genai-finops reconcile`, the tests).
 *
 * Attribution on the bill side: the application inference profile's cost allocation tags (`resource_tags`,
 * `user_Application` / `user_Feature`), else the calling principal's tags (`tags`, `iamPrincipal/Application` /
 * `iamPrincipal/Feature`), for calls that cannot go through a profile. Cost is the gross cost ({@link GROSS_LINE_COST},
 * `line_item_unblended_cost`) of usage line items: the on-demand value of the tokens (Savings-Plan-covered usage included at on-demand rates), which is
 * what the meter computes from list prices; discounts, credits, refunds and tax are not the meter's to match.
 */
import { DEFAULT_MODEL_CATALOG, modelShortName } from '../core';
import { TAG_KEY } from '../contract/tag-keys';
import { BILLING_PERIOD_COLUMN } from './cur-schema';
import { IS_METER_REQUEST, meterWindow } from './meter';
import { GROSS_LINE_COST, IS_BEDROCK, IS_USAGE, literal, principalTag, resourceTag } from './sql';

/** What the reconciliation query is rendered against. */
export interface ReconciliationQueryOptions {
  /** The CUR 2.0 table, qualified and quoted as the engine needs it. */
  readonly curTable: string;
  /** The meter table (or a DuckDB view with its columns). */
  readonly meterTable: string;
  /** The UTC day reconciled, `YYYY-MM-DD`. */
  readonly day: string;
}

/** The `kind` of a result row. */
export const RECONCILIATION_KIND = Object.freeze({
  /** A feature the meter recorded spend for (or the bill attributes to a metered application's feature). */
  feature: 'feature',
  /** Bedrock spend on the bill that no metered feature accounts for: calls that bypassed the pipeline. */
  unmetered: 'unmetered',
} as const);

/**
 * The result's columns: `kind`, `application`, `feature`, `model`, `metered_usd`, `billed_usd`, `drift_usd`
 * (metered − billed) and `drift_pct` (drift as a percentage of the bill; NULL when nothing was billed). Feature rows
 * are per model, the `Model` tag's value on both sides (the meter's model id mapped to the catalog's short name, as
 * the constructs tag profiles); a feature's drift is the sum of its rows. The unmetered row has NULL application,
 * feature and model, its spend in `billed_usd`, and 0 metered.
 */
export function reconciliationQuery(options: ReconciliationQueryOptions): string {
  const day = options.day;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new Error(`the reconciliation day is '${day}'; use YYYY-MM-DD`);
  }
  const startMs = Date.parse(`${day}T00:00:00Z`);
  const application = `coalesce(${resourceTag(TAG_KEY.application)}, ${principalTag(TAG_KEY.application)})`;
  const feature = `coalesce(${resourceTag(TAG_KEY.feature)}, ${principalTag(TAG_KEY.feature)})`;
  const billedModel = `coalesce(${resourceTag(TAG_KEY.model)}, ${principalTag(TAG_KEY.model)}, ${literal(NO_MODEL_TAG)})`;
  const nextDay = new Date(startMs + 86_400_000).toISOString().slice(0, 10);
  return [
    'WITH metered AS (',
    `  SELECT application, feature, ${meterModelTag('model')} AS model, sum(coalesce(cost_usd, 0)) AS metered_usd`,
    `  FROM ${options.meterTable}`,
    `  WHERE ${meterWindow(startMs, startMs + 86_400_000)} AND ${IS_METER_REQUEST} AND cost_usd IS NOT NULL`,
    '  GROUP BY 1, 2, 3',
    '), billed AS (',
    `  SELECT ${application} AS application, ${feature} AS feature, ${billedModel} AS model, sum(${GROSS_LINE_COST}) AS billed_usd`,
    `  FROM ${options.curTable}`,
    `  WHERE ${BILLING_PERIOD_COLUMN} = ${literal(day.slice(0, 7))}`,
    `    AND line_item_usage_start_date >= TIMESTAMP ${literal(`${day} 00:00:00`)}`,
    `    AND line_item_usage_start_date < TIMESTAMP ${literal(`${nextDay} 00:00:00`)}`,
    `    AND ${IS_USAGE} AND ${IS_BEDROCK}`,
    '  GROUP BY 1, 2, 3',
    '), metered_features AS (',
    '  SELECT DISTINCT application, feature FROM metered',
    '), billed_metered AS (',
    '  SELECT b.application, b.feature, b.model, b.billed_usd FROM billed b',
    '  JOIN metered_features f ON f.application = b.application AND f.feature = b.feature',
    '), features AS (',
    '  SELECT coalesce(m.application, b.application) AS application, coalesce(m.feature, b.feature) AS feature,',
    '    coalesce(m.model, b.model) AS model, coalesce(m.metered_usd, 0) AS metered_usd, coalesce(b.billed_usd, 0) AS billed_usd',
    '  FROM metered m FULL OUTER JOIN billed_metered b',
    '    ON b.application = m.application AND b.feature = m.feature AND b.model = m.model',
    '), unmetered AS (',
    '  SELECT coalesce(sum(b.billed_usd), 0) AS billed_usd',
    '  FROM billed b',
    '  WHERE NOT EXISTS (SELECT 1 FROM metered_features f WHERE f.application = b.application AND f.feature = b.feature)',
    ')',
    `SELECT ${literal(RECONCILIATION_KIND.feature)} AS kind, application, feature, model, metered_usd, billed_usd,`,
    '  metered_usd - billed_usd AS drift_usd,',
    '  CASE WHEN billed_usd <> 0 THEN 100 * (metered_usd - billed_usd) / billed_usd END AS drift_pct',
    'FROM features',
    'UNION ALL',
    `SELECT ${literal(RECONCILIATION_KIND.unmetered)}, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(0 AS DOUBLE), billed_usd,`,
    '  -billed_usd, CASE WHEN billed_usd <> 0 THEN CAST(-100 AS DOUBLE) END',
    'FROM unmetered',
    'ORDER BY kind, application, feature, model',
  ].join('\n');
}

/** The bill's model for usage whose profile (or principal) has no `Model` tag. */
export const NO_MODEL_TAG = '(no Model tag)';

/**
 * The `Model` tag value of a meter record's model: the catalog's short name (what `GenAiInferenceProfile` tags a
 * profile with), the id itself for a model the catalog does not know.
 */
export function meterModelTag(column: string): string {
  const cases = Object.keys(DEFAULT_MODEL_CATALOG).map((id) => `WHEN ${literal(id)} THEN ${literal(modelShortName(id))}`);
  return `CASE ${column} ${cases.join(' ')} ELSE ${column} END`;
}
