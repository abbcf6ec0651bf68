import { TAG_KEY } from '../contract/tag-keys';
import { BILLING_PERIOD_COLUMN } from './cur-schema';
import {
  COST_BASIS, GROSS_LINE_COST, HAS_NET_COST, IS_BEDROCK, IS_CREDIT_OR_REFUND, IS_USAGE, LINE_COST, PRINCIPAL_NAME, TOKEN_TYPE,
  periodMonthsBefore, periodOf, principalTag, resourceTag,
} from './sql';

/** What the report queries are rendered against. */
export interface CostReportQueryOptions {
  /** The table, qualified and quoted as the engine needs it, e.g. `"genai_finops_cost"."cur2"` or `cur`. */
  readonly table: string;
  /** The tag keys to break cost down by, one query each. */
  readonly tagKeys: readonly string[];
  /** The monthly Bedrock budget in USD that the month-to-date query compares against. */
  readonly monthlyBudgetUsd: number;
  /**
   * A SQL date expression for today. Athena's `current_date` is the UTC date; tests give a fixed date so that no
   * result depends on the day they run.
   * @default 'current_date'
   */
  readonly today?: string;
}

/** One named report query. */
export interface CostReportQuery {
  /** Stable id, e.g. `cost-by-application` (also the key of the construct's `namedQueries`). */
  readonly id: string;
  /** The Athena saved query's name. */
  readonly name: string;
  /** The question the query answers. */
  readonly description: string;
  /** The SQL, runnable as it is. */
  readonly sql: string;
}

/** How many billing periods the attribution queries look back over, the current one included. */
export const ATTRIBUTION_PERIODS = 3;

/** How many customers the top-customers query lists. */
export const TOP_CUSTOMERS = 10;

/**
 * The days at the end of the data the projection leaves out as incomplete: today, in progress, and yesterday.
 * Data Exports refreshes CUR 2.0 "up to three times daily" (RefreshCadence, Billing and Cost Management API
 * reference) and a day's charges keep arriving after it ends, so only days before yesterday count as complete.
 */
export const INCOMPLETE_DAYS = 2;

/** What every report's `cost_usd` means, said once in each description. */
const COST_MEANING = 'cost_usd is net of negotiated discounts where the export has net figures (cost_basis net), '
  + 'gross (unblended) where it has none (cost_basis gross); usage covered by a Savings Plan or reservation at its effective cost.';

/** A column alias for a tag key: `CostCenter` → `costcenter`. */
export function tagColumn(tagKey: string): string {
  return tagKey.replace(/[^A-Za-z0-9]/g, '_').toLowerCase();
}

/** The query id for a tag breakdown: `Application` → `cost-by-application`. */
export function tagQueryId(tagKey: string): string {
  return `cost-by-${tagColumn(tagKey).replace(/_/g, '-')}`;
}

/**
 * The report queries, rendered for one table. The construct saves exactly this text as Athena named queries and the
 * tests run exactly this text in DuckDB over CUR 2.0-shaped rows (with `today` fixed).
 *
 * Every attribution report is GenAI only (Bedrock and Bedrock models sold through AWS Marketplace, {@link IS_BEDROCK})
 * and usage only; every report has the usage account as a column or says why not.
 */
