/**
 * The tenant statement in the FinOps FOCUS 1.2 shape (https://focus.finops.org/focus-specification/v1-2/), so that
 * it loads into the tools FinOps teams already use: one charge row per month, tenant, feature and model, with the
 * token quantities in `x_` columns (FOCUS's prefix for columns of one's own). DuckDB SQL over the rows of
 * `statementSelect` (`genai-finops statement --focus`).
 *
 * What the columns mean here (a showback of the meter, not AWS's invoice):
 * - BilledCost, EffectiveCost, ListCost and ContractedCost are all the meter's cost: each call priced from Bedrock's
 *   usage at the catalog's list price, or at the workflow's `modelPrices` where set. Discounts, credits, Savings
 *   Plans and tax are the bill's (the CUR 2.0 reports); `genai-finops reconcile` measures the difference.
 * - The billing account is the application (the workflow's Application tag), the sub account the tenant.
 * - ChargePeriod and BillingPeriod are the calendar month (UTC), start inclusive, end exclusive, as UTC timestamps
 *   (TIMESTAMPTZ; Parquet's isAdjustedToUTC). Run the COPY with `SET TimeZone = 'UTC'`: CSV renders the session's zone.
 * - ListCost is the same figure as BilledCost: the meter record keeps the cost, not the price it was computed at, so
 *   a call priced at the workflow's `modelPrices` shows those prices in ListCost and ContractedCost as well.
 * - ConsumedQuantity and PricingQuantity are the tokens of all kinds (unit `Tokens`); each kind is in its x_ column.
 * - Refusals (model `none`) cost nothing and are left out; their count is in the statement.
 */

import { NO_MODEL } from '../contract/metrics';
import { literal } from './sql';

/** A FOCUS column: its name, the FOCUS data type, and whether FOCUS 1.2 requires it (Mandatory). */
export interface FocusColumn {
  readonly name: string;
  readonly focusType: 'Decimal' | 'DateTime' | 'String' | 'JSON';
  readonly mandatory: boolean;
  /** The DuckDB expression over a statement row. */
  readonly sql: string;
}

const decimal = (name: string, sql: string, mandatory = true): FocusColumn => ({ name, focusType: 'Decimal', mandatory, sql: `CAST(${sql} AS DECIMAL(38, 10))` });
const text = (name: string, sql: string, mandatory = true): FocusColumn => ({ name, focusType: 'String', mandatory, sql: `CAST(${sql} AS VARCHAR)` });
// FOCUS DateTime is UTC: a TIMESTAMPTZ read as UTC, so Parquet marks it isAdjustedToUTC and readers do not shift it
// by their own zone. (The writer sets TimeZone='UTC' too, for CSV, which renders a TIMESTAMPTZ in the session's zone.)
const time = (name: string, sql: string): FocusColumn => ({ name, focusType: 'DateTime', mandatory: true, sql: `(${sql} AT TIME ZONE 'UTC')` });

const MONTH_START = 'CAST(month || \'-01 00:00:00\' AS TIMESTAMP)';
const MONTH_END = `(${MONTH_START} + INTERVAL 1 MONTH)`;
const TOKENS = '(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens)';

// Bedrock model-id prefixes and the publisher each names (the company whose model it is).
const PUBLISHERS: Readonly<Record<string, string>> = {
  ai21: 'AI21 Labs', amazon: 'Amazon', anthropic: 'Anthropic', cohere: 'Cohere', deepseek: 'DeepSeek', google: 'Google',
  meta: 'Meta', minimax: 'MiniMax', mistral: 'Mistral AI', moonshot: 'Moonshot AI', openai: 'OpenAI', qwen: 'Qwen',
  stability: 'Stability AI', twelvelabs: 'TwelveLabs', writer: 'Writer',
};
const PUBLISHER = `CASE split_part(model, '.', 1) ${Object.entries(PUBLISHERS).map(([prefix, name]) => `WHEN '${prefix}' THEN '${name}'`).join(' ')} ELSE 'Amazon Web Services' END`;

/**
 * The FOCUS 1.2 columns written: every Mandatory column, the Conditional ones that apply (consumption, resource,
 * sub account, tags) and the x_ columns. RegionId is NULL: the meter does not record where a cross-Region profile
 * routed a call.
 */
export const FOCUS_COLUMNS: readonly FocusColumn[] = [
  decimal('BilledCost', 'cost_usd'),
  text('BillingAccountId', 'application'),
  text('BillingAccountName', 'application'),
  text('BillingAccountType', "'Application'"),
  text('BillingCurrency', "'USD'"),
  time('BillingPeriodEnd', MONTH_END),
  time('BillingPeriodStart', MONTH_START),
  text('ChargeCategory', "'Usage'"),
  text('ChargeClass', 'NULL'),
  text('ChargeDescription', '\'Amazon Bedrock \' || model || \' tokens for feature \' || feature || \' of tenant \' || tenant_id'),
  text('ChargeFrequency', "'Usage-Based'", false),
  time('ChargePeriodEnd', MONTH_END),
  time('ChargePeriodStart', MONTH_START),
  decimal('ConsumedQuantity', TOKENS, false),
  text('ConsumedUnit', "'Tokens'", false),
  decimal('ContractedCost', 'cost_usd'),
  decimal('EffectiveCost', 'cost_usd'),
  text('InvoiceIssuerName', "'Amazon Web Services'"),
  decimal('ListCost', 'cost_usd'),
  text('PricingCategory', "'Standard'", false),
  decimal('PricingQuantity', TOKENS),
  text('PricingUnit', "'Tokens'"),
  text('ProviderName', "'Amazon Web Services'"),
  text('PublisherName', PUBLISHER),
  text('RegionId', 'NULL', false),
  text('ResourceId', 'model', false),
  text('ResourceName', 'model', false),
  text('ResourceType', "'Bedrock model'", false),
  text('ServiceCategory', "'AI and Machine Learning'"),
  text('ServiceName', "'Amazon Bedrock'"),
  text('ServiceSubcategory', "'Generative AI'"),
  text('SubAccountId', 'tenant_id', false),
  text('SubAccountName', 'tenant_id', false),
  text('SubAccountType', "'Tenant'", false),
  { name: 'Tags', focusType: 'JSON', mandatory: false, sql: "json_object('Application', application, 'Feature', feature, 'TenantId', tenant_id)" },
  text('x_Application', 'application', false),
  text('x_Feature', 'feature', false),
  text('x_TenantId', 'tenant_id', false),
  text('x_Model', 'model', false),
  decimal('x_Requests', 'requests', false),
  decimal('x_InputTokens', 'input_tokens', false),
  decimal('x_OutputTokens', 'output_tokens', false),
  decimal('x_CacheReadTokens', 'cache_read_tokens', false),
  decimal('x_CacheWriteTokens', 'cache_write_tokens', false),
  decimal('x_SavedUSD', 'saved_usd', false),
];

/** The FOCUS rows of a statement query's rows (a subquery with the statement's columns), refusals left out. */
export function focusSelect(statementRows: string): string {
  return [
    'SELECT',
    FOCUS_COLUMNS.map((c) => `  ${c.sql} AS ${c.name}`).join(',\n'),
    `FROM (${statementRows}) AS statement`,
    `WHERE model <> ${literal(NO_MODEL)}`,
    'ORDER BY SubAccountId, BilledCost DESC, x_Feature, ResourceId',
  ].join('\n');
}
