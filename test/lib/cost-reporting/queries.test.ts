import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  ATTRIBUTION_PERIODS, CostReportQuery, TOP_CUSTOMERS, costReportQueries, tagColumn, tagQueryId,
} from '../../../shared/queries';
import { CurRow, WORKLOADS, createTableSql, generateCurRows, insertSql, periodBefore } from './cur-fixture';

const TAG_KEYS = ['Application', 'Feature', 'Team', 'Customer', 'Model'];
const BUDGET = 250;
const TABLE = 'cur';
// A fixed clock: the generated usage lies on days 1 to 4 of each period, all complete by the 10th.
const TODAY = '2026-03-10';

let connection: DuckDBConnection;
let today: string;
let rows: CurRow[];
let queries: Map<string, CostReportQuery>;
const exercised = new Set<string>();

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  connection = await db.connect();
  today = TODAY;
  rows = generateCurRows(today);
  await connection.run(createTableSql(TABLE));
  await connection.run(insertSql(TABLE, rows));
  queries = new Map(costReportQueries({ table: TABLE, tagKeys: TAG_KEYS, monthlyBudgetUsd: BUDGET, today: `DATE '${TODAY}'` }).map((q) => [q.id, q]));
});

afterAll(() => {
  connection?.closeSync();
});

async function run(sql: string): Promise<Array<Record<string, any>>> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Array<Record<string, any>>;
}

async function runQuery(id: string): Promise<Array<Record<string, any>>> {
  const query = queries.get(id);
  if (!query) throw new Error(`no query ${id}`);
  exercised.add(id);
  return run(query.sql);
}

// The semantics the SQL must implement, written again in TypeScript over the same rows.
const USAGE = new Set(['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage']);
const isUsage = (r: CurRow) => USAGE.has(r.line_item_line_item_type);
const isBedrock = (r: CurRow) => ['AmazonBedrock', 'AmazonBedrockService'].includes(r.line_item_product_code)
  || (r.bill_billing_entity === 'AWS Marketplace' && (r.product.product_name ?? '').includes('(Amazon Bedrock Edition)'));
const inWindow = (r: CurRow) => r.billing_period >= periodBefore(today, ATTRIBUTION_PERIODS - 1);
const tag = (r: CurRow, key: string): string | undefined => r.resource_tags[`user_${key}`] ?? r.resource_tags[`user_${key.toLowerCase()}`];
function tokenType(usageType: string): string {
  const u = usageType.toLowerCase().replace(/[-_]/g, '');
  if (u.includes('cacheread')) return 'cache-read';
  if (u.includes('cachewrite')) return 'cache-write';
  if (u.includes('outputtoken')) return 'output';
  if (u.includes('inputtoken')) return 'input';
  return 'other';
}

// Net where the account has a negotiated discount, gross (unblended) where it has none; no commitment-covered rows here.
const cost = (r: CurRow) => r.line_item_net_unblended_cost ?? r.line_item_unblended_cost;
const isGenAiUsage = (r: CurRow) => isUsage(r) && isBedrock(r);

function sums(selected: CurRow[], key: (r: CurRow) => string, value: (r: CurRow) => number = cost): Map<string, number> {
  const totals = new Map<string, number>();
  for (const r of selected) totals.set(key(r), (totals.get(key(r)) ?? 0) + value(r));
  return totals;
}

function expectTotals(result: Array<Record<string, any>>, key: (row: Record<string, any>) => string, expected: Map<string, number>, value = 'cost_usd'): void {
  const actual = new Map(result.map((row) => [key(row), Number(row[value])]));
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [k, v] of expected) expect(actual.get(k)).toBeCloseTo(v, 6);
}

describe('the generated CUR data', () => {
  test('covers what the queries must tell apart', () => {
    const periods = new Set(rows.map((r) => r.billing_period));
    expect(periods.size).toBe(3);
    expect(rows.some((r) => r.line_item_line_item_type === 'Tax')).toBe(true);
    expect(rows.some((r) => isUsage(r) && Object.keys(r.resource_tags).length === 0)).toBe(true);
    expect(rows.some((r) => r.bill_billing_entity === 'AWS Marketplace' && isUsage(r))).toBe(true);
    expect(new Set(rows.map((r) => r.line_item_iam_principal)).size).toBeGreaterThan(3);
    expect(new Set(rows.map((r) => r.line_item_usage_account_id)).size).toBe(2);
    expect(rows.some((r) => r.line_item_net_unblended_cost === undefined) && rows.some((r) => r.line_item_net_unblended_cost !== undefined)).toBe(true);
    expect(rows.some((r) => isUsage(r) && !isBedrock(r) && Object.keys(r.resource_tags).length > 0)).toBe(true);
  });
});

