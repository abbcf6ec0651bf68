import { completePriceOverride, DEFAULT_MODEL_CATALOG } from '../../../lambda/core';
import { normalizeConfig } from '../../../lambda/pipeline/config';
import { effectiveCatalog } from '../../../lambda/pipeline/stages/price-call';

const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';

describe('price overrides', () => {
  test("overriding a known model's input and output prices keeps its cache minimum, batch discount and premium", () => {
    const base = DEFAULT_MODEL_CATALOG[HAIKU_45];
    const merged = completePriceOverride(HAIKU_45, { inputPerMillion: 0.8, outputPerMillion: 4 });

    expect(merged).toMatchObject({ inputPerMillion: 0.8, outputPerMillion: 4 });
    expect(merged.minCacheTokens).toBe(base.minCacheTokens);
    expect(merged.batchDiscount).toBe(base.batchDiscount);
    expect(merged.regionalPremium).toBe(base.regionalPremium);
  });

  test('an unknown Anthropic model gets the Anthropic cache multipliers and no prompt caching unless told', () => {
    const merged = completePriceOverride('anthropic.claude-next-v1:0', { inputPerMillion: 2, outputPerMillion: 10 });

    expect(merged).toMatchObject({ provider: 'anthropic', cacheReadPerMillion: 0.2, cacheWrite5mPerMillion: 2.5, cacheWrite1hPerMillion: 4 });
    expect(merged.minCacheTokens).toBeUndefined();
    expect(merged.batchDiscount).toBeUndefined();
  });

  test('an unknown non-Anthropic model has its cache tokens priced at the input price', () => {
    const merged = completePriceOverride('mistral.large-v9:0', { inputPerMillion: 4, outputPerMillion: 12, batchDiscount: 0.5 });

    expect(merged).toMatchObject({ provider: 'mistral', cacheReadPerMillion: 4, cacheWrite5mPerMillion: 4, batchDiscount: 0.5 });
  });

  test('the runtime catalog applies overrides field by field and leaves other models alone', () => {
    const catalog = effectiveCatalog(normalizeConfig({
      tiers: { simple: { invokeId: HAIKU_45, modelId: HAIKU_45 } },
      priceOverrides: { [HAIKU_45]: { inputPerMillion: 0.8 } },
    }));

    expect(catalog[HAIKU_45]).toMatchObject({ inputPerMillion: 0.8, outputPerMillion: DEFAULT_MODEL_CATALOG[HAIKU_45].outputPerMillion });
    expect(catalog['amazon.nova-micro-v1:0']).toEqual(DEFAULT_MODEL_CATALOG['amazon.nova-micro-v1:0']);
  });
});
