/**
 * The article's worked examples, shipped as workload files under examples/workloads/, estimated with the article's
 * prices (the price file test/fixtures/article-prices.json), never the shipped catalog. Where the article rounds or
 * its arithmetic is loose, the test says so, asserts the exact figure of the estimator and the article's figure
 * within the stated tolerance.
 */
import { estimateWorkload, parseWorkload, Workload, WorkloadEstimate } from '../../estimator';
import { ARTICLE_PRICES } from '../fixtures/article-prices';
import { exampleJson, exampleWorkload } from './load';

const estimate = (workload: Workload): WorkloadEstimate => estimateWorkload(workload, { catalog: ARTICLE_PRICES });
const lever = (e: WorkloadEstimate, name: string) => e.levers.find((l) => l.lever === name)!;
const round = (usd: number, places: number) => Math.round(usd * 10 ** places) / 10 ** places;

describe('article: the "Hello" request (examples/workloads/article-hello.json)', () => {
  const workload = exampleWorkload('article-hello.json');
  const e = estimate(workload);

  test('adds the article\'s parts up to 6,709 tokens: 6,701 input and 8 output', () => {
    expect(e.tokens).toEqual({ input: 6_701, output: 8, outputCapped: 8 });
  });

  test('costs $0.020223 a request from the article\'s parts, within $0.00015 of the article\'s $0.0201', () => {
    // The article prices "6,708 input tokens" although its parts add up to 6,701 input tokens (1 + 3,500 + 2,000 +
    // 1,200; its 6,709 total includes the 8 output tokens), then adds its lines rounded to $0.020 and $0.0001.
    expect(e.baseline.perRequestUsd).toBe(0.020223); // 6,701 x $0.003/1K + 8 x $0.015/1K
    expect(e.baseline.monthly).toEqual({ inputUsd: 2_010.3, cacheReadUsd: 0, cacheWriteUsd: 0, outputUsd: 12 });
    expect(Math.abs(e.baseline.perRequestUsd - 0.0201)).toBeLessThanOrEqual(0.00015);
  });

  test('costs exactly $0.020244 with the article\'s 6,708-token input line, which it rounds to $0.0201', () => {
    const asPriced = estimate(parseWorkload({ requests: { perMonth: 100_000 }, tokens: { userInput: 6_708, output: 8 }, model: workload.traffic[0].model }));
    expect(asPriced.baseline.perRequestUsd).toBe(0.020244);
    expect(round(round(asPriced.baseline.monthly.inputUsd / 100_000, 3) + round(asPriced.baseline.monthly.outputUsd / 100_000, 4), 4)).toBe(0.0201);
    // 100,000 greetings: $2,024.40 exactly; the article's $2,010 is its rounded $0.0201 x 100,000.
    expect(asPriced.baseline.perMonthUsd).toBe(2_024.4);
  });

  test('costs $2,022.30 for 100,000 greetings from the parts, within 1 % of the article\'s $2,010', () => {
    expect(e.baseline.perMonthUsd).toBe(2_022.3);
    expect(Math.abs(e.baseline.perMonthUsd - 2_010) / 2_010).toBeLessThan(0.01);
  });

  test('has no lever configured: optimized is the baseline', () => {
    expect(e.optimized.perMonthUsd).toBe(e.baseline.perMonthUsd);
    expect(e.levers.every((l) => !l.configured && l.savingUsd === 0)).toBe(true);
  });
});

describe('article: hybrid routing of 1 billion tokens (examples/workloads/article-hybrid-routing.json)', () => {
  const e = estimate(exampleWorkload('article-hybrid-routing.json'));

  test('puts the baseline on Opus, the dearest configured model: $15,000 a month', () => {
    expect(e.baseline.name).toBe('claude-3-opus');
    expect(e.baseline.perMonthUsd).toBe(15_000);
  });

  test('routes 70/25/5 for $175 + $750 + $750 = $1,675 exactly', () => {
    expect(e.optimized.perMonthUsd).toBe(1_675);
    expect(lever(e, 'routing')).toMatchObject({ configured: true, perMonthUsd: 1_675, savingUsd: 13_325 });
  });

  test('saves 88.83 %, the article\'s "89 %" rounded', () => {
    expect(e.combined.savingFraction).toBeCloseTo(13_325 / 15_000, 12);
    expect(Math.round(e.combined.savingFraction * 100)).toBe(89);
  });

  test('costs $250 with all traffic on Haiku', () => {
    const haiku = estimate(parseWorkload({ requests: { perMonth: 1_000_000 }, tokens: { userInput: 1_000 }, model: 'anthropic.claude-3-haiku-20240307-v1:0' }));
    expect(haiku.baseline.perMonthUsd).toBe(250);
  });
});

