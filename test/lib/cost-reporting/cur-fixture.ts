import { CUR_COLUMNS, BILLING_PERIOD_COLUMN } from '../../../shared/queries/cur-schema';

/** One CUR 2.0 line item, with the columns the reports select. */
export interface CurRow {
  bill_billing_period_start_date: string; // 'YYYY-MM-01 00:00:00'
  bill_billing_entity: string;
  line_item_usage_start_date: string; // 'YYYY-MM-DD HH:00:00'
  line_item_line_item_type: string;
  line_item_product_code: string;
  line_item_usage_type: string;
  line_item_operation: string;
  line_item_resource_id: string;
  line_item_usage_amount: number;
  line_item_unblended_cost: number;
  /** Present only when the account has a negotiated discount in the period (CUR 2.0 leaves it empty otherwise). */
  line_item_net_unblended_cost?: number;
  pricing_public_on_demand_cost?: number;
  savings_plan_savings_plan_effective_cost?: number;
  savings_plan_net_savings_plan_effective_cost?: number;
  reservation_effective_cost?: number;
  reservation_net_effective_cost?: number;
  line_item_usage_account_id?: string;
  line_item_usage_account_name?: string;
  line_item_legal_entity: string;
  line_item_iam_principal: string | null;
  product_servicecode: string;
  product: Record<string, string>;
  resource_tags: Record<string, string>;
  tags: Record<string, string>;
  billing_period: string; // 'YYYY-MM'
}

/** Which kind of row a generated line is, so the test can compute what each query must return. */
export interface Workload {
  readonly name: string;
  readonly billedBy: 'AWS' | 'AWS Marketplace';
  readonly productCode: string;
  readonly productName?: string;
  readonly legalEntity: string;
  /** usage type per token type */
  readonly usageTypes: Readonly<Record<string, string>>;
  readonly resourceTags: Readonly<Record<string, string>>;
  readonly principal: string | null;
  readonly principalTags: Readonly<Record<string, string>>;
  /** The usage account; the default one has a negotiated discount (net figures), the other none. */
  readonly account?: string;
}

const ACCOUNT = '111122223333';
/** A second account of the organization, without a negotiated discount: CUR leaves its net columns empty. */
export const UNDISCOUNTED_ACCOUNT = '444455556666';
/** The share of the gross cost the default account pays after its negotiated discount. */
export const NET_SHARE = 0.9;
const ROLE_SUPPORT = `arn:aws:sts::${ACCOUNT}:assumed-role/SupportBotRole`;

