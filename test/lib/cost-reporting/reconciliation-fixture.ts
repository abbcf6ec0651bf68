/**
 * One day of meter records and CUR 2.0 line items whose reconciliation is worked out by hand (see EXPECTED), with
 * the rows either side of the day, refusals, guard events, non-Bedrock and non-usage lines the query must leave out.
 */
import type { SpendRecord } from '../../../lambda/pipeline/stages/record-request';
import type { CurRow } from './cur-fixture';
import { otherNamespaceLine, recordedEmfLines, recordGuardEvent } from './meter-emf';

/** The day reconciled. */
export const DAY = '2026-03-10';
const DAY_MS = Date.parse(`${DAY}T00:00:00Z`);
const HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const ACCOUNT = '111122223333';

interface MeterCall {
  readonly at: number; readonly application?: string; readonly feature: string; readonly model?: string; readonly costUsd?: number;
  readonly status?: number; readonly tenantId?: string;
  /** A batch job's record: collected at this time (ms after the day's midnight), stamped with `at`, the job's end. */
  readonly collectedAt?: number;
}

/** The meter's calls: `at` is ms after the day's midnight (negative: the day before). */
const METER_CALLS: readonly MeterCall[] = [
  // support-bot/chat: Haiku 0.40 + Sonnet 0.35 = 0.75, billed 0.40 + 0.35 → drift 0, per model too
  { at: 3_600_000, feature: 'chat', costUsd: 0.4, tenantId: 'acme' },
  { at: 50_000_000, feature: 'chat', model: SONNET, costUsd: 0.35, tenantId: 'globex' },
  { at: 50_000_001, feature: 'chat', status: 429, tenantId: 'globex' },
  // support-bot/summarize: 0.60 + 0.40 = 1.00, billed 0.95 → drift +0.05 = +5.263 %
  { at: 7_200_000, feature: 'summarize', costUsd: 0.6 },
  { at: 86_399_999, feature: 'summarize', costUsd: 0.4 },
  // docs-qa/search (embeddings, attributed by principal tags): 0.10, billed 0.10
  { at: 36_000_000, application: 'docs-qa', feature: 'search', costUsd: 0.1 },
  // support-bot/translate: a batch job that ended at 23:40, collected the next day at 02:00 and stamped with its end
  // (0.20, billed over the hours it ran, 22:00 and 23:00: 0.12 + 0.08), and a Sonnet call a Savings Plan covers
  // (0.30 at on-demand rates; CUR bills it as SavingsPlanCoveredUsage 0.30 and a SavingsPlanNegation −0.30, which
  // the gross cost leaves out) → 0.50 against 0.50, drift 0
  { at: 85_200_000, feature: 'translate', costUsd: 0.2, collectedAt: 86_400_000 + 7_200_000 },
  { at: 54_000_000, feature: 'translate', model: SONNET, costUsd: 0.3 },
  // outside the day: the last millisecond before it and the first after it
  { at: -1, feature: 'chat', costUsd: 5 },
  { at: 86_400_000, feature: 'summarize', costUsd: 7 },
];

