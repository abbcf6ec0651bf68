/**
 * The worked examples of the GenAI FinOps reference article, reproduced from the article's own prices (the price file
 * test/fixtures/article-prices.json) and the exact pricing. Where the article rounds, the test shows both the exact
 * figure and how the article's figure comes out of it.
 */
import { ZERO_COST, addCosts, lookupModel as lookupIn, priceUsage } from '../../../shared/core';
import { ARTICLE_PRICES } from '../../fixtures/article-prices';

// Every example is priced with the article's prices, never the shipped catalog's current ones.
const lookupModel = (modelId: string) => lookupIn(modelId, ARTICLE_PRICES);

const CLAUDE_3_HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const CLAUDE_3_SONNET = 'anthropic.claude-3-sonnet-20240229-v1:0';
const CLAUDE_3_5_SONNET = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const CLAUDE_3_OPUS = 'anthropic.claude-3-opus-20240229-v1:0';

const perThousand = (usdPerMillion: number) => usdPerMillion / 1_000;
const round = (usd: number, places: number) => Math.round(usd * 10 ** places) / 10 ** places;

describe('article prices', () => {
  it('are a fixture every article model is found in, not the fallback price', () => {
    for (const modelId of [CLAUDE_3_HAIKU, CLAUDE_3_SONNET, CLAUDE_3_5_SONNET, CLAUDE_3_OPUS, 'amazon.titan-text-express-v1', 'meta.llama3-70b-instruct-v1:0', 'amazon.titan-embed-text-v1']) {
      expect({ modelId, known: lookupModel(modelId).known }).toEqual({ modelId, known: true });
    }
  });
});

describe('article: Amazon Bedrock pricing example (Claude 3 Sonnet)', () => {
  it('charges $0.003 per 1K input tokens and $0.015 per 1K output tokens', () => {
    const { price } = lookupModel(CLAUDE_3_SONNET);
    expect(perThousand(price.inputPerMillion)).toBe(0.003);
    expect(perThousand(price.outputPerMillion)).toBe(0.015);
  });

  it('charges $0.0001 per 1K tokens for embeddings (Titan Text Embeddings)', () => {
    const { price } = lookupModel('amazon.titan-embed-text-v1');
    expect(priceUsage({ inputTokens: 1_000 }, price).totalUsd).toBe(0.0001);
  });
});

describe('article: a "Hello" that consumes 6,709 tokens', () => {
  // 6,708 input tokens (system prompt, history, RAG chunks, "Hello") and 8 output tokens at Claude 3 Sonnet.
  const cost = priceUsage({ inputTokens: 6_708, outputTokens: 8 }, lookupModel(CLAUDE_3_SONNET).price);

  it('prices the input at $0.020124 and the output at $0.00012, exactly', () => {
    expect(cost.inputUsd).toBe(0.020124); // 6,708 x $0.003 / 1,000
    expect(cost.outputUsd).toBe(0.00012); //    8 x $0.015 / 1,000
    expect(cost.totalUsd).toBe(0.020244);
  });

  it('gives the article\'s $0.0201 when the input is rounded to $0.020 and the output to $0.0001, as the article does', () => {
    // The exact total rounds to $0.0202 at 4 decimals; the article adds its two rounded lines instead.
    expect(round(cost.totalUsd, 4)).toBe(0.0202);
    expect(round(round(cost.inputUsd, 3) + round(cost.outputUsd, 4), 4)).toBe(0.0201);
  });

  it('costs $2,024.40 for 100,000 greetings (the article rounds to $2,010 from its $0.0201)', () => {
    let month = ZERO_COST;
    for (let i = 0; i < 100_000; i++) month = addCosts(month, cost);
    expect(month.totalUsd).toBe(2_024.4);
    expect(round(0.0201 * 100_000, 2)).toBe(2_010);
  });
});

describe('article: model pricing comparison (input tokens per 1,000)', () => {
  it.each([
    [CLAUDE_3_HAIKU, 0.00025],
    [CLAUDE_3_5_SONNET, 0.003],
    [CLAUDE_3_OPUS, 0.015],
    ['amazon.titan-text-express-v1', 0.0002],
    ['meta.llama3-70b-instruct-v1:0', 0.00195],
  ])('%s costs $%p per 1K input tokens', (modelId, usdPerThousand) => {
    expect(priceUsage({ inputTokens: 1_000 }, lookupModel(modelId).price).inputUsd).toBe(usdPerThousand);
  });

  it('has Opus at 60x Haiku and Titan Express at 0.8x', () => {
    const input = (id: string) => lookupModel(id).price.inputPerMillion;
    expect(input(CLAUDE_3_OPUS) / input(CLAUDE_3_HAIKU)).toBe(60);
    expect(input('amazon.titan-text-express-v1') / input(CLAUDE_3_HAIKU)).toBe(0.8);
  });
});

describe('article: hybrid routing of 1 billion input tokens a month', () => {
  const inputCost = (modelId: string, tokens: number) => priceUsage({ inputTokens: tokens }, lookupModel(modelId).price);

  it('costs $250 all on Haiku and $15,000 all on Opus', () => {
    expect(inputCost(CLAUDE_3_HAIKU, 1_000_000_000).totalUsd).toBe(250);
    expect(inputCost(CLAUDE_3_OPUS, 1_000_000_000).totalUsd).toBe(15_000);
  });

  it('costs $175 + $750 + $750 = $1,675 routed 70% Haiku, 25% Sonnet, 5% Opus: an 89% saving', () => {
    const simple = inputCost(CLAUDE_3_HAIKU, 700_000_000);
    const medium = inputCost(CLAUDE_3_5_SONNET, 250_000_000);
    const complex = inputCost(CLAUDE_3_OPUS, 50_000_000);
    expect([simple.totalUsd, medium.totalUsd, complex.totalUsd]).toEqual([175, 750, 750]);

    const hybrid = addCosts(addCosts(simple, medium), complex);
    expect(hybrid.totalUsd).toBe(1_675);
    expect(Math.round((1 - hybrid.totalUsd / 15_000) * 100)).toBe(89);
  });
});

describe('article: prompt caching a 4,000-token system prompt used 10,000 times a day (Claude 3.5 Sonnet)', () => {
  const { price } = lookupModel(CLAUDE_3_5_SONNET);

  it('prices cache writes at $0.00375 and cache reads at $0.0003 per 1K tokens', () => {
    expect(perThousand(price.cacheWrite5mPerMillion ?? Number.NaN)).toBe(0.00375);
    expect(perThousand(price.cacheReadPerMillion ?? Number.NaN)).toBe(0.0003);
  });

  it('costs $120 a day without caching', () => {
    const oneRequest = priceUsage({ inputTokens: 4_000 }, price);
    let day = ZERO_COST;
    for (let i = 0; i < 10_000; i++) day = addCosts(day, oneRequest);
    expect(day.totalUsd).toBe(120);
  });

  it('costs $12.015 a day with caching: one $0.015 write and $12 of reads, a $107.985 saving', () => {
    const write = priceUsage({ cacheWriteInputTokens: 4_000 }, price);
    const read = priceUsage({ cacheReadInputTokens: 4_000 }, price);
    let day = write;
    for (let i = 0; i < 10_000; i++) day = addCosts(day, read);

    expect(write.cacheWrite5mUsd).toBe(0.015);
    expect(day.cacheReadUsd).toBe(12);
    expect(day.totalUsd).toBe(12.015);
    expect(addCosts(day, { ...ZERO_COST, inputUsd: -120, totalUsd: -120 }).totalUsd).toBe(-107.985);
  });
});