describe.each(TAG_KEYS)('cost by %s', (tagKey) => {
  test('sums GenAI usage per account, tag value and billing period, untagged usage apart, no tax and no other service', async () => {
    const result = await runQuery(tagQueryId(tagKey));
    const expected = sums(rows.filter((r) => inWindow(r) && isGenAiUsage(r)),
      (r) => `${r.billing_period}|${r.line_item_usage_account_id}|${tag(r, tagKey) ?? '(untagged)'}`);
    expectTotals(result, (row) => `${row.billing_period}|${row.usage_account_id}|${row[tagColumn(tagKey)]}`, expected);
    expectTotals(result, (row) => `${row.billing_period}|${row.usage_account_id}|${row[tagColumn(tagKey)]}`,
      sums(rows.filter((r) => inWindow(r) && isGenAiUsage(r)),
        (r) => `${r.billing_period}|${r.line_item_usage_account_id}|${tag(r, tagKey) ?? '(untagged)'}`, (r) => r.line_item_unblended_cost), 'gross_cost_usd');
  });
});

describe('cost by IAM principal', () => {
  test('sums Bedrock usage per principal ARN', async () => {
    const result = await runQuery('cost-by-iam-principal');
    const expected = sums(rows.filter((r) => inWindow(r) && isGenAiUsage(r)),
      (r) => `${r.billing_period}|${r.line_item_usage_account_id}|${r.line_item_iam_principal || '(no principal)'}`);
    expectTotals(result, (row) => `${row.billing_period}|${row.usage_account_id}|${row.iam_principal}`, expected);
  });

  test('sums every session of a role under the role name', async () => {
    const result = await runQuery('cost-by-principal-role');
    const name = (arn: string) => {
      const identity = arn.split(':')[5];
      const [kind, ...rest] = identity.split('/');
      return kind === 'assumed-role' ? `role/${rest[0]}` : `user/${rest.join('/')}`;
    };
    const expected = sums(rows.filter((r) => inWindow(r) && isGenAiUsage(r)),
      (r) => `${r.billing_period}|${r.line_item_usage_account_id}|${name(r.line_item_iam_principal!)}`);
    expectTotals(result, (row) => `${row.billing_period}|${row.usage_account_id}|${row.principal}`, expected);
    expect(result.map((row) => row.principal)).toContain('role/SupportBotRole');
  });

  test("sums Bedrock usage per combination of the principal's tags", async () => {
    const result = await runQuery('cost-by-principal-tags');
    const key = (values: string[]) => values.join('|');
    const expected = sums(rows.filter((r) => inWindow(r) && isGenAiUsage(r)),
      (r) => key([r.billing_period, r.line_item_usage_account_id!, ...TAG_KEYS.map((k) => r.tags[`iamPrincipal/${k}`] ?? '(untagged)')]));
    expectTotals(result, (row) => key([row.billing_period, row.usage_account_id, ...TAG_KEYS.map((k) => row[`principal_${tagColumn(k)}`])]), expected);
  });
});

describe('daily Bedrock spend by token type', () => {
  test('sums cost and quantity per day, billing entity and token type, Marketplace models included', async () => {
    const result = await runQuery('daily-bedrock-spend-by-token-type');
    const selected = rows.filter((r) => r.billing_period >= periodBefore(today, 1) && isGenAiUsage(r));
    const key = (r: CurRow) => `${r.line_item_usage_start_date.slice(0, 10)}|${r.line_item_usage_account_id}|${r.bill_billing_entity}|${tokenType(r.line_item_usage_type)}`;
    const rowKey = (row: Record<string, any>) => `${row.usage_date}|${row.usage_account_id}|${row.billed_by}|${row.token_type}`;
    expectTotals(result, rowKey, sums(selected, key));
    expectTotals(result, rowKey, sums(selected, key, (r) => r.line_item_usage_amount), 'usage_amount');
  });

  test('classifies every Marketplace and first-party token type', async () => {
    const result = await runQuery('daily-bedrock-spend-by-token-type');
    const seen = new Set(result.map((row) => `${row.billed_by}|${row.token_type}`));
    for (const t of ['input', 'output', 'cache-read', 'cache-write']) {
      expect(seen).toContain(`AWS|${t}`);
      expect(seen).toContain(`AWS Marketplace|${t}`);
    }
    expect(seen).not.toContain('AWS Marketplace|other');
  });
});

