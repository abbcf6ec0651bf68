/**
 * Chargeback and showback: per tenant and month, what the meter recorded (`./meter.ts`): requests, tokens by kind,
 * USD by feature and model, and what the response cache saved. One SELECT for Athena (the `TenantStatementView`) and
 * DuckDB (`genai-finops statement`, the tests); the only part that differs is how an epoch-milliseconds time becomes
 * a month, because Trino and DuckDB share no function for it ({@link STATEMENT_MONTH_OF}).
 *
 * Cost is the meter's: each call priced exactly from Bedrock's usage fields at the catalog's list price, or at the
 * workflow's `modelPrices` where set. It is a showback of list-price usage, not AWS's invoice (no discounts, credits
 * or tax); `genai-finops reconcile` measures how far it is from the bill.
 */
import { IS_METER_REQUEST, METER_PARTITION_COLUMN, METER_TIME_MS } from './meter';
import { literal } from './sql';

/** How each engine turns the record's time (epoch milliseconds, UTC) into `YYYY-MM`. */
export const STATEMENT_MONTH_OF = Object.freeze({
  /** Athena (Trino): its session time zone is UTC. */
  athena: `date_format(from_unixtime(${METER_TIME_MS} / 1000), '%Y-%m')`,
  duckdb: `strftime(epoch_ms(${METER_TIME_MS}), '%Y-%m')`,
} as const);

/** The statement's columns, in order; one row per month, tenant, feature and model. */
export const STATEMENT_COLUMNS = Object.freeze([
  'month', 'tenant_id', 'application', 'feature', 'model',
  'requests', 'answered_requests', 'cache_hits', 'refused_requests', 'failed_requests',
  'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd', 'saved_usd',
] as const);

/**
 * The Athena view's columns: the statement's with the delivery day `dt` (the meter table's partition) after `month`,
 * one row per month, delivery day, tenant, feature and model, so that a filter on `dt` prunes the archive's folders.
 */
export const STATEMENT_VIEW_COLUMNS = Object.freeze(['month', 'dt', ...STATEMENT_COLUMNS.slice(1)] as const);

/** One statement row as the engines return it (counts may come back as strings or bigints). */
export type StatementRow = Record<(typeof STATEMENT_COLUMNS)[number], unknown>;

/**
 * The statement over a meter table (the Glue table, or a DuckDB view of `duckdbMeterSelect`): request records only
 * (not the guards' event records), a tenant-less record under tenant `(none)`, a refusal under model `none` with no
 * tokens and no cost. `requests` counts every request; `answered_requests` those a model or the cache answered.
 *
 * @param meterTable the meter table, qualified and quoted as the engine needs it.
 * @param monthOf the engine's month expression, one of {@link STATEMENT_MONTH_OF}.
 * @param byDeliveryDay also group by the partition `dt` ({@link STATEMENT_VIEW_COLUMNS}), for the Athena view.
 */
export function statementSelect(meterTable: string, monthOf: string, byDeliveryDay = false): string {
  return [
    'SELECT',
    `  ${monthOf} AS month,`,
    ...(byDeliveryDay ? [`  ${METER_PARTITION_COLUMN},`] : []),
    `  coalesce(tenant_id, ${literal(NO_TENANT)}) AS tenant_id,`,
    '  application,',
    '  feature,',
    '  model,',
    '  sum(requests) AS requests,',
    '  sum(CASE WHEN status IS NULL THEN requests ELSE 0 END) AS answered_requests,',
    '  sum(coalesce(response_cache_hits, 0)) AS cache_hits,',
    '  sum(coalesce(rejected_requests, 0)) AS refused_requests,',
    '  sum(coalesce(failed_requests, 0)) AS failed_requests,',
    '  sum(coalesce(input_tokens, 0)) AS input_tokens,',
    '  sum(coalesce(output_tokens, 0)) AS output_tokens,',
    '  sum(coalesce(cache_read_tokens, 0)) AS cache_read_tokens,',
    '  sum(coalesce(cache_write_tokens, 0)) AS cache_write_tokens,',
    '  sum(coalesce(cost_usd, 0)) AS cost_usd,',
    '  sum(coalesce(saved_usd, 0)) AS saved_usd',
    `FROM ${meterTable}`,
    `WHERE ${IS_METER_REQUEST}`,
    byDeliveryDay ? 'GROUP BY 1, 2, 3, 4, 5, 6' : 'GROUP BY 1, 2, 3, 4, 5',
  ].join('\n');
}

/** The tenant of records that carry none (a refusal before authentication, a scheduled job without one). */
export const NO_TENANT = '(none)';

/** `YYYY-MM`, checked. */
export function checkMonth(month: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`the month is '${month}'; use YYYY-MM, e.g. 2026-11`);
  return month;
}

/**
 * One month's statement (optionally one tenant's), ordered by tenant, cost (dearest first), feature and model: the
 * shared SELECT filtered, as the command runs it and as one would query the Athena view.
 */
export function statementQuery(options: { readonly meterTable: string; readonly monthOf: string; readonly month: string; readonly tenant?: string }): string {
  const where = [`month = ${literal(checkMonth(options.month))}`];
  if (options.tenant !== undefined) where.push(`tenant_id = ${literal(options.tenant)}`);
  return [
    'SELECT * FROM (',
    statementSelect(options.meterTable, options.monthOf),
    ') AS statement',
    `WHERE ${where.join(' AND ')}`,
    'ORDER BY tenant_id, cost_usd DESC, feature, model',
  ].join('\n');
}