describe('article: prompt caching a 4,000-token system prompt (examples/workloads/article-prompt-caching.json)', () => {
  const e = estimate(exampleWorkload('article-prompt-caching.json'));

  test('costs $120 a day without caching', () => {
    expect(e.baseline.perDayUsd).toBe(120);
  });

  test('costs $12.0138 a day cached, within one cache read ($0.0012) of the article\'s $12.015', () => {
    // The article charges one write *and* 10,000 reads for 10,000 requests (10,001 uses of the prompt); here the
    // one call that writes does not also read: $0.015 + 9,999 x $0.0012.
    expect(e.optimized.perDayUsd).toBe(12.0138);
    expect(Math.abs(12.015 - e.optimized.perDayUsd!)).toBeLessThanOrEqual(0.0012 + 1e-12);
  });

  test('saves $107.9862 a day, within $0.0012 of the article\'s $107.985, and 90 %', () => {
    expect(lever(e, 'promptCaching').savingPerDayUsd).toBe(107.9862);
    expect(Math.abs(107.985 - 107.9862)).toBeLessThanOrEqual(0.0012 + 1e-12);
    expect(Math.round(e.combined.savingFraction * 100)).toBe(90);
  });

  test('bills the daily write at $0.015: a month of 365/12 days of writes is $0.45625', () => {
    expect(e.optimized.monthly.cacheWriteUsd).toBe(0.45625); // 304,166.67 calls x 0.0001 x $0.015
    expect(e.optimized.monthly.inputUsd).toBe(0);
  });
});

describe('article: response caching at 30 % duplicates (examples/workloads/article-response-caching.json)', () => {
  const e = estimate(exampleWorkload('article-response-caching.json'));

  test('prices the request at the article\'s average $0.02 exactly', () => {
    expect(e.baseline.perRequestUsd).toBe(0.02);
  });

  test('costs $20,000 a month uncached and $14,000 with the cache: a $6,000 (30 %) saving', () => {
    expect(e.baseline.perMonthUsd).toBe(20_000);
    expect(e.optimized.perMonthUsd).toBe(14_000);
    expect(lever(e, 'responseCaching')).toMatchObject({ configured: true, savingUsd: 6_000, savingFraction: 0.3 });
  });

  test('calls the model 700,000 times', () => {
    expect(e.optimized.modelCallsPerMonth).toBe(700_000);
  });
});

describe('article: Bedrock vs SageMaker at 100M tokens a month (examples/workloads/article-bedrock-vs-sagemaker.json)', () => {
  const workload = exampleWorkload('article-bedrock-vs-sagemaker.json');
  const s = estimate(workload).sagemaker!;

  test('costs $300 on Bedrock', () => {
    expect(s.bedrockMonthlyUsd).toBe(300);
  });

  test('costs $1,329.30 on an always-on ml.g5.xlarge ($1,029.30 + $300), the article\'s $1,329 rounded', () => {
    // $1.41 x 730 h = $1,029.30, which the article writes $1,029.
    expect(s.sagemakerInstanceUsd).toBe(1_029.3);
    expect(s.sagemakerTokenUsd).toBe(300);
    expect(s.sagemakerMonthlyUsd).toBe(1_329.3);
    expect(Math.round(s.sagemakerMonthlyUsd)).toBe(1_329);
  });

  test('finds Bedrock 77 % cheaper and no break-even: SageMaker pays the same per token on top of its hours', () => {
    expect(s.cheaper).toBe('bedrock');
    expect(Math.round(s.cheaperByFraction * 100)).toBe(77);
    expect(s.breakEvenRequestsPerMonth).toBeUndefined();
    expect(s.breakEvenReason).toMatch(/^none/);
  });

  test('costs $30,000 against $31,029.30 at 10 billion tokens (100x the volume)', () => {
    const high = estimate(parseWorkload({ ...exampleJson('article-bedrock-vs-sagemaker.json'), requests: { perMonth: 10_000_000 } }));
    expect(high.sagemaker!.bedrockMonthlyUsd).toBe(30_000);
    expect(high.sagemaker!.sagemakerMonthlyUsd).toBe(31_029.3);
  });
});

describe('article: the POC-to-production spiral (examples/workloads/article-spiral-*.json)', () => {
  const poc = estimate(exampleWorkload('article-spiral-poc.json'));
  const production = estimate(exampleWorkload('article-spiral-production.json'));

  test('costs $180 a month in the POC', () => {
    // The article gives the POC's cost, its 50 testers and its 200-token system prompt only; the workload's other
    // figures are chosen (and say so) to cost exactly $180.
    expect(poc.baseline.perMonthUsd).toBe(180);
  });

  test('costs $18,405 in production, within 0.1 % of the article\'s $18,400', () => {
    // From the article: 150,000 requests, a 4,800-token system prompt, 6,000 tokens of RAG context, 56,000 tokens
    // of history by the 8th turn (28,000 on average); with Claude 3 Sonnet's $3/$15 a month cannot cost exactly
    // $18,400 in whole tokens (it would take 122,666.67 micro-dollars a request).
    expect(production.baseline.perMonthUsd).toBe(18_405);
    expect(Math.abs(production.baseline.perMonthUsd - 18_400) / 18_400).toBeLessThan(0.001);
  });

  test('grows 102x from POC to production, as the article says', () => {
    expect(Math.floor(production.baseline.perMonthUsd / poc.baseline.perMonthUsd)).toBe(102);
  });

  test('sends the system prompt 150,000 times a month, uncached', () => {
    expect(production.baseline.modelCallsPerMonth).toBe(150_000);
    expect(production.baseline.monthly.cacheReadUsd).toBe(0);
  });
});
