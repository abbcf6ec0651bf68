/**
 * The CUR 2.0 columns the cost reports read: the export selects exactly these, the Glue table declares them and the
 * tests build their DuckDB table from them, so the three cannot drift apart.
 *
 * Names and types follow the CUR 2.0 table dictionary (Data Exports user guide).
 */
export interface CurColumn {
  /** The CUR 2.0 column name. */
  readonly name: string;
  /** The Glue (Hive) type. */
  readonly type: 'string' | 'double' | 'timestamp' | 'map<string,string>';
  /** What the reports use it for. */
  readonly comment: string;
}

/** The columns selected from `COST_AND_USAGE_REPORT`, in export order. */
export const CUR_COLUMNS: readonly CurColumn[] = [
  { name: 'bill_billing_period_start_date', type: 'timestamp', comment: 'Start of the billing period (month).' },
  { name: 'bill_billing_entity', type: 'string', comment: "'AWS' or 'AWS Marketplace' (Marketplace-billed models)." },
  { name: 'line_item_usage_start_date', type: 'timestamp', comment: 'Start of the usage hour; the daily report truncates it.' },
  { name: 'line_item_line_item_type', type: 'string', comment: 'Usage, Tax, Credit, Refund, ...; only usage is attributed.' },
  { name: 'line_item_product_code', type: 'string', comment: 'AmazonBedrock for first-party models.' },
  { name: 'line_item_usage_type', type: 'string', comment: 'Model and token type, e.g. USE1-NovaLite-input-tokens.' },
  { name: 'line_item_operation', type: 'string', comment: 'The API operation billed.' },
  { name: 'line_item_resource_id', type: 'string', comment: 'The inference profile or model ARN (INCLUDE_RESOURCES).' },
  { name: 'line_item_usage_amount', type: 'double', comment: 'Usage in the usage type\'s unit (tokens, as billed).' },
  { name: 'line_item_unblended_cost', type: 'double', comment: 'Cost in USD before discounts (gross; covered usage at on-demand value).' },
  { name: 'line_item_net_unblended_cost', type: 'double', comment: 'Cost after negotiated discounts (EDP, private pricing); empty unless the account has a discount that period.' },
  { name: 'pricing_public_on_demand_cost', type: 'double', comment: 'The usage at public on-demand prices.' },
  { name: 'savings_plan_savings_plan_effective_cost', type: 'double', comment: 'Effective cost of Savings-Plan-covered usage.' },
  { name: 'savings_plan_net_savings_plan_effective_cost', type: 'double', comment: 'The same after negotiated discounts; empty without one.' },
  { name: 'reservation_effective_cost', type: 'double', comment: 'Effective cost of reservation-covered usage (DiscountedUsage).' },
  { name: 'reservation_net_effective_cost', type: 'double', comment: 'The same after negotiated discounts; empty without one.' },
  { name: 'line_item_usage_account_id', type: 'string', comment: 'The account that used the line item (a member account in an organization).' },
  { name: 'line_item_usage_account_name', type: 'string', comment: "That account's name." },
  { name: 'line_item_legal_entity', type: 'string', comment: 'The seller of record (a model provider for Marketplace rows).' },
  { name: 'line_item_iam_principal', type: 'string', comment: 'The caller ARN (INCLUDE_IAM_PRINCIPAL_DATA).' },
  { name: 'product_servicecode', type: 'string', comment: 'The service code of the product.' },
  { name: 'product', type: 'map<string,string>', comment: 'Other product attributes; product_name names Marketplace models.' },
  { name: 'resource_tags', type: 'map<string,string>', comment: 'Activated cost allocation tags, keys prefixed user_.' },
  { name: 'tags', type: 'map<string,string>', comment: 'All tags, IAM principal tags prefixed iamPrincipal/.' },
];

/** The partition column Data Exports writes as `BILLING_PERIOD=YYYY-MM` folders; Glue projects it. */
export const BILLING_PERIOD_COLUMN = 'billing_period';

/** The export's SQL: the columns above, nothing else, from the CUR 2.0 table. */
export function exportQueryStatement(): string {
  return `SELECT ${CUR_COLUMNS.map((c) => c.name).join(', ')} FROM COST_AND_USAGE_REPORT`;
}
