import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  ATTRIBUTION_PERIODS, CostReportQuery, TOP_CUSTOMERS, costReportQueries, tagColumn, tagQueryId,
} from '../../../lib/cost-reporting/queries';
import { CurRow, WORKLOADS, createTableSql, generateCurRows, insertSql, periodBefore } from './cur-fixture';

const TAG_KEYS = ['Application', 'Feature', 'Team', 'Customer', 'Model'];
const BUDGET = 250;
const TABLE = 'cur';

let connection: DuckDBConnection;
let today: string;
let rows: CurRow[];
let queries: Map<string, CostReportQuery>;
const exercised = new Set<string>();

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  connection = await db.connect();
  // The engine's own date, so the month-to-date window and the generated periods agree.
  today = String((await run('SELECT CAST(current_date AS VARCHAR) AS d'))[0].d);
  rows = generateCurRows(today);
  await connection.run(createTableSql(TABLE));
  await connection.run(insertSql(TABLE, rows));
  queries = new Map(costReportQueries({ table: TABLE, tagKeys: TAG_KEYS, monthlyBudgetUsd: BUDGET }).map((q) => [q.id, q]));
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

function sums(selected: CurRow[], key: (r: CurRow) => string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const r of selected) totals.set(key(r), (totals.get(key(r)) ?? 0) + r.line_item_unblended_cost);
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
  });
});

describe.each(TAG_KEYS)('cost by %s', (tagKey) => {
  test('sums usage per tag value and billing period, untagged usage apart and no tax', async () => {
    const result = await runQuery(tagQueryId(tagKey));
    const expected = sums(rows.filter((r) => inWindow(r) && isUsage(r)), (r) => `${r.billing_period}|${tag(r, tagKey) ?? '(untagged)'}`);
    expectTotals(result, (row) => `${row.billing_period}|${row[tagColumn(tagKey)]}`, expected);
  });
});

describe('cost by IAM principal', () => {
  test('sums Bedrock usage per principal ARN', async () => {
    const result = await runQuery('cost-by-iam-principal');
    const expected = sums(rows.filter((r) => inWindow(r) && isUsage(r) && isBedrock(r)),
      (r) => `${r.billing_period}|${r.line_item_iam_principal || '(no principal)'}`);
    expectTotals(result, (row) => `${row.billing_period}|${row.iam_principal}`, expected);
  });

  test('sums every session of a role under the role name', async () => {
    const result = await runQuery('cost-by-principal-role');
    const name = (arn: string) => {
      const identity = arn.split(':')[5];
      const [kind, first] = identity.split('/');
      return kind === 'assumed-role' ? `role/${first}` : `user/${first}`;
    };
    const expected = sums(rows.filter((r) => inWindow(r) && isUsage(r) && isBedrock(r)),
      (r) => `${r.billing_period}|${name(r.line_item_iam_principal!)}`);
    expectTotals(result, (row) => `${row.billing_period}|${row.principal}`, expected);
    expect(result.map((row) => row.principal)).toContain('role/SupportBotRole');
  });

  test("sums Bedrock usage per combination of the principal's tags", async () => {
    const result = await runQuery('cost-by-principal-tags');
    const key = (values: string[]) => values.join('|');
    const expected = sums(rows.filter((r) => inWindow(r) && isUsage(r) && isBedrock(r)),
      (r) => key([r.billing_period, ...TAG_KEYS.map((k) => r.tags[`iamPrincipal/${k}`] ?? '(untagged)')]));
    expectTotals(result, (row) => key([row.billing_period, ...TAG_KEYS.map((k) => row[`principal_${tagColumn(k)}`])]), expected);
  });
});

describe('daily Bedrock spend by token type', () => {
  test('sums cost and quantity per day, billing entity and token type, Marketplace models included', async () => {
    const result = await runQuery('daily-bedrock-spend-by-token-type');
    const selected = rows.filter((r) => r.billing_period >= periodBefore(today, 1) && isUsage(r) && isBedrock(r));
    const key = (r: CurRow) => `${r.line_item_usage_start_date.slice(0, 10)}|${r.bill_billing_entity}|${tokenType(r.line_item_usage_type)}`;
    expectTotals(result, (row) => `${row.usage_date}|${row.billed_by}|${row.token_type}`, sums(selected, key));
    const quantities = new Map<string, number>();
    for (const r of selected) quantities.set(key(r), (quantities.get(key(r)) ?? 0) + r.line_item_usage_amount);
    expectTotals(result, (row) => `${row.usage_date}|${row.billed_by}|${row.token_type}`, quantities, 'usage_amount');
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
    const expected = sums(rows.filter((r) => r.billing_period === periodBefore(today, 0) && isUsage(r) && tag(r, 'Customer')),
      (r) => tag(r, 'Customer')!);
    expectTotals(result, (row) => row.customer, expected);
    const costs = result.map((row) => Number(row.cost_usd));
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    expect(result.length).toBeLessThanOrEqual(TOP_CUSTOMERS);
  });
});

describe('cost per 1,000 requests by feature', () => {
  test('divides Bedrock cost by input-token line items per feature', async () => {
    const result = await runQuery('cost-per-1000-requests-by-feature');
    const selected = rows.filter((r) => inWindow(r) && isUsage(r) && isBedrock(r));
    const key = (r: CurRow) => `${r.billing_period}|${tag(r, 'Feature') ?? '(untagged)'}`;
    const cost = sums(selected, key);
    const lines = sums(selected.map((r) => ({ ...r, line_item_unblended_cost: tokenType(r.line_item_usage_type) === 'input' ? 1 : 0 })), key);
    const rowKey = (row: Record<string, any>) => `${row.billing_period}|${row.feature}`;
    expectTotals(result, rowKey, cost);
    expectTotals(result, rowKey, lines, 'request_lines');
    expectTotals(result, rowKey, new Map([...cost].map(([k, c]) => [k, (1000 * c) / lines.get(k)!])), 'cost_per_1000_requests_usd');
  });
});

describe('month to date against budget', () => {
  test('totals every Bedrock line item this billing period, tax and credits included, against the budget', async () => {
    const [result] = await runQuery('month-to-date-vs-budget');
    const mtd = rows.filter((r) => r.billing_period === periodBefore(today, 0) && isBedrock(r))
      .reduce((s, r) => s + r.line_item_unblended_cost, 0);
    const [y, m, d] = today.split('-').map(Number);
    const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
    expect(result.billing_period).toBe(periodBefore(today, 0));
    expect(Number(result.mtd_cost_usd)).toBeCloseTo(mtd, 6);
    expect(Number(result.budget_usd)).toBe(BUDGET);
    expect(Number(result.remaining_usd)).toBeCloseTo(BUDGET - mtd, 6);
    expect(Number(result.budget_used_pct)).toBeCloseTo((100 * mtd) / BUDGET, 6);
    expect(Number(result.projected_month_end_usd)).toBeCloseTo((mtd * daysInMonth) / d, 6);
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
