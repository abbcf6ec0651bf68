import { METRIC } from '../../shared/contract/metrics';
import { compareSageMaker, estimateWorkload, LIBRARY_PRICES, libraryCost, LIBRARY_DEFAULTS, parseWorkload } from '../../estimator';
import { ratio } from '../../estimator/exact';
import { ARTICLE_PRICES } from '../fixtures/article-prices';

const ATTO = 10n ** 18n;
const usdPerCall = (usd: number) => ratio(BigInt(Math.round(usd * 1e6)) * (ATTO / 1_000_000n));

describe('SageMaker break-even (always-on endpoint billed per instance-hour, capacity-bounded)', () => {
  const endpoint = { hourlyUsd: 1, instances: 1, hoursPerMonth: 730, perMillionTokensUsd: 0 };

  test('breaks even where the fleet\'s month equals Bedrock\'s cost of the calls', () => {
    // $730 a month against $0.01 a call: 73,000 calls.
    const s = compareSageMaker(endpoint, usdPerCall(0.01), ratio(10_000n), 1_000);
    expect(s.sagemakerMonthlyUsd).toBe(730);
    expect(s.bedrockMonthlyUsd).toBe(100);
    expect(s.breakEvenRequestsPerMonth).toBe(73_000);
    expect(s.breakEvenTokensPerMonth).toBe(73_000_000);
    expect(s.cheaper).toBe('bedrock');
  });

  test('subtracts the endpoint\'s per-token charge from what each call saves', () => {
    // $0.01 on Bedrock, $0.005 in per-token charges on SageMaker: each call pays back $0.005 of the $730.
    const s = compareSageMaker({ ...endpoint, perMillionTokensUsd: 5 }, usdPerCall(0.01), ratio(10_000n), 1_000);
    expect(s.breakEvenRequestsPerMonth).toBe(146_000);
  });

  test('has no break-even within capacity when a fully loaded instance saves less than it costs', () => {
    // 0.01 requests/s x 730 h = 26,280 calls a month at most; break-even would need 73,000.
    const s = compareSageMaker({ ...endpoint, requestsPerSecond: 0.01 }, usdPerCall(0.01), ratio(10_000n), 1_000);
    expect(s.capacityRequestsPerMonth).toBe(26_280);
    expect(s.breakEvenRequestsPerMonth).toBeUndefined();
    expect(s.breakEvenReason).toMatch(/^none within capacity/);
  });

  test('bills the instances a volume above capacity needs', () => {
    // 100,000 calls at 26,280 per instance: 4 instances.
    const s = compareSageMaker({ ...endpoint, requestsPerSecond: 0.01 }, usdPerCall(0.01), ratio(100_000n), 1_000);
    expect(s.instancesBilled).toBe(4);
    expect(s.sagemakerInstanceUsd).toBe(2_920);
    expect(s.utilization).toBeCloseTo(100_000 / 26_280, 12);
  });

  test('turns a token throughput into calls per instance', () => {
    const s = compareSageMaker({ ...endpoint, tokensPerSecond: 1_000 }, usdPerCall(0.01), ratio(10_000n), 500);
    expect(s.capacityRequestsPerMonth).toBe(1_000 / 500 * 3600 * 730);
  });

  test('finds SageMaker cheaper above the break-even volume', () => {
    const s = compareSageMaker(endpoint, usdPerCall(0.01), ratio(100_000n), 1_000);
    expect(s.cheaper).toBe('sagemaker');
    expect(s.cheaperByFraction).toBeCloseTo(1 - 730 / 1_000, 12);
  });
});

describe('what the library costs to run', () => {
  const volume = { requestsPerMonth: ratio(1_000_000n), modelCallsPerMonth: ratio(700_000n), responseCache: true, outputTokens: 300, daysPerMonth: ratio(365n, 12n), models: 3 };
  const cost = libraryCost(volume, { ...LIBRARY_DEFAULTS, wafRules: 3, budgets: 4, actionBudgets: 3 });
  const line = (item: string) => cost.lines.find((l) => l.item === item)!.monthlyUsd;

  test('prices every item from the named constants', () => {
    expect(line('DynamoDB response cache reads')).toBe(0.0625); // 1M GetItem x 0.5 RRU x $0.125/M
    expect(line('DynamoDB response cache writes')).toBe(0.875); // 700K PutItem x 2 WRU (1,800 B) x $0.625/M
    expect(line('DynamoDB spend ledger writes')).toBe(0.875); // 700K x 2 x $0.625/M
    expect(line('Lambda duration (arm64)')).toBe(6.6667); // 1M x 2 s x 0.25 GB x $0.0000133334
    expect(line('Lambda requests')).toBe(0.2);
    expect(line('CloudWatch custom metrics')).toBe((Object.keys(METRIC).length * 4 * 3) / 10); // x $0.30, for 3 models + 'none'
    expect(line('CloudWatch dashboards')).toBe(3);
    expect(line('CloudWatch alarms')).toBe(0.6);
    expect(line('AWS WAF')).toBe(8.6); // $5 + 3 x $1 + 1M x $0.60/M
    // Notification-only budgets are free (AWS Price List, since 2020-10-01); 1 action-enabled budget past the free 2.
    expect(line('AWS Budgets')).toBe(0.1 * 365 / 12);
    expect(line('CUR storage (S3)')).toBe(0.115);
    expect(line('Athena CUR queries')).toBe(0.05);
  });

  test('totals the lines', () => {
    expect(cost.monthlyUsd).toBeCloseTo(cost.lines.reduce((s, l) => s + l.monthlyUsd, 0), 9);
  });

  test('keeps its prices as named constants with the article\'s CloudWatch and Athena figures', () => {
    expect(LIBRARY_PRICES.cloudWatchMetricMonth).toBe(0.3);
    expect(LIBRARY_PRICES.athenaTbScanned).toBe(5);
    expect(LIBRARY_PRICES.cloudWatchDashboardMonth).toBe(3);
    expect(LIBRARY_PRICES.cloudWatchAlarmMonth).toBe(0.1);
  });

  test('is a small fraction of what the article\'s routing example saves', () => {
    const e = estimateWorkload(parseWorkload({
      requests: { perMonth: 1_000_000 },
      tokens: { userInput: 1_000 },
      routing: {
        simple: { model: 'anthropic.claude-3-haiku-20240307-v1:0', share: 0.7 },
        medium: { model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', share: 0.25 },
        complex: { model: 'anthropic.claude-3-opus-20240229-v1:0', share: 0.05 },
      },
    }), { catalog: ARTICLE_PRICES });
    expect(e.library.shareOfSavings).toBeLessThan(0.01);
    expect(e.library.monthlyUsd).toBeGreaterThan(0);
  });
});