/** What the query must return, worked out by hand from the rows above and below. */
export const EXPECTED = {
  features: [
    { application: 'docs-qa', feature: 'search', meteredUsd: 0.1, billedUsd: 0.1 },
    { application: 'support-bot', feature: 'chat', meteredUsd: 0.75, billedUsd: 0.75 },
    { application: 'support-bot', feature: 'summarize', meteredUsd: 1.0, billedUsd: 0.95 },
    { application: 'support-bot', feature: 'translate', meteredUsd: 0.5, billedUsd: 0.5 },
  ],
  /** Per model, by the Model tag: summarize's profile has no Model tag, so its bill is apart from the meter's model. */
  models: {
    'support-bot/chat': [
      { model: 'claude-haiku-4-5', meteredUsd: 0.4, billedUsd: 0.4 },
      { model: 'claude-sonnet-4-5', meteredUsd: 0.35, billedUsd: 0.35 },
    ],
    'support-bot/summarize': [
      { model: '(no Model tag)', meteredUsd: 0, billedUsd: 0.95 },
      { model: 'claude-haiku-4-5', meteredUsd: 1.0, billedUsd: 0 },
    ],
    'support-bot/translate': [
      { model: 'claude-haiku-4-5', meteredUsd: 0.2, billedUsd: 0.2 },
      { model: 'claude-sonnet-4-5', meteredUsd: 0.3, billedUsd: 0.3 },
    ],
  },
  /**
   * Untagged Bedrock usage 0.30 + the tagged feature support-bot/legacy the meter never saw 0.20 + a model sold
   * through AWS Marketplace (Amazon Bedrock Edition) called outside the pipeline 0.25.
   */
  unmeteredUsd: 0.75,
  /** 0.1 + 0.75 + 0.95 + 0.5 + 0.75 */
  billedUsd: 3.05,
  /** 0.1 + 0.75 + 1.0 + 0.5 */
  meteredUsd: 2.35,
  /** 0.75 / 3.05 */
  unmeteredPercent: (100 * 0.75) / 3.05,
} as const;

/**
 * The meter's EMF lines, written by the real recorder (Powertools Metrics) with the clock at each call's time, plus
 * a guard event record (same namespace, no Requests) and a record of another namespace.
 */
export function meterLines(): string[] {
  const lines = recordedEmfLines((recorder, clockAt) => {
    for (const call of METER_CALLS) {
      clockAt(DAY_MS + (call.collectedAt ?? call.at));
      recorder.record(spendRecord(call));
    }
    clockAt(DAY_MS + 1000);
    recordGuardEvent(recorder, { kind: 'failOpen', scope: 'feature', window: 'day', tenantId: 'acme', userId: 'u-1', feature: 'chat', error: 'timeout' });
  });
  return [...lines, otherNamespaceLine(DAY_MS + 2000)];
}

function spendRecord(call: MeterCall): SpendRecord {
  const status = call.status ?? 200;
  return {
    application: call.application ?? 'support-bot', environment: 'prod', feature: call.feature,
    path: call.collectedAt !== undefined ? 'batch' : call.feature === 'search' ? 'embedding' : 'converse',
    status, tenantId: call.tenantId, userId: 'u-1', requestId: `r-${call.at}`,
    ...(call.collectedAt !== undefined ? { timestampMs: DAY_MS + call.at } : {}),
    ...(status < 400
      ? {
        modelId: call.model ?? HAIKU, costUsd: call.costUsd, priced: 'catalog' as const, attempts: 1,
        usage: { inputTokens: 1000, outputTokens: 100, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 } as SpendRecord['usage'],
      }
      : { errorCode: 'TenantQuotaExceeded' }),
  };
}

interface CurLine {
  readonly hour: string; // 'YYYY-MM-DD HH'
  readonly cost: number;
  readonly type?: string;
  readonly productCode?: string;
  readonly usageType?: string;
  readonly resourceTags?: Record<string, string>;
  readonly principalTags?: Record<string, string>;
  readonly billingEntity?: string;
  readonly productName?: string;
}

const NEXT_DAY = '2026-03-11';
const PREVIOUS_DAY = '2026-03-09';
const chat = { user_Application: 'support-bot', user_Feature: 'chat', user_Model: 'claude-haiku-4-5' };
const chatSonnet = { user_Application: 'support-bot', user_Feature: 'chat', user_Model: 'claude-sonnet-4-5' };
const summarize = { user_application: 'support-bot', user_feature: 'summarize' }; // CUR's lower-case spelling
const translate = { user_Application: 'support-bot', user_Feature: 'translate', user_Model: 'claude-haiku-4-5' };
const translateSonnet = { ...translate, user_Model: 'claude-sonnet-4-5' };

