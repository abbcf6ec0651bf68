/**
 * SQL fragments in the dialect Athena (Trino) and DuckDB share. Each one was chosen because the obvious spelling
 * differs between the two engines:
 *
 * - map lookup: Trino's `m['k']` fails on a missing key and DuckDB's `element_at` returns a list, so a lookup is
 *   `CASE WHEN contains(map_keys(m), 'k') THEN m['k'] END` (NULL when absent, in both);
 * - division: Trino divides integers as integers, so every ratio casts to DOUBLE first;
 * - months: `date_format` is Trino only and `strftime` DuckDB only; `substr(CAST(d AS VARCHAR), 1, 7)` gives
 *   `YYYY-MM` in both, which is also the partition value's format.
 */

/** A SQL string literal. Values come from validated props; quotes are doubled anyway. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The value of one map key, NULL when the key is absent (see above). */
export function mapValue(column: string, key: string): string {
  return `CASE WHEN contains(map_keys(${column}), ${literal(key)}) THEN ${column}[${literal(key)}] END`;
}

/**
 * The keys a cost allocation tag may have in CUR 2.0's `resource_tags`: `user_` and the tag key as written, then
 * the lower-case, underscore-separated spelling CUR uses for column-safe names. Looking up both costs nothing and
 * keeps the reports right whichever spelling the export delivers.
 */
