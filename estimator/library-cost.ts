/**
 * What the library's own AWS resources cost to run for a workload: the guardrails' bill next to what they save.
 *
 * Prices are us-east-1 list prices, USD, without free tiers (a team's free tier is usually spent elsewhere), each
 * with its source. They change rarely; pass your own through the workload's `library` settings where they differ.
 */
import { METRIC } from '../shared/contract/metrics';
import { add, attoRatioToUsd, fromNumber, mul, Ratio, ratio, sum } from './exact';
import type { LibrarySettings } from './workload';

/** Library running-cost prices, USD. */
export const LIBRARY_PRICES = Object.freeze({
  /** DynamoDB on-demand, per write request unit (1 KB). [aws-docs] DynamoDB pricing, on-demand, $0.625 per million WRU (Nov 2024). */
  dynamoDbWriteRequestUnit: 0.000000625,
  /** DynamoDB on-demand, per read request unit (4 KB strongly consistent, 8 KB eventually consistent). [aws-docs] $0.125 per million RRU. */
  dynamoDbReadRequestUnit: 0.000000125,
  /** Lambda arm64 (Graviton), per GB-second. [aws-docs] Lambda pricing, first 6 billion GB-s tier: $0.0000133334. */
  lambdaArmGbSecond: 0.0000133334,
  /** Lambda, per request. [aws-docs] $0.20 per 1M requests. */
  lambdaRequest: 0.0000002,
  /** CloudWatch custom metric, per metric-month (first 10,000 metrics). [aws-docs] CloudWatch pricing; the article's $0.30. */
  cloudWatchMetricMonth: 0.3,
  /** CloudWatch Logs ingestion (standard class), per GB: the EMF and structured log lines. [aws-docs] $0.50 per GB. */
  cloudWatchLogsIngestGb: 0.5,
  /** CloudWatch dashboard, per month (beyond the 3 free). [aws-docs] $3. */
  cloudWatchDashboardMonth: 3,
  /** CloudWatch alarm, standard resolution, per alarm-month. [aws-docs] $0.10. */
  cloudWatchAlarmMonth: 0.1,
  /** AWS WAF web ACL per month. [aws-docs] WAF pricing: $5. */
  wafWebAclMonth: 5,
  /** AWS WAF rule per month. [aws-docs] $1. */
  wafRuleMonth: 1,
  /** AWS WAF, per request inspected. [aws-docs] $0.60 per 1M requests. */
  wafRequest: 0.0000006,
  /**
   * AWS Budgets, per notification-only budget-day. [aws-price-list] AWSBudgets "Budget Notifications": $0.00 per
   * budget-day since 2020-10-01 (the article's "$0.02 a day after the first two" is the older price).
   */
  budgetDay: 0,
  /** AWS Budgets, per action-enabled budget-day beyond the first two. [aws-docs] $0.10 a day. */
  actionBudgetDay: 0.1,
  /** S3 Standard storage for the CUR export, per GB-month. [aws-docs] S3 pricing, first 50 TB: $0.023. */
  s3StandardGbMonth: 0.023,
  /** Athena, per TB scanned (CUR queries). [aws-docs] Athena pricing: $5 per TB. */
  athenaTbScanned: 5,
});

/** Bytes of a cached response besides its text: key, metadata, attribute names. */
const RESPONSE_ITEM_OVERHEAD_BYTES = 600;
/** Bytes per output token of a cached response (about 4 characters a token). */
const BYTES_PER_OUTPUT_TOKEN = 4;
const FREE_BUDGETS = 2;
const FREE_ACTION_BUDGETS = 2;

/** The monthly volume the library's resources see. */
export interface LibraryVolume {
  /** Requests reaching the workflow Lambda. */
  readonly requestsPerMonth: Ratio;
  /** Requests that call a model (response-cache misses). */
  readonly modelCallsPerMonth: Ratio;
  /** Whether the response cache is used (reads on every request, writes on every miss). */
  readonly responseCache: boolean;
  /** Output tokens of a response, for the cached item's size. */
  readonly outputTokens: number;
  readonly daysPerMonth: Ratio;
  /** Distinct models the workload calls: values of the `Model` metric dimension. */
  readonly models: number;
}

/** One line of the library's bill. */
export interface LibraryCostLine {
  readonly item: string;
  readonly monthlyUsd: number;
  /** How the line was computed. */
  readonly basis: string;
}

/** The library's monthly running cost. */
export interface LibraryCost {
  readonly lines: ReadonlyArray<LibraryCostLine>;
  readonly monthlyUsd: number;
}

const ATTO = 10n ** 18n;
const usd = (x: number): Ratio => mul(fromNumber(x), ratio(ATTO));
const toUsd = attoRatioToUsd;
const count = (n: number): Ratio => ratio(BigInt(n));
const fmt = (r: Ratio): string => {
  const n = Number(r.n) / Number(r.d);
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : String(Math.round(n * 1000) / 1000);
};

/** Prices the library's resources for a month of the workload. */
export function libraryCost(volume: LibraryVolume, settings: LibrarySettings): LibraryCost {
  const { monthlyAtto, ...cost } = libraryCostExact(volume, settings);
  void monthlyAtto;
  return cost;
}

