import { applyPriceOverrides, completePriceOverride, DEFAULT_MODEL_CATALOG, lookupModel, priceUsage } from '../../../shared/core';

const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const NOVA_MICRO = 'amazon.nova-micro-v1:0';

describe('price overrides', () => {
  test("overriding a known model's input and output prices keeps its cache minimum, limits and batch discount", () => {
    const base = DEFAULT_MODEL_CATALOG[HAIKU_45];
    const merged = completePriceOverride(HAIKU_45, { inputPerMillion: 0.8, outputPerMillion: 4 });

    expect(merged).toMatchObject({ inputPerMillion: 0.8, outputPerMillion: 4 });
    expect(merged.minCacheTokens).toBe(base.minCacheTokens);
    expect(merged.batchDiscount).toBe(base.batchDiscount);
    expect(merged.contextWindow).toBe(base.contextWindow);
    expect(merged.maxOutputTokens).toBe(base.maxOutputTokens);
  });

  test('an override is the price paid: the catalog regional premium is not carried over', () => {
    expect(DEFAULT_MODEL_CATALOG[HAIKU_45].regionalPremium).toBeGreaterThan(0);

    const merged = completePriceOverride(HAIKU_45, { inputPerMillion: 0.8, outputPerMillion: 4 });

    expect(merged.regionalPremium).toBeUndefined();
  });

  test('an override that states a regional premium keeps it', () => {
    expect(completePriceOverride(HAIKU_45, { inputPerMillion: 0.8, regionalPremium: 0.1 }).regionalPremium).toBe(0.1);
  });

  test("cache prices follow the overridden input price with the catalog's own ratios", () => {
    // Given the catalog's Haiku 4.5: input $1, read $0.10, 5-minute write $1.25, 1-hour write $2
    const listed = DEFAULT_MODEL_CATALOG[HAIKU_45];
    const ratio = (field: 'cacheReadPerMillion' | 'cacheWrite5mPerMillion' | 'cacheWrite1hPerMillion') => listed[field]! / listed.inputPerMillion;

    // When only input and output are overridden
    const merged = completePriceOverride(HAIKU_45, { inputPerMillion: 0.8, outputPerMillion: 4 });

    // Then each cache price is the catalog's ratio times the new input price: $0.08, $1, $1.60
    expect(merged.cacheReadPerMillion).toBeCloseTo(ratio('cacheReadPerMillion') * 0.8, 12);
    expect(merged.cacheWrite5mPerMillion).toBeCloseTo(ratio('cacheWrite5mPerMillion') * 0.8, 12);
    expect(merged.cacheWrite1hPerMillion).toBeCloseTo(ratio('cacheWrite1hPerMillion') * 0.8, 12);
    expect([merged.cacheReadPerMillion, merged.cacheWrite5mPerMillion, merged.cacheWrite1hPerMillion]).toEqual([0.08, 1, 1.6]);
  });

  test('Nova cache prices follow the override too: reads a quarter of the input price, writes at it', () => {
    const merged = completePriceOverride(NOVA_MICRO, { inputPerMillion: 0.03, outputPerMillion: 0.12 });

    expect(merged.cacheReadPerMillion).toBe(0.0075);
    expect(merged.cacheWrite5mPerMillion).toBe(0.03);
    expect(merged.cacheWrite1hPerMillion).toBeUndefined();
  });

  test('a cache price given explicitly wins over the ratio', () => {
    const merged = completePriceOverride(HAIKU_45, { inputPerMillion: 0.8, outputPerMillion: 4, cacheReadPerMillion: 0.05 });

    expect(merged.cacheReadPerMillion).toBe(0.05);
    expect(merged.cacheWrite5mPerMillion).toBe(1);
  });

  test('overriding only the output price leaves the cache prices at the catalog values', () => {
    const merged = completePriceOverride(HAIKU_45, { outputPerMillion: 4 });
    const listed = DEFAULT_MODEL_CATALOG[HAIKU_45];

    expect([merged.cacheReadPerMillion, merged.cacheWrite5mPerMillion, merged.cacheWrite1hPerMillion])
      .toEqual([listed.cacheReadPerMillion, listed.cacheWrite5mPerMillion, listed.cacheWrite1hPerMillion]);
  });

  test('an override keyed by a profile id completes from its base model', () => {
    const merged = completePriceOverride(`us.${HAIKU_45}`, { inputPerMillion: 0.8, outputPerMillion: 4 });

    expect(merged).toMatchObject({ name: 'claude-haiku-4-5', minCacheTokens: DEFAULT_MODEL_CATALOG[HAIKU_45].minCacheTokens, cacheWrite5mPerMillion: 1 });
  });

  test('an unknown Anthropic model gets the Anthropic cache multipliers and no prompt caching unless told', () => {
    const merged = completePriceOverride('anthropic.claude-next-v1:0', { inputPerMillion: 2, outputPerMillion: 10 });

    expect(merged).toMatchObject({ provider: 'anthropic', cacheReadPerMillion: 0.2, cacheWrite5mPerMillion: 2.5, cacheWrite1hPerMillion: 4 });
    expect(merged.minCacheTokens).toBeUndefined();
    expect(merged.batchDiscount).toBeUndefined();
  });

  test('an unknown Nova model gets the Nova cache ratios', () => {
    const merged = completePriceOverride('amazon.nova-2-lite-v1:0', { inputPerMillion: 0.3, outputPerMillion: 2.5 });

    expect(merged).toMatchObject({ provider: 'amazon', name: 'nova-2-lite', cacheReadPerMillion: 0.075, cacheWrite5mPerMillion: 0.3 });
    expect(merged.cacheWrite1hPerMillion).toBeUndefined();
  });

  test('an unknown non-Anthropic model has its cache tokens priced at the input price', () => {
    const merged = completePriceOverride('mistral.large-v9:0', { inputPerMillion: 4, outputPerMillion: 12, batchDiscount: 0.5 });

    expect(merged).toMatchObject({ provider: 'mistral', cacheReadPerMillion: 4, cacheWrite5mPerMillion: 4, batchDiscount: 0.5 });
  });

  test('an unknown model with only an input price is charged the fallback output price, never $0', () => {
    const merged = completePriceOverride('acme.frontier-v1', { inputPerMillion: 2 });

    expect(merged.outputPerMillion).toBeGreaterThan(0);
  });

  test('applyPriceOverrides returns the base catalog itself when nothing is overridden', () => {
    expect(applyPriceOverrides(DEFAULT_MODEL_CATALOG, {})).toBe(DEFAULT_MODEL_CATALOG);
  });

  test('an overridden price is charged as is on a geographic profile, a global profile and in-Region', () => {
    const catalog = applyPriceOverrides(DEFAULT_MODEL_CATALOG, { [HAIKU_45]: { inputPerMillion: 0.8, outputPerMillion: 4 } });
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadInputTokens: 1_000_000 };

    const costs = [`us.${HAIKU_45}`, `eu.${HAIKU_45}`, `global.${HAIKU_45}`, HAIKU_45].map((id) => priceUsage(usage, lookupModel(id, catalog).price).totalUsd);

    // $0.80 + $4 + $0.08 for each, whatever the profile
    expect(new Set(costs)).toEqual(new Set([4.88]));
  });

  test('fails when an override has an invalid field, naming the model and the field', () => {
    expect(() => applyPriceOverrides(DEFAULT_MODEL_CATALOG, { [HAIKU_45]: { inputPerMillion: -1 } })).toThrow(/claude-haiku-4-5-20251001-v1:0.*inputPerMillion/);
  });
});
