import { GenAiTagKey } from '../../tagging/genai-tag-keys';
import { BILLING_PERIOD_COLUMN } from '../cur-schema';
import {
  CURRENT_PERIOD, IS_BEDROCK, IS_USAGE, TOKEN_TYPE, periodMonthsAgo, principalTag, resourceTag,
} from './sql';

/** What the report queries are rendered against. */
export interface CostReportQueryOptions {
  /** The table, qualified and quoted as the engine needs it, e.g. `"genai_finops_cost"."cur2"` or `cur`. */
  readonly table: string;
  /** The tag keys to break cost down by, one query each. */
  readonly tagKeys: readonly string[];
  /** The monthly Bedrock budget in USD that the month-to-date query compares against. */
  readonly monthlyBudgetUsd: number;
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
 * tests run exactly this text in DuckDB over CUR 2.0-shaped rows.
 */
export function costReportQueries(options: CostReportQueryOptions): CostReportQuery[] {
  const t = options.table;
  const since = `${BILLING_PERIOD_COLUMN} >= ${periodMonthsAgo(ATTRIBUTION_PERIODS - 1)}`;
  const cost = 'sum(line_item_unblended_cost)';
  const queries: CostReportQuery[] = [];

  for (const tagKey of options.tagKeys) {
    const column = tagColumn(tagKey);
    queries.push({
      id: tagQueryId(tagKey),
      name: `GenAI cost by ${tagKey}`,
      description: `Usage cost per ${tagKey} tag value and billing period (last ${ATTRIBUTION_PERIODS}); untagged usage as (untagged).`,
      sql: [
        `SELECT ${BILLING_PERIOD_COLUMN},`,
        `  coalesce(${resourceTag(tagKey)}, '(untagged)') AS ${column},`,
        `  ${cost} AS cost_usd`,
        `FROM ${t}`,
        `WHERE ${since} AND ${IS_USAGE}`,
        'GROUP BY 1, 2',
        `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, cost_usd DESC, ${column}`,
      ].join('\n'),
    });
  }

  const principal = "coalesce(nullif(line_item_iam_principal, ''), '(no principal)')";
  queries.push({
    id: 'cost-by-iam-principal',
    name: 'GenAI Bedrock cost by IAM principal',
    description: 'Bedrock usage cost per calling IAM user or role session (line_item_iam_principal) and billing period.',
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      `  ${principal} AS iam_principal,`,
      `  ${cost} AS cost_usd`,
      `FROM ${t}`,
      `WHERE ${since} AND ${IS_USAGE} AND ${IS_BEDROCK}`,
      'GROUP BY 1, 2',
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, cost_usd DESC, iam_principal`,
    ].join('\n'),
  });

  // arn:aws:sts::<account>:assumed-role/<role>/<session> and arn:aws:iam::<account>:user/<name>: the second
  // path segment is the role (every session of it together) or the user.
  const principalName = `CASE WHEN line_item_iam_principal LIKE '%:assumed-role/%' THEN 'role/' || split_part(line_item_iam_principal, '/', 2)`
    + ` WHEN line_item_iam_principal LIKE '%:user/%' THEN 'user/' || split_part(line_item_iam_principal, '/', 2)`
    + ` ELSE ${principal} END`;
  queries.push({
    id: 'cost-by-principal-role',
    name: 'GenAI Bedrock cost by principal role or user',
    description: 'Bedrock usage cost per IAM role (all its sessions together) or IAM user, derived from the principal ARN.',
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      `  ${principalName} AS principal,`,
      `  ${cost} AS cost_usd`,
      `FROM ${t}`,
      `WHERE ${since} AND ${IS_USAGE} AND ${IS_BEDROCK}`,
      'GROUP BY 1, 2',
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, cost_usd DESC, principal`,
    ].join('\n'),
  });