/** {@link libraryCost} with the exact total in attodollars, for comparing with the savings. */
export function libraryCostExact(volume: LibraryVolume, settings: LibrarySettings): LibraryCost & { readonly monthlyAtto: Ratio } {
  const p = LIBRARY_PRICES;
  const lines: Array<{ item: string; atto: Ratio; basis: string }> = [];
  const line = (item: string, atto: Ratio, basis: string) => lines.push({ item, atto, basis });
  const requests = volume.requestsPerMonth;

  // DynamoDB: the response cache's GetItem (eventually consistent) on every request and PutItem on every miss; the
  // spend ledger's reserve and settle writes on every model call.
  if (volume.responseCache) {
    const itemBytes = RESPONSE_ITEM_OVERHEAD_BYTES + BYTES_PER_OUTPUT_TOKEN * volume.outputTokens;
    const readUnits = ratio(BigInt(Math.ceil(itemBytes / 4096)), 2n); // eventually consistent: half a unit per 4 KB
    const writeUnits = ratio(BigInt(Math.ceil(itemBytes / 1024)));
    line('DynamoDB response cache reads', mul(mul(requests, readUnits), usd(p.dynamoDbReadRequestUnit)), `${fmt(requests)} GetItem x ${fmt(readUnits)} RRU (${itemBytes} B items) x $0.125/M`);
    line('DynamoDB response cache writes', mul(mul(volume.modelCallsPerMonth, writeUnits), usd(p.dynamoDbWriteRequestUnit)), `${fmt(volume.modelCallsPerMonth)} PutItem x ${fmt(writeUnits)} WRU x $0.625/M`);
  }
  if (settings.ledgerWritesPerRequest > 0) {
    const writes = mul(volume.modelCallsPerMonth, ratio(BigInt(settings.ledgerWritesPerRequest)));
    line('DynamoDB spend ledger writes', mul(writes, usd(p.dynamoDbWriteRequestUnit)), `${fmt(volume.modelCallsPerMonth)} model calls x ${settings.ledgerWritesPerRequest} writes x $0.625/M`);
  }

  // Lambda: every request, billed for the whole latency (a synchronous Bedrock call keeps the function waiting).
  const gbSeconds = mul(mul(requests, fromNumber(settings.latencySeconds)), ratio(BigInt(settings.lambdaMemoryMb), 1024n));
  line('Lambda duration (arm64)', mul(gbSeconds, usd(p.lambdaArmGbSecond)), `${fmt(requests)} x ${settings.latencySeconds} s x ${settings.lambdaMemoryMb} MB = ${fmt(gbSeconds)} GB-s x $0.0000133334`);
  line('Lambda requests', mul(requests, usd(p.lambdaRequest)), `${fmt(requests)} x $0.20/M`);

  // CloudWatch: every metric name x dimension combination is one billed metric; rejections add the Model value 'none'.
  const metricNames = settings.metricsPerCombination ?? Object.keys(METRIC).length;
  const models = (settings.models ?? volume.models) + 1;
  const metrics = metricNames * settings.applications * settings.features * models;
  line('CloudWatch custom metrics', mul(count(metrics), usd(p.cloudWatchMetricMonth)), `${metricNames} metrics x ${settings.applications} applications x ${settings.features} features x ${models} models (incl. 'none') = ${metrics} x $0.30`);
  const logGb = mul(requests, ratio(BigInt(settings.logBytesPerRequest), 1024n ** 3n));
  line('CloudWatch Logs ingestion', mul(logGb, usd(p.cloudWatchLogsIngestGb)), `${fmt(requests)} x ${settings.logBytesPerRequest} B = ${fmt(logGb)} GB x $0.50`);
  if (settings.dashboards > 0) line('CloudWatch dashboards', mul(count(settings.dashboards), usd(p.cloudWatchDashboardMonth)), `${settings.dashboards} x $3`);
  if (settings.alarms > 0) line('CloudWatch alarms', mul(count(settings.alarms), usd(p.cloudWatchAlarmMonth)), `${settings.alarms} x $0.10`);

  if (settings.wafRules > 0) {
    line('AWS WAF', sum([usd(p.wafWebAclMonth), mul(count(settings.wafRules), usd(p.wafRuleMonth)), mul(requests, usd(p.wafRequest))]), `$5 web ACL + ${settings.wafRules} rules x $1 + ${fmt(requests)} requests x $0.60/M`);
  }
  const paidBudgets = Math.max(0, settings.budgets - FREE_BUDGETS);
  const paidActionBudgets = Math.max(0, settings.actionBudgets - FREE_ACTION_BUDGETS);
  if (settings.budgets + settings.actionBudgets > 0) {
    const daily = add(mul(count(paidBudgets), usd(p.budgetDay)), mul(count(paidActionBudgets), usd(p.actionBudgetDay)));
    line('AWS Budgets', mul(daily, volume.daysPerMonth), `${settings.budgets} budgets, ${settings.actionBudgets} with actions; notification-only budgets are free; action-enabled ones: the first 2 free, then $0.10 a day`);
  }
  if (settings.curStorageGb > 0) line('CUR storage (S3)', mul(fromNumber(settings.curStorageGb), usd(p.s3StandardGbMonth)), `${settings.curStorageGb} GB x $0.023`);
  if (settings.athenaTbScannedPerMonth > 0) line('Athena CUR queries', mul(fromNumber(settings.athenaTbScannedPerMonth), usd(p.athenaTbScanned)), `${settings.athenaTbScannedPerMonth} TB scanned x $5`);

  const total = sum(lines.map((l) => l.atto));
  return {
    lines: lines.map((l) => ({ item: l.item, monthlyUsd: toUsd(l.atto), basis: l.basis })),
    monthlyUsd: toUsd(total),
    monthlyAtto: total,
  };
}
