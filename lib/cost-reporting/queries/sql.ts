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