const CUR_LINES: readonly CurLine[] = [
  { hour: `${DAY} 01`, cost: 0.3, resourceTags: chat },
  { hour: `${DAY} 13`, cost: 0.1, resourceTags: chat, productCode: 'AmazonBedrockService', usageType: 'USE1-Claude4.5Haiku-output-tokens' },
  { hour: `${DAY} 13`, cost: 0.35, resourceTags: chatSonnet, usageType: 'USE1-Claude4.5Sonnet-input-tokens' },
  { hour: `${DAY} 02`, cost: 0.5, resourceTags: summarize },
  { hour: `${DAY} 23`, cost: 0.45, resourceTags: summarize },
  { hour: `${DAY} 10`, cost: 0.1, principalTags: { 'iamPrincipal/Application': 'docs-qa', 'iamPrincipal/Feature': 'search' } },
  // unmetered: untagged Bedrock usage, and a tagged feature the pipeline never recorded
  { hour: `${DAY} 05`, cost: 0.3 },
  { hour: `${DAY} 06`, cost: 0.2, resourceTags: { user_Application: 'support-bot', user_Feature: 'legacy' } },
  { hour: `${DAY} 22`, cost: 0.12, resourceTags: translate },
  { hour: `${DAY} 23`, cost: 0.08, resourceTags: translate },
  { hour: `${DAY} 15`, cost: 0.3, type: 'SavingsPlanCoveredUsage', resourceTags: translateSonnet, usageType: 'USE1-Claude4.5Sonnet-input-tokens' },
  { hour: `${DAY} 15`, cost: -0.3, type: 'SavingsPlanNegation', resourceTags: translateSonnet, usageType: 'USE1-Claude4.5Sonnet-input-tokens' },
  // unmetered: a Marketplace model sold through Bedrock, untagged
  { hour: `${DAY} 09`, cost: 0.25, billingEntity: 'AWS Marketplace', productCode: 'prod-acme-llm', productName: 'Acme LLM (Amazon Bedrock Edition)', usageType: 'Acme-LLM-input-tokens' },
  // left out: other days, other services, not usage, a Marketplace product that is not a Bedrock model
  { hour: `${PREVIOUS_DAY} 23`, cost: 9, resourceTags: chat },
  { hour: `${NEXT_DAY} 00`, cost: 9, resourceTags: summarize },
  { hour: `${DAY} 12`, cost: 4, resourceTags: chat, productCode: 'AWSLambda', usageType: 'USE1-Lambda-GB-Second' },
  { hour: `${DAY} 00`, cost: 3, type: 'Tax', usageType: '' },
  { hour: `${DAY} 00`, cost: -2, type: 'Credit', resourceTags: chat },
  { hour: `${DAY} 08`, cost: 6, billingEntity: 'AWS Marketplace', productCode: 'prod-firewall', productName: 'Acme Firewall', usageType: 'Firewall-hours' },
];

/** The CUR 2.0 line items of the fixture (columns as `cur-fixture` declares them). */
export function curRows(): CurRow[] {
  return CUR_LINES.map((line) => {
    const period = line.hour.slice(0, 7);
    const productCode = line.productCode ?? 'AmazonBedrock';
    return {
      bill_billing_period_start_date: `${period}-01 00:00:00`,
      bill_billing_entity: line.billingEntity ?? 'AWS',
      line_item_usage_start_date: `${line.hour}:00:00`,
      line_item_line_item_type: line.type ?? 'Usage',
      line_item_product_code: productCode,
      line_item_usage_type: line.usageType ?? 'USE1-Claude4.5Haiku-input-tokens',
      line_item_operation: 'InvokeModelInference',
      line_item_resource_id: `arn:aws:bedrock:us-east-1:${ACCOUNT}:application-inference-profile/abc`,
      line_item_usage_amount: 1000,
      line_item_unblended_cost: line.cost,
      line_item_legal_entity: 'Amazon Web Services, Inc.',
      line_item_iam_principal: `arn:aws:sts::${ACCOUNT}:assumed-role/WorkflowRole/session`,
      product_servicecode: productCode,
      product: line.productName ? { product_name: line.productName } : {},
      resource_tags: { ...line.resourceTags },
      tags: { ...line.principalTags },
      billing_period: period,
    } as unknown as CurRow;
  });
}