/** Bedrock and non-Bedrock workloads as CUR 2.0 shows them. */
export const WORKLOADS: readonly Workload[] = [
  {
    name: 'nova-chat', billedBy: 'AWS', productCode: 'AmazonBedrock', legalEntity: 'Amazon Web Services, Inc.',
    usageTypes: {
      'input': 'USE1-NovaLite-input-tokens', 'output': 'USE1-NovaLite-output-tokens',
      'cache-read': 'USE1-NovaLite-cache-read-input-token-count', 'cache-write': 'USE1-NovaLite-cache-write-input-token-count',
    },
    resourceTags: { user_Application: 'support-bot', user_Feature: 'chat', user_Team: 'cx', user_Customer: 'acme', user_Model: 'nova-lite' },
    principal: `${ROLE_SUPPORT}/session-1`, principalTags: { 'iamPrincipal/Team': 'cx', 'iamPrincipal/Application': 'support-bot' },
  },
  {
    // Claude sold through AWS Marketplace: a Marketplace product code, the model provider as seller of record.
    name: 'claude-marketplace', billedBy: 'AWS Marketplace', productCode: '3pt6mkfx9v0qzs1n8s3ckkkb2',
    productName: 'Claude 3.5 Sonnet (Amazon Bedrock Edition)', legalEntity: 'Anthropic, PBC',
    usageTypes: {
      'input': 'USE1-MP:USE1_InputTokenCount-Units', 'output': 'USE1-MP:USE1_OutputTokenCount-Units',
      'cache-read': 'USE1-MP:USE1_CacheReadInputTokenCount-Units', 'cache-write': 'USE1-MP:USE1_CacheWriteInputTokenCount-Units',
    },
    // lower-case keys: the spelling CUR uses for column-safe names
    resourceTags: { user_application: 'support-bot', user_feature: 'summarize', user_team: 'cx', user_customer: 'globex', user_model: 'claude-3-5-sonnet' },
    principal: `${ROLE_SUPPORT}/session-2`, principalTags: { 'iamPrincipal/Team': 'cx' },
  },
  {
    name: 'claude-first-party', billedBy: 'AWS', productCode: 'AmazonBedrockService', legalEntity: 'Amazon Web Services, Inc.',
    usageTypes: { input: 'USE1-Claude4.6Sonnet-input-tokens', output: 'USE1-Claude4.6Sonnet-output-tokens' },
    resourceTags: { user_Application: 'docs-qa', user_Feature: 'answer', user_Team: 'search', user_Customer: 'globex', user_Model: 'claude-sonnet-4-6' },
    principal: `arn:aws:sts::${UNDISCOUNTED_ACCOUNT}:assumed-role/DocsQaRole/lambda-1`, principalTags: { 'iamPrincipal/Team': 'search' },
    account: UNDISCOUNTED_ACCOUNT,
  },
  {
    name: 'titan-embeddings', billedBy: 'AWS', productCode: 'AmazonBedrock', legalEntity: 'Amazon Web Services, Inc.',
    usageTypes: { input: 'USE1-TitanEmbeddingsV2-Text-input-tokens' },
    resourceTags: { user_Application: 'docs-qa', user_Feature: 'search', user_Team: 'search', user_Customer: 'initech' },
    principal: `arn:aws:iam::${ACCOUNT}:user/alice`, principalTags: {},
  },
  {
    name: 'untagged-bedrock', billedBy: 'AWS', productCode: 'AmazonBedrock', legalEntity: 'Amazon Web Services, Inc.',
    usageTypes: { input: 'USE1-NovaPro-input-tokens', output: 'USE1-NovaPro-output-tokens' },
    resourceTags: {}, principal: `arn:aws:iam::${UNDISCOUNTED_ACCOUNT}:user/bob`, principalTags: {}, account: UNDISCOUNTED_ACCOUNT,
  },
  {
    name: 'lambda', billedBy: 'AWS', productCode: 'AWSLambda', legalEntity: 'Amazon Web Services, Inc.',
    usageTypes: { compute: 'USE1-Lambda-GB-Second' },
    resourceTags: { user_Application: 'support-bot', user_Feature: 'chat', user_Team: 'cx' }, principal: null, principalTags: {},
  },
];

