import { DEFAULT_MODEL_CATALOG } from '../../../../shared/core';
import { configuredModelPrice, effectiveCatalog, modelPrice, priceCall } from '../../../../lambda/pipeline/stages/price-call';
import { Usage } from '../../../../lambda/pipeline/types';
import { HAIKU_45, testConfig } from '../support';

// Prices per 1M tokens from lambda/core/model-catalog.ts. Claude Haiku 4.5 (global profile): input $1, output $5,
// cache read $0.10 (0.1x), 5-minute write $1.25 (1.25x), 1-hour write $2 (2x); through a geographic profile (`us.`)
// every price is 10% higher. Unknown models: the fallback price, $15 input / $75 output.

const config = testConfig();
const catalog = effectiveCatalog(config);
const plain: Usage = { inputTokens: 1_000, outputTokens: 500, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };

describe('price-call stage', () => {
  test('prices input and output of a catalog model and says it came from the catalog', () => {
    const cost = priceCall(plain, undefined, `global.${HAIKU_45}`, catalog, config);

    // 1,000 x $1/1M = $0.001; 500 x $5/1M = $0.0025
    expect(cost).toEqual({
      inputUsd: 0.001, outputUsd: 0.0025, cacheReadUsd: 0, cacheWrite5mUsd: 0, cacheWrite1hUsd: 0, totalUsd: 0.0035, batch: false, priced: 'catalog',
    });
  });

  test('prices cache reads, 5-minute writes and 1-hour writes apart', () => {
    // Given 2,000 tokens read from the cache and 3,000 written: 1,000 with the 1-hour TTL, 2,000 with 5 minutes
    const usage: Usage = { inputTokens: 1_000, outputTokens: 500, cacheReadInputTokens: 2_000, cacheWriteInputTokens: 3_000 };
    const details = [{ ttl: '1h', inputTokens: 1_000 }, { ttl: '5m', inputTokens: 2_000 }];

    // When the call is priced
    const cost = priceCall(usage, details, `global.${HAIKU_45}`, catalog, config);

    // Then read 2,000 x $0.10/1M = $0.0002; 5m 2,000 x $1.25/1M = $0.0025; 1h 1,000 x $2/1M = $0.002;
    // total $0.001 + $0.0025 + $0.0002 + $0.0025 + $0.002 = $0.0082
    expect(cost).toMatchObject({ cacheReadUsd: 0.0002, cacheWrite5mUsd: 0.0025, cacheWrite1hUsd: 0.002, totalUsd: 0.0082 });
  });

  test('prices cache writes without TTL details as 5-minute writes', () => {
    const usage: Usage = { ...plain, cacheWriteInputTokens: 4_000 };

    const cost = priceCall(usage, undefined, `global.${HAIKU_45}`, catalog, config);

    // 4,000 x $1.25/1M = $0.005
    expect(cost.cacheWrite5mUsd).toBe(0.005);
    expect(cost.cacheWrite1hUsd).toBe(0);
  });

  test('charges the regional premium on a geographic inference profile', () => {
    const cost = priceCall(plain, undefined, `us.${HAIKU_45}`, catalog, config);

    // 1,000 x $1.10/1M = $0.0011; 500 x $5.50/1M = $0.00275; total $0.00385
    expect(cost).toMatchObject({ inputUsd: 0.0011, outputUsd: 0.00275, totalUsd: 0.00385, priced: 'catalog' });
  });

  test('prices a model the catalog does not know at the expensive fallback, and flags it', () => {
    const cost = priceCall(plain, undefined, 'acme.frontier-v1', catalog, config);

    // 1,000 x $15/1M = $0.015; 500 x $75/1M = $0.0375; total $0.0525
    expect(cost).toMatchObject({ inputUsd: 0.015, outputUsd: 0.0375, totalUsd: 0.0525, priced: 'fallback' });
  });

  test('uses the configured fallback price for unknown models', () => {
    const withFallback = testConfig({
      fallbackPrice: { provider: 'acme', name: 'frontier', kind: 'text', inputPerMillion: 2, outputPerMillion: 8, contextWindow: 100_000 },
    });

    const cost = priceCall(plain, undefined, 'acme.frontier-v1', effectiveCatalog(withFallback), withFallback);

    // 1,000 x $2/1M = $0.002; 500 x $8/1M = $0.004
    expect(cost).toMatchObject({ inputUsd: 0.002, outputUsd: 0.004, totalUsd: 0.006, priced: 'fallback' });
  });

  describe('a configured price override', () => {
    // Given a negotiated Haiku 4.5 price of $0.80 / $4, typed from the bill
    const negotiated = testConfig({ priceOverrides: { [HAIKU_45]: { inputPerMillion: 0.8, outputPerMillion: 4 } } });
    const overridden = effectiveCatalog(negotiated);

    test('is charged as the price paid on a geographic profile: no regional premium on top', () => {
      const cost = priceCall(plain, undefined, `us.${HAIKU_45}`, overridden, negotiated);

      // 1,000 x $0.80/1M = $0.0008; 500 x $4/1M = $0.002 (not $0.00088 and $0.0022)
      expect(cost).toMatchObject({ inputUsd: 0.0008, outputUsd: 0.002, totalUsd: 0.0028, priced: 'catalog' });
    });

    test('is charged the same on a global profile and in-Region', () => {
      const global = priceCall(plain, undefined, `global.${HAIKU_45}`, overridden, negotiated);
      const inRegion = priceCall(plain, undefined, HAIKU_45, overridden, negotiated);

      expect(global.totalUsd).toBe(0.0028);
      expect(inRegion.totalUsd).toBe(0.0028);
    });

    test("prices cache tokens with the model's ratios applied to the overridden input price", () => {
      // Given 2,000 tokens read, 2,000 written for 5 minutes and 1,000 for an hour
      const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 2_000, cacheWriteInputTokens: 3_000 };
      const details = [{ ttl: '1h', inputTokens: 1_000 }, { ttl: '5m', inputTokens: 2_000 }];

      const cost = priceCall(usage, details, `us.${HAIKU_45}`, overridden, negotiated);

      // read 0.1 x $0.80 = $0.08/1M: 2,000 -> $0.00016; 5m 1.25 x $0.80 = $1/1M: 2,000 -> $0.002;
      // 1h 2 x $0.80 = $1.60/1M: 1,000 -> $0.0016
      expect(cost).toMatchObject({ cacheReadUsd: 0.00016, cacheWrite5mUsd: 0.002, cacheWrite1hUsd: 0.0016, totalUsd: 0.00376 });
    });

    test('uses a cache price the override gives explicitly', () => {
      const explicit = testConfig({ priceOverrides: { [HAIKU_45]: { inputPerMillion: 0.8, outputPerMillion: 4, cacheReadPerMillion: 0.05 } } });
      const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 2_000, cacheWriteInputTokens: 2_000 };

      const cost = priceCall(usage, undefined, `us.${HAIKU_45}`, effectiveCatalog(explicit), explicit);

      // read at the given $0.05/1M: $0.0001; the 5-minute write still follows the ratio, $1/1M: $0.002
      expect(cost).toMatchObject({ cacheReadUsd: 0.0001, cacheWrite5mUsd: 0.002 });
    });

    test('leaves the other models at their catalog prices', () => {
      expect(overridden['amazon.nova-micro-v1:0']).toBe(DEFAULT_MODEL_CATALOG['amazon.nova-micro-v1:0']);
    });

    test('is what configuredModelPrice answers for a caller holding only the configuration', () => {
      expect(configuredModelPrice(`us.${HAIKU_45}`, negotiated)).toEqual(modelPrice(`us.${HAIKU_45}`, overridden, negotiated));
      expect(configuredModelPrice(`us.${HAIKU_45}`, negotiated).price).toMatchObject({ inputPerMillion: 0.8, cacheWrite5mPerMillion: 1 });
    });
  });

  test('builds the catalog once per configuration', () => {
    const negotiated = testConfig({ priceOverrides: { [HAIKU_45]: { inputPerMillion: 0.8, outputPerMillion: 4 } } });

    expect(effectiveCatalog(negotiated)).toBe(effectiveCatalog(negotiated));
  });

  test('uses the default catalog as is when nothing is overridden', () => {
    expect(effectiveCatalog(config)).toBe(DEFAULT_MODEL_CATALOG);
  });

  test("reports a model's cache minimum with its price", () => {
    expect(modelPrice(`global.${HAIKU_45}`, catalog, config)).toMatchObject({ known: true, price: { minCacheTokens: DEFAULT_MODEL_CATALOG[HAIKU_45].minCacheTokens } });
    expect(modelPrice('acme.frontier-v1', catalog, config).known).toBe(false);
  });
});