describe('top customers', () => {
  test('ranks tagged customers by usage cost this billing period', async () => {
    const result = await runQuery('top-customers');
    const expected = sums(rows.filter((r) => r.billing_period === periodBefore(today, 0) && isGenAiUsage(r) && tag(r, 'Customer')),
      (r) => tag(r, 'Customer')!);
    expectTotals(result, (row) => row.customer, expected);
    const costs = result.map((row) => Number(row.cost_usd));
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    expect(result.length).toBeLessThanOrEqual(TOP_CUSTOMERS);
  });
});

describe('cost by account', () => {
  test('sums every Bedrock line item per account and period: usage, credits and refunds, tax', async () => {
    const result = await runQuery('cost-by-account');
    const selected = rows.filter((r) => inWindow(r) && isBedrock(r));
    const key = (r: CurRow) => `${r.billing_period}|${r.line_item_usage_account_id}`;
    const rowKey = (row: Record<string, any>) => `${row.billing_period}|${row.usage_account_id}`;
    expectTotals(result, rowKey, sums(selected, key));
    expectTotals(result, rowKey, sums(selected.filter(isUsage), key), 'usage_cost_usd');
    expectTotals(result, rowKey, sums(selected, key, (r) => r.line_item_unblended_cost), 'gross_cost_usd');
    expect(new Map(result.map((row) => [row.usage_account_id, row.cost_basis]))).toEqual(new Map([['111122223333', 'net'], ['444455556666', 'gross']]));
  });
});

describe('month to date against budget', () => {
  test('totals every Bedrock line item this billing period, tax and credits included, and projects usage alone', async () => {
    const [result] = await runQuery('month-to-date-vs-budget');
    const current = rows.filter((r) => r.billing_period === periodBefore(today, 0) && isBedrock(r));
    const mtd = current.reduce((s, r) => s + cost(r), 0);
    // Today is the 10th: the 1st to the 8th would be complete, but the generated usage lies on the 1st to the 4th, so
    // the newest usage line's day is still arriving as far as the query can tell: complete days end before it.
    const dayOf = (r: CurRow) => Number(String(r.line_item_usage_start_date).slice(8, 10));
    const completeBefore = Math.min(9, Math.max(...current.filter(isUsage).map(dayOf)));
    const completeDays = completeBefore - 1;
    const usage = current.filter((r) => isUsage(r) && dayOf(r) < completeBefore).reduce((s, r) => s + cost(r), 0);
    expect(completeDays).toBeGreaterThan(0);
    expect(result.billing_period).toBe(periodBefore(today, 0));
    expect(Number(result.mtd_cost_usd)).toBeCloseTo(mtd, 6);
    expect(Number(result.budget_usd)).toBe(BUDGET);
    expect(Number(result.remaining_usd)).toBeCloseTo(BUDGET - mtd, 6);
    expect(Number(result.budget_used_pct)).toBeCloseTo((100 * mtd) / BUDGET, 6);
    expect(Number(result.complete_days)).toBe(completeDays);
    expect(Number(result.projected_month_end_usage_usd)).toBeCloseTo((usage * 31) / completeDays, 6);
  });
});

describe('the query set', () => {
  test('every query ran against the data above', () => {
    // jest runs the describe blocks in order; this one is last
    expect([...exercised].sort()).toEqual([...queries.keys()].sort());
  });

  test('the Marketplace workload is not AmazonBedrock by product code', () => {
    const marketplace = WORKLOADS.find((w) => w.billedBy === 'AWS Marketplace')!;
    expect(marketplace.productCode).not.toMatch(/Bedrock/);
  });
});