/** A deterministic pseudo-random sequence (LCG), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `YYYY-MM` of the month `monthsAgo` before `today` ('YYYY-MM-DD'). */
export function periodBefore(today: string, monthsAgo: number): string {
  const [y, m] = today.split('-').map(Number);
  const index = y * 12 + (m - 1) - monthsAgo;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/**
 * CUR 2.0 rows for the current and previous billing period (four days each, every workload and token type),
 * a billing period outside the reports' window, and per period a Bedrock tax line, a Marketplace tax line and a credit.
 */
export function generateCurRows(today: string, seed = 9): CurRow[] {
  const random = seededRandom(seed);
  const money = (max: number) => Math.round(random() * max * 1e6) / 1e6;
  const rows: CurRow[] = [];
  const periods = [periodBefore(today, 0), periodBefore(today, 1), periodBefore(today, 5)];
  for (const period of periods) {
    const days = period === periods[2] ? 1 : 4;
    for (let day = 1; day <= days; day++) {
      for (const w of WORKLOADS) {
        for (const [tokenType, usageType] of Object.entries(w.usageTypes)) {
          for (const hour of [9, 15]) {
            rows.push(row(period, day, hour, {
              bill_billing_entity: w.billedBy, line_item_line_item_type: 'Usage', line_item_product_code: w.productCode,
              line_item_usage_type: usageType, line_item_operation: tokenType === 'compute' ? 'Invoke' : 'InvokeModelInference',
              line_item_resource_id: `arn:aws:bedrock:us-east-1:${ACCOUNT}:application-inference-profile/${w.name}`,
              line_item_usage_amount: Math.round(random() * 5000) / 1000,
              ...costs(money(3), w.account ?? ACCOUNT),
              line_item_legal_entity: w.legalEntity, line_item_iam_principal: w.principal,
              product_servicecode: w.productCode, product: w.productName ? { product_name: w.productName } : {},
              resource_tags: { ...w.resourceTags }, tags: { ...w.principalTags },
            }));
          }
        }
      }
    }
    const monthly = { ...accountOf(ACCOUNT), line_item_usage_amount: 0, line_item_iam_principal: null, line_item_resource_id: '', tags: {}, resource_tags: {} };
    rows.push(row(period, 1, 0, {
      ...monthly, bill_billing_entity: 'AWS', line_item_line_item_type: 'Tax', line_item_product_code: 'AmazonBedrock',
      line_item_usage_type: '', line_item_operation: '', ...costs(money(10), ACCOUNT),
      line_item_legal_entity: 'Amazon Web Services, Inc.', product_servicecode: 'AmazonBedrock', product: {},
    }));
    rows.push(row(period, 1, 0, {
      ...monthly, bill_billing_entity: 'AWS Marketplace', line_item_line_item_type: 'Tax', line_item_product_code: WORKLOADS[1].productCode,
      line_item_usage_type: '', line_item_operation: '', ...costs(money(5), ACCOUNT),
      line_item_legal_entity: 'Anthropic, PBC', product_servicecode: WORKLOADS[1].productCode, product: { product_name: WORKLOADS[1].productName! },
    }));
    rows.push(row(period, 2, 0, {
      ...monthly, bill_billing_entity: 'AWS', line_item_line_item_type: 'Credit', line_item_product_code: 'AmazonBedrock',
      line_item_usage_type: 'USE1-NovaLite-input-tokens', line_item_operation: 'InvokeModelInference', ...costs(-money(2), ACCOUNT),
      line_item_legal_entity: 'Amazon Web Services, Inc.', product_servicecode: 'AmazonBedrock', product: {},
    }));
  }
  return rows;
}

function accountOf(account: string): Pick<CurRow, 'line_item_usage_account_id' | 'line_item_usage_account_name'> {
  return { line_item_usage_account_id: account, line_item_usage_account_name: account === ACCOUNT ? 'genai-prod' : 'genai-dev' };
}

// Gross (unblended) cost, and the net cost where the account has a negotiated discount.
function costs(gross: number, account: string): Pick<CurRow, 'line_item_unblended_cost' | 'line_item_net_unblended_cost' | 'line_item_usage_account_id' | 'line_item_usage_account_name'> {
  const net = account === ACCOUNT ? Math.round(gross * NET_SHARE * 1e6) / 1e6 : undefined;
  return { line_item_unblended_cost: gross, line_item_net_unblended_cost: net, ...accountOf(account) };
}

function row(period: string, day: number, hour: number, fields: Omit<CurRow, 'bill_billing_period_start_date' | 'line_item_usage_start_date' | 'billing_period'>): CurRow {
  return {
    ...fields,
    bill_billing_period_start_date: `${period}-01 00:00:00`,
    line_item_usage_start_date: `${period}-${String(day).padStart(2, '0')} ${String(hour).padStart(2, '0')}:00:00`,
    billing_period: period,
  };
}

const DUCKDB_TYPES: Record<string, string> = {
  'string': 'VARCHAR', 'double': 'DOUBLE', 'timestamp': 'TIMESTAMP', 'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
};

/** DDL for a DuckDB table with the Glue table's columns (and its partition column). */
export function createTableSql(table: string): string {
  const columns = CUR_COLUMNS.map((c) => `${c.name} ${DUCKDB_TYPES[c.type]}`);
  return `CREATE TABLE ${table} (${[...columns, `${BILLING_PERIOD_COLUMN} VARCHAR`].join(', ')})`;
}

/** INSERT statements for rows. */
export function insertSql(table: string, rows: readonly CurRow[]): string {
  const names = [...CUR_COLUMNS.map((c) => c.name), BILLING_PERIOD_COLUMN];
  const types = [...CUR_COLUMNS.map((c) => c.type), 'string'];
  const values = rows.map((r) => `(${names.map((n, i) => sqlValue((r as any)[n], types[i])).join(', ')})`);
  return `INSERT INTO ${table} (${names.join(', ')}) VALUES ${values.join(',\n')}`;
}

function sqlValue(value: unknown, type: string): string {
  if (value === null || value === undefined) return 'NULL';
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  switch (type) {
    case 'double': return `CAST(${value} AS DOUBLE)`;
    case 'timestamp': return `TIMESTAMP ${quote(String(value))}`;
    case 'map<string,string>': {
      const entries = Object.entries(value as Record<string, string>);
      return entries.length === 0
        ? 'CAST(MAP {} AS MAP(VARCHAR, VARCHAR))'
        : `MAP {${entries.map(([k, v]) => `${quote(k)}: ${quote(v)}`).join(', ')}}`;
    }
    default: return quote(String(value));
  }
}
