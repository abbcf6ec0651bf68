import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { costReportQueries } from '../../../shared/queries';
import { GROSS_LINE_COST, LINE_COST } from '../../../shared/queries/sql';
import { CurRow, createTableSql, insertSql } from './cur-fixture';

// A small CUR 2.0 month written out line by line, and every report's figures worked out by hand below. The clock is
// fixed: today is 2026-03-10, so the current billing period is 2026-03, the attribution window 2026-01..2026-03, and
// the complete days of the month are the 1st to the 8th (today is in progress, yesterday's charges still arrive).
const TODAY = "DATE '2026-03-10'";
const BUDGET = 500;
const TAG_KEYS = ['Application', 'Feature', 'Team', 'Customer', 'Model'];

// Two accounts of one organization: prod has a negotiated discount (EDP), so CUR fills its net columns; dev has
// none, so its net columns are empty and its cost is gross.
const PROD = '111122223333';
const DEV = '444455556666';
const SUPPORT_ROLE = (account: string, session: string) => `arn:aws:sts::${account}:assumed-role/SupportBotRole/${session}`;
const ALICE = `arn:aws:iam::${PROD}:user/team-a/alice`;
const BOB = `arn:aws:iam::${PROD}:user/team-a/bob`;
const DOCS_ROLE = `arn:aws:sts::${DEV}:assumed-role/DocsQaRole/lambda-1`;
const CLAUDE_MARKETPLACE = 'Claude Sonnet 4.5 (Amazon Bedrock Edition)';

interface Line {
  readonly account: string;
  readonly day: string; // 'YYYY-MM-DD HH'
  readonly type: string;
  readonly kind: 'bedrock' | 'bedrock-service' | 'marketplace' | 'ec2';
  readonly usageType?: string;
  readonly amount?: number;
  readonly gross: number;
  readonly net?: number;
  readonly spEffective?: number;
  readonly spNetEffective?: number;
  readonly reservationEffective?: number;
  readonly reservationNetEffective?: number;
  readonly tags?: Record<string, string>;
  readonly principal?: string;
  readonly principalTags?: Record<string, string>;
}

const CHAT_ACME = { user_Application: 'support-bot', user_Feature: 'chat', user_Customer: 'acme' };
const SUPPORT_PRINCIPAL_TAGS = { 'iamPrincipal/Application': 'support-bot', 'iamPrincipal/Team': 'cx' };