export function resourceTagKeys(tagKey: string): string[] {
  const exact = `user_${tagKey}`;
  const normalised = `user_${tagKey.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  return exact === normalised ? [exact] : [exact, normalised];
}

/** A cost allocation tag's value on a line item (NULL when untagged). */
export function resourceTag(tagKey: string): string {
  const lookups = resourceTagKeys(tagKey).map((k) => mapValue('resource_tags', k));
  return lookups.length === 1 ? lookups[0] : `coalesce(${lookups.join(', ')})`;
}

/**
 * An IAM principal tag's value: CUR 2.0 puts the tags of the calling user or role in the `tags` column under
 * `iamPrincipal/<key>` once they are activated as cost allocation tags.
 */
export function principalTag(tagKey: string): string {
  return mapValue('tags', `iamPrincipal/${tagKey}`);
}

/** Line item types that are usage, the only ones attributed to tags, principals and customers. */
export const USAGE_LINE_ITEM_TYPES = ['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage'] as const;

/** True for usage line items (Tax, Credit, Refund, Fee and the like are never attributed). */
export const IS_USAGE = `line_item_line_item_type IN (${USAGE_LINE_ITEM_TYPES.map(literal).join(', ')})`;

/** Product codes of first-party Bedrock usage. */
export const BEDROCK_PRODUCT_CODES = ['AmazonBedrock', 'AmazonBedrockService'] as const;

/** The suffix AWS Marketplace gives the product name of a model sold through Bedrock. */
export const MARKETPLACE_BEDROCK_PRODUCT_NAME = '%(Amazon Bedrock Edition)%';

/**
 * True for Bedrock line items: first-party models by product code (or service code), and models sold through
 * AWS Marketplace (Anthropic's, for one), whose product code is a Marketplace product id, by the billing entity and
 * the "(Amazon Bedrock Edition)" product name.
 */
export const IS_BEDROCK = `(line_item_product_code IN (${BEDROCK_PRODUCT_CODES.map(literal).join(', ')})`
  + ` OR product_servicecode IN (${BEDROCK_PRODUCT_CODES.map(literal).join(', ')})`
  + ` OR (bill_billing_entity = 'AWS Marketplace' AND ${mapValue('product', 'product_name')} LIKE ${literal(MARKETPLACE_BEDROCK_PRODUCT_NAME)}))`;

/**
 * Usage-type substrings per token type, matched on the lower-cased usage type in this order (cache reads and writes
 * first: their usage types also contain "input-token"). First-party: `USE1-NovaLite-input-tokens`,
 * `...-output-tokens`, `...-cache-read-input-token-count`, `...-cache-write-input-token-count` (and the
 * `-mantle-` variants). Marketplace: `USE1-MP:USE1_InputTokenCount-Units`, `..._OutputTokenCount-Units`,
 * `..._CacheReadInputTokenCount-Units`, `..._CacheWriteInputTokenCount-Units`.
 */
export const TOKEN_TYPE_PATTERNS: ReadonlyArray<{ readonly tokenType: string; readonly patterns: readonly string[] }> = [
  { tokenType: 'cache-read', patterns: ['%cache-read%', '%cacheread%'] },
  { tokenType: 'cache-write', patterns: ['%cache-write%', '%cachewrite%'] },
  { tokenType: 'output', patterns: ['%output-token%', '%outputtoken%'] },
  { tokenType: 'input', patterns: ['%input-token%', '%inputtoken%'] },
];

/** The token type of a Bedrock line item ('other' for images, guardrail units and the rest). */
export const TOKEN_TYPE = `CASE ${TOKEN_TYPE_PATTERNS.map(({ tokenType, patterns }) =>
  `WHEN ${patterns.map((p) => `lower(line_item_usage_type) LIKE ${literal(p)}`).join(' OR ')} THEN ${literal(tokenType)}`,
).join(' ')} ELSE 'other' END`;

/** The current billing period, `YYYY-MM` (the partition value of the month to date). */
export const CURRENT_PERIOD = 'substr(CAST(current_date AS VARCHAR), 1, 7)';

/** The billing period `months` months before the current one, `YYYY-MM`. */
export function periodMonthsAgo(months: number): string {
  return `substr(CAST(current_date - INTERVAL '${months}' MONTH AS VARCHAR), 1, 7)`;
}

/** The billing period (`YYYY-MM`) of a SQL date expression. */
export function periodOf(date: string): string {
  return `substr(CAST(${date} AS VARCHAR), 1, 7)`;
}

/** The billing period `months` months before a SQL date expression, `YYYY-MM`. */
export function periodMonthsBefore(date: string, months: number): string {
  return periodOf(`${date} - INTERVAL '${months}' MONTH`);
}

/** Line item types of credits and refunds: after-the-fact adjustments, never part of a usage run rate. */
export const CREDIT_LINE_ITEM_TYPES = ['Credit', 'Refund'] as const;

/** True for credit and refund line items. */
export const IS_CREDIT_OR_REFUND = `line_item_line_item_type IN (${CREDIT_LINE_ITEM_TYPES.map(literal).join(', ')})`;

/**
 * What one line item cost, the figure every report sums:
 *
 * - usage a Savings Plan covered (`SavingsPlanCoveredUsage`) at its effective cost: its unblended cost is the
 *   on-demand value, which a `SavingsPlanNegation` line cancels; the negation therefore counts 0 here;
 * - usage a reservation covered (`DiscountedUsage`) at the reservation's effective cost;
 * - everything else at its net unblended cost (after negotiated discounts: EDP, private pricing), or its unblended
 *   (gross) cost where the export has no net figure: CUR 2.0 fills the net columns only "when your account has a
 *   discount in the applicable billing period" (Data Exports user guide, CUR 2.0 line item and Savings Plans
 *   columns, table-dictionary-cur2-line-item.html).
 */
export const LINE_COST = 'CASE line_item_line_item_type'
  + " WHEN 'SavingsPlanCoveredUsage' THEN coalesce(savings_plan_net_savings_plan_effective_cost, savings_plan_savings_plan_effective_cost)"
  + " WHEN 'DiscountedUsage' THEN coalesce(reservation_net_effective_cost, reservation_effective_cost)"
  + " WHEN 'SavingsPlanNegation' THEN 0"
  + ' ELSE coalesce(line_item_net_unblended_cost, line_item_unblended_cost) END';

/** What one line item cost before any discount or commitment (unblended; covered usage at its on-demand value). */
export const GROSS_LINE_COST = "CASE WHEN line_item_line_item_type = 'SavingsPlanNegation' THEN 0 ELSE line_item_unblended_cost END";

/** True when {@link LINE_COST} found a net (after negotiated discounts) figure for the line item. */
export const HAS_NET_COST = 'CASE line_item_line_item_type'
  + " WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_net_savings_plan_effective_cost"
  + " WHEN 'DiscountedUsage' THEN reservation_net_effective_cost"
  + ' ELSE line_item_net_unblended_cost END IS NOT NULL';

/**
 * An aggregate saying what a group's summed {@link LINE_COST} means: `'net'` when every line item had a net figure,
 * `'gross'` when none had (the account has no negotiated discount in the period), `'partly net'` otherwise.
 */
export const COST_BASIS = `CASE WHEN sum(CASE WHEN ${HAS_NET_COST} THEN 1 ELSE 0 END) = count(*) THEN 'net'`
  + ` WHEN sum(CASE WHEN ${HAS_NET_COST} THEN 1 ELSE 0 END) = 0 THEN 'gross' ELSE 'partly net' END`;

/**
 * A principal ARN reduced to who called, kept whole: an assumed role's sessions together under `role/<name>` (an
 * assumed-role ARN carries no path), an IAM user as `user/<path>/<name>`, so users of the same name under different
 * paths stay apart; anything else as the ARN itself. NULL and '' become `(no principal)`.
 */
export const PRINCIPAL_NAME = "CASE WHEN line_item_iam_principal LIKE '%:assumed-role/%' THEN 'role/' || split_part(line_item_iam_principal, '/', 2)"
  + " WHEN line_item_iam_principal LIKE '%:user/%' THEN 'user/' || substr(line_item_iam_principal, strpos(line_item_iam_principal, ':user/') + 6)"
  + " ELSE coalesce(nullif(line_item_iam_principal, ''), '(no principal)') END";
