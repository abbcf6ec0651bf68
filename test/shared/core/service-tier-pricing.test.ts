import { DEFAULT_MODEL_CATALOG, ModelPrice, priceUsageExact, serviceTierPrice, serviceTiersOf, validateModelPrice } from '../../../shared/core';

const NOVA_PRO = DEFAULT_MODEL_CATALOG['amazon.nova-pro-v1:0'];
const HAIKU_45 = DEFAULT_MODEL_CATALOG['anthropic.claude-haiku-4-5-20251001-v1:0'];
const TIERED: ModelPrice = {
  provider: 'test', name: 'tiered', kind: 'text', inputPerMillion: 1, outputPerMillion: 4, cacheReadPerMillion: 0.1, batchDiscount: 0.5, contextWindow: 1000,
  serviceTiers: { flex: { inputPerMillion: 0.5, outputPerMillion: 2 }, priority: { inputPerMillion: 1.75, outputPerMillion: 7, cacheReadPerMillion: 0.175 } },
};
// micro-dollars per 1M x tokens x 1e6 = attodollars
const atto = (tokens: number, usdPerMillion: number): bigint => BigInt(tokens) * BigInt(Math.round(usdPerMillion * 1e6)) * 1_000_000n;

describe('service tier prices', () => {
  test('prices each bucket from the tier\'s own prices, exactly', () => {
    const usage = { inputTokens: 1_234, outputTokens: 567, cacheReadInputTokens: 89 };

    const cost = priceUsageExact(usage, TIERED, { serviceTier: 'priority' });

    expect(cost.inputAtto).toBe(atto(1_234, 1.75));
    expect(cost.outputAtto).toBe(atto(567, 7));
    expect(cost.cacheReadAtto).toBe(atto(89, 0.175));
    expect(cost.totalAtto).toBe(cost.inputAtto + cost.outputAtto + cost.cacheReadAtto);
  });

  test('charges cache reads of a tier without cache prices at the tier\'s input price', () => {
    const cost = priceUsageExact({ cacheReadInputTokens: 1_000 }, TIERED, { serviceTier: 'flex' });

    expect(cost.cacheReadAtto).toBe(atto(1_000, 0.5));
  });

  test('prices standard and batch calls as before, whatever tier is named for batch', () => {
    const usage = { inputTokens: 100, outputTokens: 10 };

    expect(priceUsageExact(usage, TIERED, { serviceTier: 'standard' })).toEqual(priceUsageExact(usage, TIERED));
    expect(priceUsageExact(usage, TIERED, { batch: true, serviceTier: 'flex' })).toEqual(priceUsageExact(usage, TIERED, { batch: true }));
  });

  test('fails when the model has no price for the tier', () => {
    expect(() => priceUsageExact({ inputTokens: 1 }, HAIKU_45, { serviceTier: 'flex' })).toThrow(/claude-haiku-4-5 has no flex tier price/);
  });

  test('the catalog lists Flex and Priority for Nova Pro and none for Claude', () => {
    expect(serviceTiersOf(NOVA_PRO)).toEqual(['standard', 'flex', 'priority']);
    expect(serviceTiersOf(HAIKU_45)).toEqual(['standard']);
    expect(serviceTierPrice(NOVA_PRO, 'flex')!.inputPerMillion).toBeLessThan(NOVA_PRO.inputPerMillion);
    expect(serviceTierPrice(NOVA_PRO, 'priority')!.outputPerMillion).toBeGreaterThan(NOVA_PRO.outputPerMillion);
  });

  test('fails validation of a tier price that is not a price', () => {
    const bad = { ...TIERED, serviceTiers: { flex: { inputPerMillion: -1, outputPerMillion: 2 } } };

    expect(() => validateModelPrice('test.tiered', bad)).toThrow(/serviceTiers\.flex\.inputPerMillion must be a finite number >= 0/);
  });
});