const LINES: Record<string, Line> = {
  // prod, 2026-03: Bedrock first party, net = 90 % of gross
  P1: { account: PROD, day: '2026-03-02 09', type: 'Usage', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', amount: 1200, gross: 100, net: 90, tags: CHAT_ACME, principal: SUPPORT_ROLE(PROD, 'session-1'), principalTags: SUPPORT_PRINCIPAL_TAGS },
  P2: { account: PROD, day: '2026-03-05 15', type: 'Usage', kind: 'bedrock', usageType: 'USE1-NovaLite-output-tokens', amount: 800, gross: 200, net: 180, tags: CHAT_ACME, principal: SUPPORT_ROLE(PROD, 'session-2'), principalTags: SUPPORT_PRINCIPAL_TAGS },
  // prod: Anthropic through AWS Marketplace (the EDP does not discount it: net = gross), lower-case tag keys
  P3: { account: PROD, day: '2026-03-03 10', type: 'Usage', kind: 'marketplace', usageType: 'USE1-MP:USE1_InputTokenCount-Units', amount: 300, gross: 50, net: 50, tags: { user_feature: 'summarize', user_customer: 'globex' }, principal: ALICE },
  P4: { account: PROD, day: '2026-03-09 10', type: 'Usage', kind: 'marketplace', usageType: 'USE1-MP:USE1_OutputTokenCount-Units', amount: 100, gross: 30, net: 30, tags: { user_feature: 'summarize', user_customer: 'globex' }, principal: ALICE },
  // prod: untagged Bedrock usage by another user under the same IAM path
  P5: { account: PROD, day: '2026-03-04 12', type: 'Usage', kind: 'bedrock', usageType: 'USE1-NovaPro-input-tokens', amount: 250, gross: 20, net: 18, principal: BOB },
  // prod: EC2, untagged, and EC2 tagged like the chat feature for acme, covered by a Savings Plan (with its negation)
  P6: { account: PROD, day: '2026-03-02 00', type: 'Usage', kind: 'ec2', usageType: 'USE1-BoxUsage:m5.large', amount: 720, gross: 1000, net: 900 },
  P7: { account: PROD, day: '2026-03-03 00', type: 'SavingsPlanCoveredUsage', kind: 'ec2', usageType: 'USE1-BoxUsage:g5.xlarge', amount: 80, gross: 80, net: 72, spEffective: 50, spNetEffective: 45, tags: { user_Feature: 'chat', user_Customer: 'acme' } },
  P8: { account: PROD, day: '2026-03-03 00', type: 'SavingsPlanNegation', kind: 'ec2', usageType: 'USE1-BoxUsage:g5.xlarge', gross: -80, net: -72, tags: { user_Feature: 'chat', user_Customer: 'acme' } },
  // prod: a credit, a refund and tax on Bedrock
  P9: { account: PROD, day: '2026-03-06 00', type: 'Credit', kind: 'bedrock', gross: -25, net: -25 },
  P10: { account: PROD, day: '2026-03-07 00', type: 'Refund', kind: 'bedrock', gross: -10, net: -10 },
  P11: { account: PROD, day: '2026-03-01 00', type: 'Tax', kind: 'bedrock', gross: 12, net: 12 },
  // dev, 2026-03: no negotiated discount, so no net figures; the same role name as prod
  D1: { account: DEV, day: '2026-03-04 09', type: 'Usage', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', amount: 700, gross: 60, tags: CHAT_ACME, principal: SUPPORT_ROLE(DEV, 'session-9') },
  D2: { account: DEV, day: '2026-03-08 11', type: 'Usage', kind: 'bedrock-service', usageType: 'USE1-Claude4.6Sonnet-output-tokens', amount: 90, gross: 40, tags: { user_Feature: 'answer', user_Customer: 'initech' }, principal: DOCS_ROLE },
  D3: { account: DEV, day: '2026-03-10 08', type: 'Usage', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', amount: 150, gross: 15, tags: CHAT_ACME, principal: SUPPORT_ROLE(DEV, 'session-9') },
  D4: { account: DEV, day: '2026-03-01 00', type: 'Tax', kind: 'bedrock', gross: 6 },
  D5: { account: DEV, day: '2026-03-02 00', type: 'SavingsPlanCoveredUsage', kind: 'ec2', usageType: 'USE1-BoxUsage:g5.xlarge', amount: 40, gross: 40, spEffective: 25 },
  // prod, last month, and a month outside the three-period window
  F1: { account: PROD, day: '2026-02-14 09', type: 'Usage', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', amount: 900, gross: 70, net: 63, tags: CHAT_ACME, principal: SUPPORT_ROLE(PROD, 'session-1'), principalTags: SUPPORT_PRINCIPAL_TAGS },
  N1: { account: PROD, day: '2025-12-14 09', type: 'Usage', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', amount: 9000, gross: 999, net: 899.1, tags: CHAT_ACME, principal: SUPPORT_ROLE(PROD, 'session-1') },
};

// Bedrock usage covered by a commitment. No Savings Plan type covers Bedrock today (Compute, EC2 Instance, SageMaker AI
// and Database plans do not), and Bedrock has no reservations in CUR's sense; these rows prove the arithmetic for the day
// one does, on a second table (the figures above stay as they are). prod: Savings-Plan-covered, on-demand value 40 (net
// 36), effective 30, net effective 27, with its negation; dev: reservation-covered (DiscountedUsage), on-demand value 20,
// effective 13, no net figure.
const COVERED_BEDROCK: Record<string, Line> = {
  B1: { account: PROD, day: '2026-03-04 10', type: 'SavingsPlanCoveredUsage', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', amount: 500, gross: 40, net: 36, spEffective: 30, spNetEffective: 27, tags: CHAT_ACME },
  B2: { account: PROD, day: '2026-03-04 10', type: 'SavingsPlanNegation', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', gross: -40, net: -36, tags: CHAT_ACME },
  B3: { account: DEV, day: '2026-03-05 10', type: 'DiscountedUsage', kind: 'bedrock', usageType: 'USE1-NovaLite-input-tokens', amount: 200, gross: 20, reservationEffective: 13, tags: CHAT_ACME },
};

function curRow(line: Line): CurRow {
  const period = line.day.slice(0, 7);
  const marketplace = line.kind === 'marketplace';
  const productCode = { 'bedrock': 'AmazonBedrock', 'bedrock-service': 'AmazonBedrockService', 'marketplace': 'prod-claude-sonnet-4-5', 'ec2': 'AmazonEC2' }[line.kind];
  return {
    bill_billing_period_start_date: `${period}-01 00:00:00`,
    bill_billing_entity: marketplace ? 'AWS Marketplace' : 'AWS',
    line_item_usage_start_date: `${line.day}:00:00`,
    line_item_line_item_type: line.type,
    line_item_product_code: productCode,
    line_item_usage_type: line.usageType ?? '',
    line_item_operation: line.kind === 'ec2' ? 'RunInstances' : 'InvokeModelInference',
    line_item_resource_id: '',
    line_item_usage_amount: line.amount ?? 0,
    line_item_unblended_cost: line.gross,
    line_item_net_unblended_cost: line.net,
    savings_plan_savings_plan_effective_cost: line.spEffective,
    savings_plan_net_savings_plan_effective_cost: line.spNetEffective,
    reservation_effective_cost: line.reservationEffective,
    reservation_net_effective_cost: line.reservationNetEffective,
    line_item_usage_account_id: line.account,
    line_item_usage_account_name: line.account === PROD ? 'genai-prod' : 'genai-dev',
    line_item_legal_entity: marketplace ? 'Anthropic, PBC' : 'Amazon Web Services, Inc.',
    line_item_iam_principal: line.principal ?? null,
    product_servicecode: productCode,
    product: marketplace ? { product_name: CLAUDE_MARKETPLACE } : {},
    resource_tags: line.tags ?? {},
    tags: line.principalTags ?? {},
    billing_period: period,
  };
}

let connection: DuckDBConnection;
const queries = new Map(costReportQueries({ table: 'cur', tagKeys: TAG_KEYS, monthlyBudgetUsd: BUDGET, today: TODAY }).map((q) => [q.id, q]));

beforeAll(async () => {
  connection = await (await DuckDBInstance.create(':memory:')).connect();
  await connection.run(createTableSql('cur'));
  await connection.run(insertSql('cur', Object.values(LINES).map(curRow)));
  await connection.run(createTableSql('cur_covered'));
  await connection.run(insertSql('cur_covered', [...Object.values(LINES), ...Object.values(COVERED_BEDROCK)].map(curRow)));
});

afterAll(() => connection?.closeSync());

async function run(sql: string): Promise<Array<Record<string, any>>> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, any>>;
}

async function report(id: string, columns: string[]): Promise<string[]> {
  const rows = await run(queries.get(id)!.sql);
  return rows.map((row) => columns.map((c) => (typeof row[c] === 'number' ? money(row[c]) : String(row[c]))).join(' | '));
}

// Cents are what a FinOps team reads; DuckDB sums doubles, so compare rounded to the cent.
function money(value: number): string {
  return value.toFixed(2);
}

describe('cost by tag', () => {
  test('counts only GenAI usage: EC2, tagged or not, and Savings-Plan-covered EC2 stay out of every tag value', async () => {
    // chat (prod) = P1 90 + P2 180 = 270 net (gross 100 + 200); EC2 P7 is tagged chat but is not Bedrock.
    // (untagged) (prod) = P5 18 (gross 20): the 1,000 of untagged EC2 (P6) is not GenAI spend.
    // summarize (prod) = P3 50 + P4 30 = 80 (Marketplace: net = gross).
    // dev: chat = D1 60 + D3 15 = 75 gross, answer = D2 40 gross. 2026-02: chat = F1 63 net. 2025-12 is outside.
    expect(await report('cost-by-feature', ['billing_period', 'usage_account_id', 'usage_account_name', 'feature', 'cost_usd', 'gross_cost_usd', 'cost_basis'])).toEqual([
      `2026-03 | ${PROD} | genai-prod | chat | 270.00 | 300.00 | net`,
      `2026-03 | ${PROD} | genai-prod | summarize | 80.00 | 80.00 | net`,
      `2026-03 | ${PROD} | genai-prod | (untagged) | 18.00 | 20.00 | net`,
      `2026-03 | ${DEV} | genai-dev | chat | 75.00 | 75.00 | gross`,
      `2026-03 | ${DEV} | genai-dev | answer | 40.00 | 40.00 | gross`,
      `2026-02 | ${PROD} | genai-prod | chat | 63.00 | 70.00 | net`,
    ]);
  });

  test('splits a customer by account', async () => {
    // acme: prod P1 + P2 = 270, dev D1 + D3 = 75; globex: P3 + P4 = 80; initech: D2 = 40; prod untagged: P5 = 18.
    expect(await report('cost-by-customer', ['billing_period', 'usage_account_id', 'customer', 'cost_usd'])).toEqual([
      `2026-03 | ${PROD} | acme | 270.00`,
      `2026-03 | ${PROD} | globex | 80.00`,
      `2026-03 | ${PROD} | (untagged) | 18.00`,
      `2026-03 | ${DEV} | acme | 75.00`,
      `2026-03 | ${DEV} | initech | 40.00`,
      `2026-02 | ${PROD} | acme | 63.00`,
    ]);
  });
});

describe('top customers', () => {
  test('ranks customers by GenAI usage over both accounts, net where the account has net figures', async () => {
    // acme = prod 90 + 180 (net) + dev 60 + 15 (gross) = 345, gross 375, two accounts, partly net; the EC2 tagged
    // acme (P7, Savings-Plan-covered) is not GenAI spend.
    // globex = 50 + 30 = 80 (net). initech = 40 (gross).
    expect(await report('top-customers', ['customer', 'accounts', 'cost_usd', 'gross_cost_usd', 'cost_basis'])).toEqual([
      'acme | 2 | 345.00 | 375.00 | partly net',
      'globex | 1 | 80.00 | 80.00 | net',
      'initech | 1 | 40.00 | 40.00 | gross',
    ]);
  });
});

describe('cost by principal', () => {
  test('keeps IAM users whole with their path, and the same role name in two accounts apart', async () => {
    // prod: role/SupportBotRole = P1 90 + P2 180 = 270; user/team-a/alice = P3 50 + P4 30 = 80; user/team-a/bob = P5 18.
    // dev: role/SupportBotRole = D1 60 + D3 15 = 75; role/DocsQaRole = D2 40. 2026-02: prod role/SupportBotRole = F1 63.
    expect(await report('cost-by-principal-role', ['billing_period', 'usage_account_id', 'principal', 'cost_usd'])).toEqual([
      `2026-03 | ${PROD} | role/SupportBotRole | 270.00`,
      `2026-03 | ${PROD} | user/team-a/alice | 80.00`,
      `2026-03 | ${PROD} | user/team-a/bob | 18.00`,
      `2026-03 | ${DEV} | role/SupportBotRole | 75.00`,
      `2026-03 | ${DEV} | role/DocsQaRole | 40.00`,
      `2026-02 | ${PROD} | role/SupportBotRole | 63.00`,
    ]);
  });

  test('lists each caller ARN with its account', async () => {
    expect(await report('cost-by-iam-principal', ['billing_period', 'usage_account_id', 'iam_principal', 'cost_usd'])).toEqual([
      `2026-03 | ${PROD} | ${SUPPORT_ROLE(PROD, 'session-2')} | 180.00`,
      `2026-03 | ${PROD} | ${SUPPORT_ROLE(PROD, 'session-1')} | 90.00`,
      `2026-03 | ${PROD} | ${ALICE} | 80.00`,
      `2026-03 | ${PROD} | ${BOB} | 18.00`,
      `2026-03 | ${DEV} | ${SUPPORT_ROLE(DEV, 'session-9')} | 75.00`,
      `2026-03 | ${DEV} | ${DOCS_ROLE} | 40.00`,
      `2026-02 | ${PROD} | ${SUPPORT_ROLE(PROD, 'session-1')} | 63.00`,
    ]);
  });

  test("groups by the caller's principal tags", async () => {
    // prod: support-bot/cx = P1 + P2 = 270; no principal tags = P3 + P4 + P5 = 98. dev: none = 60 + 40 + 15 = 115.
    expect(await report('cost-by-principal-tags', ['billing_period', 'usage_account_id', 'principal_application', 'principal_team', 'cost_usd'])).toEqual([
      `2026-03 | ${PROD} | support-bot | cx | 270.00`,
      `2026-03 | ${PROD} | (untagged) | (untagged) | 98.00`,
      `2026-03 | ${DEV} | (untagged) | (untagged) | 115.00`,
      `2026-02 | ${PROD} | support-bot | cx | 63.00`,
    ]);
  });
});

describe('daily Bedrock spend by token type', () => {
  test('sums cost and billed quantity per day, account, billing entity and token type', async () => {
    // One usage line per key here, so each row is that line: cost net where it has one, quantity as billed.
    expect(await report('daily-bedrock-spend-by-token-type', ['usage_date', 'usage_account_id', 'billed_by', 'token_type', 'usage_amount', 'cost_usd'])).toEqual([
      `2026-02-14 | ${PROD} | AWS | input | 900.00 | 63.00`,
      `2026-03-02 | ${PROD} | AWS | input | 1200.00 | 90.00`,
      `2026-03-03 | ${PROD} | AWS Marketplace | input | 300.00 | 50.00`,
      `2026-03-04 | ${PROD} | AWS | input | 250.00 | 18.00`,
      `2026-03-04 | ${DEV} | AWS | input | 700.00 | 60.00`,
      `2026-03-05 | ${PROD} | AWS | output | 800.00 | 180.00`,
      `2026-03-08 | ${DEV} | AWS | output | 90.00 | 40.00`,
      `2026-03-09 | ${PROD} | AWS Marketplace | output | 100.00 | 30.00`,
      `2026-03-10 | ${DEV} | AWS | input | 150.00 | 15.00`,
    ]);
  });
});

describe('cost by account', () => {
  test('shows usage, credits and refunds, tax and the total per account, net and gross', async () => {
    // prod usage = 90 + 180 + 50 + 30 + 18 = 368; credits and refunds = -25 - 10 = -35; tax = 12;
    //   total = 368 - 35 + 12 = 345; gross = 100 + 200 + 50 + 30 + 20 - 25 - 10 + 12 = 377. EC2 (P6-P8) is not GenAI.
    // dev usage = 60 + 40 + 15 = 115; tax = 6; total = gross = 121 (no net figures). 2026-02: prod 63 (gross 70).
    expect(await report('cost-by-account', ['billing_period', 'usage_account_id', 'usage_account_name', 'usage_cost_usd', 'credits_refunds_usd', 'tax_usd', 'cost_usd', 'gross_cost_usd', 'cost_basis'])).toEqual([
      `2026-03 | ${PROD} | genai-prod | 368.00 | -35.00 | 12.00 | 345.00 | 377.00 | net`,
      `2026-03 | ${DEV} | genai-dev | 115.00 | 0.00 | 6.00 | 121.00 | 121.00 | gross`,
      `2026-02 | ${PROD} | genai-prod | 63.00 | 0.00 | 0.00 | 63.00 | 70.00 | net`,
    ]);
  });
});

describe('month to date against budget', () => {
  test('totals net Bedrock spend and projects usage from complete days only, without credits, refunds or tax', async () => {
    const [row] = await run(queries.get('month-to-date-vs-budget')!.sql);
    // Month to date = prod 345 + dev 121 = 466 (the gross sum would read 377 + 121 = 498):
    //   usage 368 + 115 = 483, credits and refunds -35, tax 12 + 6 = 18.
    // Complete days: 2026-03-01 to 2026-03-08 = 8 (the 9th and the 10th are still arriving).
    // Usage on complete days = P1 90 + P2 180 + P3 50 + P5 18 + D1 60 + D2 40 = 438 (P4 on the 9th, D3 on the 10th left out);
    //   run rate = 438 / 8 = 54.75 a day; March has 31 days: 54.75 * 31 = 1,697.25.
    // Budget 500: remaining 500 - 466 = 34, used 466 / 500 = 93.2 %.
    expect({
      period: row.billing_period, basis: row.cost_basis,
      mtd: money(row.mtd_cost_usd), usage: money(row.mtd_usage_cost_usd), credits: money(row.mtd_credits_refunds_usd), tax: money(row.mtd_tax_usd),
      remaining: money(row.remaining_usd), used: money(row.budget_used_pct),
      completeDays: Number(row.complete_days), through: row.data_complete_through, latest: String(row.latest_usage_hour),
      runRate: money(row.usage_run_rate_usd_per_day), projected: money(row.projected_month_end_usage_usd),
    }).toEqual({
      period: '2026-03', basis: 'partly net',
      mtd: '466.00', usage: '483.00', credits: '-35.00', tax: '18.00',
      remaining: '34.00', used: '93.20',
      completeDays: 8, through: '2026-03-08', latest: '2026-03-10 08:00:00',
      runRate: '54.75', projected: '1697.25',
    });
  });

  test('projects from the days before the newest usage line when the export lags four days', async () => {
    // Today 2026-03-14, newest usage line D3 at 2026-03-10 08:00: the 10th is still arriving and nothing has landed for
    // the 11th to the 13th, so complete days are the 1st to the 9th = 9, not the 1st to the 12th.
    // Usage on complete days = 438 (as above) + P4 30 on the 9th = 468; run rate 468 / 9 = 52 a day; 52 * 31 = 1,612.
    // (Counting 12 days would read 483 / 12 * 31 = 1,247.75: 23 % low.)
    const sql = costReportQueries({ table: 'cur', tagKeys: TAG_KEYS, monthlyBudgetUsd: BUDGET, today: "DATE '2026-03-14'" })
      .find((q) => q.id === 'month-to-date-vs-budget')!.sql;
    const [row] = await run(sql);
    expect({
      completeDays: Number(row.complete_days), through: row.data_complete_through, latest: String(row.latest_usage_hour),
      runRate: money(row.usage_run_rate_usd_per_day), projected: money(row.projected_month_end_usage_usd), mtd: money(row.mtd_cost_usd),
    }).toEqual({ completeDays: 9, through: '2026-03-09', latest: '2026-03-10 08:00:00', runRate: '52.00', projected: '1612.00', mtd: '466.00' });
  });

  test('makes no projection on the first two days of a month, when no day is complete yet', async () => {
    const sql = costReportQueries({ table: 'cur', tagKeys: TAG_KEYS, monthlyBudgetUsd: BUDGET, today: "DATE '2026-03-02'" })
      .find((q) => q.id === 'month-to-date-vs-budget')!.sql;
    const [row] = await run(sql);
    expect([Number(row.complete_days), row.data_complete_through, row.usage_run_rate_usd_per_day, row.projected_month_end_usage_usd])
      .toEqual([0, null, null, null]);
  });
});

describe('what a line item costs', () => {
  test('Savings-Plan-covered usage counts at its effective cost, net where there is one, and its negation counts nothing', async () => {
    // P7 + P8 (prod): effective 45 net + 0 = 45, against 80 + -80 = 0 unblended and 80 on-demand.
    // D5 (dev): effective 25, no net figure.
    const [row] = await run(`SELECT
      sum(CASE WHEN line_item_usage_account_id = '${PROD}' THEN ${LINE_COST} END) AS prod,
      sum(CASE WHEN line_item_usage_account_id = '${PROD}' THEN ${GROSS_LINE_COST} END) AS prod_gross,
      sum(CASE WHEN line_item_usage_account_id = '${DEV}' THEN ${LINE_COST} END) AS dev
      FROM cur WHERE line_item_line_item_type IN ('SavingsPlanCoveredUsage', 'SavingsPlanNegation')`);
    expect([money(row.prod), money(row.prod_gross), money(row.dev)]).toEqual(['45.00', '80.00', '25.00']);
  });
});

describe('Bedrock usage a Savings Plan or a reservation covered', () => {
  const covered = new Map(costReportQueries({ table: 'cur_covered', tagKeys: TAG_KEYS, monthlyBudgetUsd: BUDGET, today: TODAY }).map((q) => [q.id, q]));

  test('counts at its effective cost in the cost by account, net where there is one; the negation counts nothing', async () => {
    // prod: usage 368 + B1 27 (net effective; B2 counts 0) = 395; total 395 - 35 + 12 = 372; gross 377 + 40 = 417.
    // dev: usage 115 + B3 13 = 128; total 128 + 6 = 134; gross 121 + 20 = 141 (no net figures: gross basis).
    const rows = await run(covered.get('cost-by-account')!.sql);
    expect(rows.filter((r) => r.billing_period === '2026-03').map((r) => [r.usage_account_id, money(r.usage_cost_usd), money(r.cost_usd), money(r.gross_cost_usd), r.cost_basis]))
      .toEqual([[PROD, '395.00', '372.00', '417.00', 'net'], [DEV, '128.00', '134.00', '141.00', 'gross']]);
  });

  test('counts at its effective cost month to date and in the usage run rate', async () => {
    // Month to date 466 + 27 + 13 = 506; usage 483 + 27 + 13 = 523; both rows on complete days (the 4th and 5th):
    //   complete usage 438 + 40 = 478 over 8 days = 59.75 a day; 59.75 * 31 = 1,852.25. Budget 500: remaining -6.
    const [row] = await run(covered.get('month-to-date-vs-budget')!.sql);
    expect([money(row.mtd_cost_usd), money(row.mtd_usage_cost_usd), money(row.remaining_usd), money(row.usage_run_rate_usd_per_day), money(row.projected_month_end_usage_usd)])
      .toEqual(['506.00', '523.00', '-6.00', '59.75', '1852.25']);
  });
});

describe('the reports', () => {
  test('report no cost per request: CUR bills Bedrock by tokens and has no request count', async () => {
    for (const query of queries.values()) {
      const columns = (await connection.runAndReadAll(query.sql)).columnNames();
      expect(columns.length).toBeGreaterThan(0);
      expect(columns.filter((c) => /request/i.test(c))).toEqual([]);
    }
  });

  test('say in every description what their cost means', () => {
    for (const query of queries.values()) expect(query.description).toMatch(/net of negotiated discounts.*gross \(unblended\).*effective cost/);
  });
});