  queries.push({
    id: 'cost-by-principal-tags',
    name: 'GenAI Bedrock cost by IAM principal tags',
    description: `Bedrock usage cost per combination of the caller's IAM principal tags (iamPrincipal/${options.tagKeys.join(', iamPrincipal/')}); (untagged) where a tag is missing.`,
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      ...options.tagKeys.map((k) => `  coalesce(${principalTag(k)}, '(untagged)') AS principal_${tagColumn(k)},`),
      `  ${cost} AS cost_usd`,
      `FROM ${t}`,
      `WHERE ${since} AND ${IS_USAGE} AND ${IS_BEDROCK}`,
      `GROUP BY ${Array.from({ length: options.tagKeys.length + 1 }, (_, i) => i + 1).join(', ')}`,
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, cost_usd DESC, ${options.tagKeys.map((k) => `principal_${tagColumn(k)}`).join(', ')}`,
    ].join('\n'),
  });

  queries.push({
    id: 'daily-bedrock-spend-by-token-type',
    name: 'GenAI daily Bedrock spend by token type',
    description: 'Daily Bedrock usage cost and billed quantity per token type (input, output, cache-read, cache-write, other), '
      + 'first-party and AWS Marketplace models, this and last billing period.',
    sql: [
      'SELECT CAST(line_item_usage_start_date AS DATE) AS usage_date,',
      "  CASE WHEN bill_billing_entity = 'AWS Marketplace' THEN 'AWS Marketplace' ELSE 'AWS' END AS billed_by,",
      `  ${TOKEN_TYPE} AS token_type,`,
      '  sum(line_item_usage_amount) AS usage_amount,',
      `  ${cost} AS cost_usd`,
      `FROM ${t}`,
      `WHERE ${BILLING_PERIOD_COLUMN} >= ${periodMonthsAgo(1)} AND ${IS_USAGE} AND ${IS_BEDROCK}`,
      'GROUP BY 1, 2, 3',
      'ORDER BY usage_date, billed_by, token_type',
    ].join('\n'),
  });

  const customer = resourceTag(GenAiTagKey.CUSTOMER);
  queries.push({
    id: 'top-customers',
    name: 'GenAI top customers this month',
    description: `The ${TOP_CUSTOMERS} customers (Customer tag) with the highest usage cost in the current billing period; untagged usage is not a customer.`,
    sql: [
      `SELECT ${customer} AS customer,`,
      `  ${cost} AS cost_usd`,
      `FROM ${t}`,
      `WHERE ${BILLING_PERIOD_COLUMN} = ${CURRENT_PERIOD} AND ${IS_USAGE} AND ${customer} IS NOT NULL`,
      'GROUP BY 1',
      'ORDER BY cost_usd DESC, customer',
      `LIMIT ${TOP_CUSTOMERS}`,
    ].join('\n'),
  });

  const feature = resourceTag(GenAiTagKey.FEATURE);
  const requestLines = `sum(CASE WHEN ${TOKEN_TYPE} = 'input' THEN 1 ELSE 0 END)`;
  queries.push({
    id: 'cost-per-1000-requests-by-feature',
    name: 'GenAI Bedrock cost per 1,000 requests by Feature',
    description: 'Bedrock cost per Feature tag value and billing period, with cost per 1,000 requests approximated by '
      + 'input-token line items (CUR has no request count: one line is one hour of one resource for one principal, '
      + 'so the figure is an upper bound on the cost per request).',
    sql: [
      `SELECT ${BILLING_PERIOD_COLUMN},`,
      `  coalesce(${feature}, '(untagged)') AS feature,`,
      `  ${cost} AS cost_usd,`,
      `  ${requestLines} AS request_lines,`,
      `  CASE WHEN ${requestLines} > 0 THEN 1000 * ${cost} / CAST(${requestLines} AS DOUBLE) END AS cost_per_1000_requests_usd`,
      `FROM ${t}`,
      `WHERE ${since} AND ${IS_USAGE} AND ${IS_BEDROCK}`,
      'GROUP BY 1, 2',
      `ORDER BY ${BILLING_PERIOD_COLUMN} DESC, cost_usd DESC, feature`,
    ].join('\n'),
  });

  const budget = `CAST(${formatNumber(options.monthlyBudgetUsd)} AS DOUBLE)`;
  const mtd = `coalesce(${cost}, 0)`;
  const daysInMonth = "date_diff('day', date_trunc('month', current_date), date_trunc('month', current_date) + INTERVAL '1' MONTH)";
  queries.push({
    id: 'month-to-date-vs-budget',
    name: 'GenAI Bedrock month to date against budget',
    description: `Bedrock spend this billing period (every line item type: usage, tax, credits, refunds) against the ${formatNumber(options.monthlyBudgetUsd)} USD monthly budget, with a straight-line month-end projection.`,
    sql: [
      `SELECT ${CURRENT_PERIOD} AS ${BILLING_PERIOD_COLUMN},`,
      `  ${mtd} AS mtd_cost_usd,`,
      `  ${budget} AS budget_usd,`,
      `  ${budget} - ${mtd} AS remaining_usd,`,
      `  100 * ${mtd} / ${budget} AS budget_used_pct,`,
      `  ${mtd} * ${daysInMonth} / CAST(day(current_date) AS DOUBLE) AS projected_month_end_usd`,
      `FROM ${t}`,
      `WHERE ${BILLING_PERIOD_COLUMN} = ${CURRENT_PERIOD} AND ${IS_BEDROCK}`,
    ].join('\n'),
  });

  return queries;
}

// Plain decimal notation with enough digits for cents (the construct validates the value is positive and finite).
function formatNumber(value: number): string {
  return String(Number(value.toFixed(6)));
}