export function costReportQueries(options: CostReportQueryOptions): CostReportQuery[] {
  const t = options.table;
  const today = options.today ?? 'current_date';
  const currentPeriod = periodOf(today);
  const since = `${BILLING_PERIOD_COLUMN} >= ${periodMonthsBefore(today, ATTRIBUTION_PERIODS - 1)}`;
  const genAiUsage = `${IS_USAGE} AND ${IS_BEDROCK}`;
  const costs = [`  sum(${LINE_COST}) AS cost_usd,`, `  sum(${GROSS_LINE_COST}) AS gross_cost_usd,`, `  ${COST_BASIS} AS cost_basis`];
  const account = ['  line_item_usage_account_id AS usage_account_id,', '  max(line_item_usage_account_name) AS usage_account_name,'];
  const queries: CostReportQuery[] = [];

  for (const tagKey of options.tagKeys) {
    const column = tagColumn(tagKey);
    queries.push({
      id: tagQueryId(tagKey),
      name: `GenAI cost by ${tagKey}`,
      description: `Bedrock usage cost per account, ${tagKey} tag value and billing period (last ${ATTRIBUTION_PERIODS}); `
        + `untagged Bedrock usage as (untagged); other services, tax, credits and refunds are not attributed. ${COST_MEANING}`,
      sql: [
        `SELECT ${BILLING_PERIOD_COLUMN},`,
        ...account,
        `  coalesce(${resourceTag(tagKey)}, '(untagged)') AS ${column},`,
        ...costs,
        `FROM ${t}`,
        `WHERE ${since} AND ${genAiUsage}`,
        'GROUP BY 1, 2, 4',
        `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, usage_account_id, cost_usd DESC, ${column}`,
      ].join('\n'),
    });
  }

  queries.push({
    id: 'cost-by-iam-principal',
    name: 'GenAI Bedrock cost by IAM principal',
    description: `Bedrock usage cost per account, calling IAM user or role session (line_item_iam_principal) and billing period. ${COST_MEANING}`,
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      ...account,
      "  coalesce(nullif(line_item_iam_principal, ''), '(no principal)') AS iam_principal,",
      ...costs,
      `FROM ${t}`,
      `WHERE ${since} AND ${genAiUsage}`,
      'GROUP BY 1, 2, 4',
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, usage_account_id, cost_usd DESC, iam_principal`,
    ].join('\n'),
  });

  queries.push({
    id: 'cost-by-principal-role',
    name: 'GenAI Bedrock cost by principal role or user',
    description: 'Bedrock usage cost per account and IAM role (all its sessions together) or IAM user (with its path), '
      + `derived from the principal ARN. ${COST_MEANING}`,
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      ...account,
      `  ${PRINCIPAL_NAME} AS principal,`,
      ...costs,
      `FROM ${t}`,
      `WHERE ${since} AND ${genAiUsage}`,
      'GROUP BY 1, 2, 4',
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, usage_account_id, cost_usd DESC, principal`,
    ].join('\n'),
  });

  const principalTagColumns = options.tagKeys.map((k) => `principal_${tagColumn(k)}`);
  queries.push({
    id: 'cost-by-principal-tags',
    name: 'GenAI Bedrock cost by IAM principal tags',
    description: `Bedrock usage cost per account and combination of the caller's IAM principal tags (iamPrincipal/${options.tagKeys.join(', iamPrincipal/')}); `
      + `(untagged) where a tag is missing. ${COST_MEANING}`,
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      ...account,
      ...options.tagKeys.map((k) => `  coalesce(${principalTag(k)}, '(untagged)') AS principal_${tagColumn(k)},`),
      ...costs,
      `FROM ${t}`,
      `WHERE ${since} AND ${genAiUsage}`,
      `GROUP BY ${[1, 2, ...options.tagKeys.map((_, i) => i + 4)].join(', ')}`,
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, usage_account_id, cost_usd DESC, ${principalTagColumns.join(', ')}`,
    ].join('\n'),
  });

  queries.push({
    id: 'daily-bedrock-spend-by-token-type',
    name: 'GenAI daily Bedrock spend by token type',
    description: 'Daily Bedrock usage cost and billed quantity per account, billing entity and token type (input, output, '
      + 'cache-read, cache-write, other), first-party and AWS Marketplace models, this and last billing period. '
      + `CUR has no request count: the quantity is what was billed (tokens), not requests. ${COST_MEANING}`,
    sql: [
      'SELECT CAST(line_item_usage_start_date AS DATE) AS usage_date,',
      ...account,
      "  CASE WHEN bill_billing_entity = 'AWS Marketplace' THEN 'AWS Marketplace' ELSE 'AWS' END AS billed_by,",
      `  ${TOKEN_TYPE} AS token_type,`,
      '  sum(line_item_usage_amount) AS usage_amount,',
      ...costs,
      `FROM ${t}`,
      `WHERE ${BILLING_PERIOD_COLUMN} >= ${periodMonthsBefore(today, 1)} AND ${genAiUsage}`,
      'GROUP BY 1, 2, 4, 5',
      'ORDER BY usage_date, usage_account_id, billed_by, token_type',
    ].join('\n'),
  });

  const customer = resourceTag(TAG_KEY.customer);
  queries.push({
    id: 'top-customers',
    name: 'GenAI top customers this month',
    description: `The ${TOP_CUSTOMERS} customers (Customer tag) with the highest Bedrock usage cost in the current billing period, `
      + `over all accounts (accounts: how many of them served the customer); untagged usage is not a customer. ${COST_MEANING}`,
    sql: [
      `SELECT ${customer} AS customer,`,
      '  count(DISTINCT line_item_usage_account_id) AS accounts,',
      ...costs,
      `FROM ${t}`,
      `WHERE ${BILLING_PERIOD_COLUMN} = ${currentPeriod} AND ${genAiUsage} AND ${customer} IS NOT NULL`,
      'GROUP BY 1',
      'ORDER BY cost_usd DESC, customer',
      `LIMIT ${TOP_CUSTOMERS}`,
    ].join('\n'),
  });

  queries.push({
    id: 'cost-by-account',
    name: 'GenAI Bedrock cost by account',
    description: `Bedrock cost per account and billing period (last ${ATTRIBUTION_PERIODS}): usage, credits and refunds, tax, and `
      + `their total, with the gross (unblended) total beside it. ${COST_MEANING}`,
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      ...account,
      `  sum(CASE WHEN ${IS_USAGE} THEN ${LINE_COST} ELSE 0 END) AS usage_cost_usd,`,
      `  sum(CASE WHEN ${IS_CREDIT_OR_REFUND} THEN ${LINE_COST} ELSE 0 END) AS credits_refunds_usd,`,
      `  sum(CASE WHEN line_item_line_item_type = 'Tax' THEN ${LINE_COST} ELSE 0 END) AS tax_usd,`,
      ...costs,
      `FROM ${t}`,
      `WHERE ${since} AND ${IS_BEDROCK}`,
      'GROUP BY 1, 2',
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, cost_usd DESC, usage_account_id`,
    ].join('\n'),
  });

  const budget = `CAST(${formatNumber(options.monthlyBudgetUsd)} AS DOUBLE)`;
  const monthStart = `CAST(date_trunc('month', ${today}) AS DATE)`;
  queries.push({
    id: 'month-to-date-vs-budget',
    name: 'GenAI Bedrock month to date against budget',
    description: `Bedrock spend this billing period over all accounts (usage, credits, refunds, tax) against the ${formatNumber(options.monthlyBudgetUsd)} `
      + 'USD monthly budget, and a month-end projection of usage alone: the usage run rate over complete days (all days before '
      + `yesterday, CUR's last ${INCOMPLETE_DAYS} days being incomplete, and before the day of the newest usage line, when the export `
      + `lags further) times the days in the month; credits, refunds and tax are one-off and not projected. ${COST_MEANING}`,
    sql: [
      'WITH calendar AS (',
      `  SELECT ${monthStart} AS month_start,`,
      `    CAST(${today} - INTERVAL '${INCOMPLETE_DAYS - 1}' DAY AS DATE) AS before_yesterday_end,`,
      `    date_diff('day', ${monthStart}, CAST(${monthStart} + INTERVAL '1' MONTH AS DATE)) AS days_in_month`,
      '),',
      'lines AS (',
      '  SELECT CAST(line_item_usage_start_date AS DATE) AS usage_date, line_item_usage_start_date AS usage_start,',
      `    CASE WHEN ${IS_USAGE} THEN 1 ELSE 0 END AS is_usage,`,
      `    CASE WHEN ${IS_CREDIT_OR_REFUND} THEN 1 ELSE 0 END AS is_credit_or_refund,`,
      "    CASE WHEN line_item_line_item_type = 'Tax' THEN 1 ELSE 0 END AS is_tax,",
      `    CASE WHEN ${HAS_NET_COST} THEN 1 ELSE 0 END AS has_net,`,
      `    ${LINE_COST} AS cost`,
      `  FROM ${t}`,
      `  WHERE ${BILLING_PERIOD_COLUMN} = ${currentPeriod} AND ${IS_BEDROCK}`,
      '),',
      // The export can lag more than CUR's usual two days: the day of the newest usage line is itself still arriving,
      // so complete days end before it too. least() on two DATEs behaves alike in Trino (Athena) and DuckDB; coalesce
      // keeps the calendar bound when there is no usage yet (Trino's least() returns NULL on a NULL argument).
      'params AS (',
      '  SELECT month_start, days_in_month,',
      '    least(before_yesterday_end, coalesce((SELECT CAST(max(usage_start) AS DATE) FROM lines WHERE is_usage = 1), before_yesterday_end)) AS complete_before',
      '  FROM calendar',
      '),',
      'totals AS (',
      '  SELECT coalesce(sum(cost), 0) AS mtd,',
      '    coalesce(sum(is_usage * cost), 0) AS mtd_usage,',
      '    coalesce(sum(is_credit_or_refund * cost), 0) AS mtd_credits_refunds,',
      '    coalesce(sum(is_tax * cost), 0) AS mtd_tax,',
      '    coalesce(sum(CASE WHEN is_usage = 1 AND usage_date >= month_start AND usage_date < complete_before THEN cost ELSE 0 END), 0) AS complete_usage,',
      '    max(CASE WHEN is_usage = 1 THEN usage_start END) AS latest_usage_hour,',
      "    CASE WHEN count(*) = 0 THEN NULL WHEN sum(has_net) = count(*) THEN 'net' WHEN sum(has_net) = 0 THEN 'gross' ELSE 'partly net' END AS cost_basis",
      '  FROM lines CROSS JOIN params',
      '),',
      'days AS (',
      "  SELECT greatest(date_diff('day', month_start, complete_before), 0) AS complete_days, complete_before, days_in_month FROM params",
      ')',
      `SELECT ${currentPeriod} AS ${BILLING_PERIOD_COLUMN},`,
      '  cost_basis,',
      '  mtd AS mtd_cost_usd,',
      '  mtd_usage AS mtd_usage_cost_usd,',
      '  mtd_credits_refunds AS mtd_credits_refunds_usd,',
      '  mtd_tax AS mtd_tax_usd,',
      `  ${budget} AS budget_usd,`,
      `  ${budget} - mtd AS remaining_usd,`,
      `  100 * mtd / ${budget} AS budget_used_pct,`,
      '  complete_days,',
      "  CASE WHEN complete_days > 0 THEN CAST(complete_before - INTERVAL '1' DAY AS DATE) END AS data_complete_through,",
      '  latest_usage_hour,',
      '  CASE WHEN complete_days > 0 THEN complete_usage / CAST(complete_days AS DOUBLE) END AS usage_run_rate_usd_per_day,',
      '  CASE WHEN complete_days > 0 THEN days_in_month * complete_usage / CAST(complete_days AS DOUBLE) END AS projected_month_end_usage_usd',
      'FROM totals CROSS JOIN days',
    ].join('\n'),
  });

  return queries;
}

// Plain decimal notation with enough digits for cents (the construct validates the value is positive and finite).
function formatNumber(value: number): string {
  return String(Number(value.toFixed(6)));
}
