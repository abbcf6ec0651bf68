import fc from 'fast-check';
import {
  ATTO_PER_USD,
  BedrockUsage,
  CostBreakdown,
  DEFAULT_MODEL_CATALOG,
  ModelPrice,
  ZERO_COST,
  addCosts,
  attoToUsd,
  costBreakdownToExact,
  lookupModel,
  priceUsage,
  priceUsageExact,
  usdToAtto,
} from '../../../shared/core';

const price = (id: string): ModelPrice => DEFAULT_MODEL_CATALOG[id];
const SONNET_45_GLOBAL = lookupModel('global.anthropic.claude-sonnet-4-5-20250929-v1:0').price; // 3 / 15, read 0.30, 5m 3.75, 1h 6
const HAIKU_45_GLOBAL = lookupModel('global.anthropic.claude-haiku-4-5-20251001-v1:0').price; // 1 / 5, read 0.10, 5m 1.25, 1h 2
const HAIKU_3 = price('anthropic.claude-3-haiku-20240307-v1:0'); // 0.25 / 1.25, no cache prices
const NOVA_MICRO = price('amazon.nova-micro-v1:0'); // 0.035 / 0.14, read 0.00875, write 0.035
const LLAMA_3_70B = price('meta.llama3-70b-instruct-v1:0'); // no batch discount
const TITAN_EMBED_V2 = price('amazon.titan-embed-text-v2:0');

/** The total, read back as an exact decimal, is the exact sum of the parts read back the same way. */
function expectTotalIsSumOfParts(cost: CostBreakdown): void {
  const parts = [cost.inputUsd, cost.outputUsd, cost.cacheReadUsd, cost.cacheWrite5mUsd, cost.cacheWrite1hUsd];
  expect(usdToAtto(cost.totalUsd)).toBe(parts.reduce((sum, usd) => sum + usdToAtto(usd), 0n));
}

describe('priceUsage', () => {
  it('prices every bucket apart: input, output, cache read, 5-minute and 1-hour cache writes', () => {
    // Given Claude Sonnet 4.5 (global profile) and a request that read and wrote the cache with both TTLs
    const usage: BedrockUsage = {
      inputTokens: 1_000,
      outputTokens: 500,
      cacheReadInputTokens: 20_000,
      cacheWriteInputTokens: 3_000,
      cacheDetails: [{ ttl: '5m', inputTokens: 1_000 }, { ttl: '1h', inputTokens: 2_000 }],
    };
    // When
    const cost = priceUsage(usage, SONNET_45_GLOBAL);
    // Then, by hand: tokens x USD per 1M / 1,000,000
    expect(cost).toEqual({
      inputUsd: 0.003, //      1,000 x 3.00
      outputUsd: 0.0075, //      500 x 15.00
      cacheReadUsd: 0.006, //  20,000 x 0.30
      cacheWrite5mUsd: 0.00375, // 1,000 x 3.75
      cacheWrite1hUsd: 0.012, //  2,000 x 6.00
      totalUsd: 0.03225,
      batch: false,
    });
    expectTotalIsSumOfParts(cost);
  });

  it('counts cache writes without cacheDetails as 5-minute writes', () => {
    const cost = priceUsage({ cacheWriteInputTokens: 2_000 }, SONNET_45_GLOBAL);
    expect(cost.cacheWrite5mUsd).toBe(0.0075); // 2,000 x 3.75
    expect(cost.cacheWrite1hUsd).toBe(0);
  });

  it('counts the writes cacheDetails does not cover as 5-minute writes', () => {
    const cost = priceUsage({ cacheWriteInputTokens: 3_000, cacheDetails: [{ ttl: '1h', inputTokens: 1_000 }] }, SONNET_45_GLOBAL);
    expect(cost.cacheWrite1hUsd).toBe(0.006); // 1,000 x 6.00
    expect(cost.cacheWrite5mUsd).toBe(0.0075); // 2,000 x 3.75
    expect(cost.totalUsd).toBe(0.0135);
  });

  it('treats a cacheDetails entry without ttl as the default 5-minute TTL', () => {
    const cost = priceUsage({ cacheWriteInputTokens: 1_000, cacheDetails: [{ inputTokens: 1_000 }] }, SONNET_45_GLOBAL);
    expect(cost.cacheWrite5mUsd).toBe(0.00375);
  });

  it('trusts cacheDetails when they add up to more than cacheWriteInputTokens, so nothing is under-reported', () => {
    const cost = priceUsage({ cacheWriteInputTokens: 500, cacheDetails: [{ ttl: '1h', inputTokens: 1_000 }] }, SONNET_45_GLOBAL);
    expect(cost.cacheWrite1hUsd).toBe(0.006);
    expect(cost.cacheWrite5mUsd).toBe(0);
  });

  it('charges an unknown TTL at the dearest write price', () => {
    const cost = priceUsage({ cacheWriteInputTokens: 1_000, cacheDetails: [{ ttl: '24h', inputTokens: 1_000 }] }, SONNET_45_GLOBAL);
    expect(cost.cacheWrite1hUsd).toBe(0.006); // 1,000 x 6.00, the 1-hour price
  });

  it('applies the batch discount to every bucket', () => {
    // Given Claude Haiku 4.5, 50% off in batch, and 1M tokens in each bucket
    const usage: BedrockUsage = {
      inputTokens: 1_000_000,
      outputTokens: 1_000_000,
      cacheReadInputTokens: 1_000_000,
      cacheWriteInputTokens: 2_000_000,
      cacheDetails: [{ ttl: '1h', inputTokens: 1_000_000 }],
    };
    // When
    const cost = priceUsage(usage, HAIKU_45_GLOBAL, { batch: true });
    // Then every price is halved
    expect(cost).toEqual({
      inputUsd: 0.5,
      outputUsd: 2.5,
      cacheReadUsd: 0.05,
      cacheWrite5mUsd: 0.625,
      cacheWrite1hUsd: 1,
      totalUsd: 4.675,
      batch: true,
    });
  });

  it('prices a batch request on-demand when the model has no batch discount', () => {
    const cost = priceUsage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }, LLAMA_3_70B, { batch: true });
    expect(cost).toMatchObject({ inputUsd: 2.65, outputUsd: 3.5, totalUsd: 6.15, batch: false }); // $2.65 + $3.50 a million, undiscounted
  });

  it('keeps odd micro-dollar amounts exact under a batch discount', () => {
    // 1 token of Nova Micro cache read: 0.00875 / 1M = $0.00000000875, halved = $0.000000004375
    const cost = priceUsage({ cacheReadInputTokens: 1 }, NOVA_MICRO, { batch: true });
    expect(cost.cacheReadUsd).toBe(4.375e-9);
    expect(costBreakdownToExact(cost).cacheReadAtto).toBe(4_375_000_000n);
  });

  it('charges cache reads and writes at the input price when the model has no cache prices (never free)', () => {
    const cost = priceUsage(
      { cacheReadInputTokens: 1_000, cacheWriteInputTokens: 3_000, cacheDetails: [{ ttl: '1h', inputTokens: 1_000 }] },
      HAIKU_3,
    );
    expect(cost.cacheReadUsd).toBe(0.00025); // 1,000 x 0.25
    expect(cost.cacheWrite5mUsd).toBe(0.0005); // 2,000 x 0.25
    expect(cost.cacheWrite1hUsd).toBe(0.00025); // 1,000 x 0.25
  });

  it('prices Nova cache reads 75% off and writes at the input price', () => {
    const cost = priceUsage({ cacheReadInputTokens: 1_000_000, cacheWriteInputTokens: 1_000_000 }, NOVA_MICRO);
    expect(cost.cacheReadUsd).toBe(0.00875);
    expect(cost.cacheWrite5mUsd).toBe(0.035);
  });

  it('prices embeddings on input tokens only', () => {
    const cost = priceUsage({ inputTokens: 1_000_000, outputTokens: 1_000 }, TITAN_EMBED_V2);
    expect(cost).toMatchObject({ inputUsd: 0.02, outputUsd: 0, totalUsd: 0.02 });
  });

  it('prices empty usage at zero', () => {
    expect(priceUsage({}, SONNET_45_GLOBAL)).toEqual(ZERO_COST);
  });

  it('gives exact decimals where floating point would not: 0.1 + 0.2 = 0.3', () => {
    expect(0.1 + 0.2).not.toBe(0.3); // the trap
    const tenCentsTwentyCents: ModelPrice = {
      provider: 'test', name: 'test', kind: 'text', inputPerMillion: 0.1, outputPerMillion: 0.2, contextWindow: 1_000,
    };
    const cost = priceUsage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }, tenCentsTwentyCents);
    expect(cost.inputUsd).toBe(0.1);
    expect(cost.outputUsd).toBe(0.2);
    expect(cost.totalUsd).toBe(0.3);
  });

  it('stays exact at volumes where float arithmetic loses cents', () => {
    // 1 trillion output tokens of Claude 3 Opus at $75 / 1M, plus one single input token at $15 / 1M.
    const cost = priceUsage({ inputTokens: 1, outputTokens: 1_000_000_000_000 }, price('anthropic.claude-3-opus-20240229-v1:0'));
    expect(cost.outputUsd).toBe(75_000_000);
    expect(cost.inputUsd).toBe(0.000015);
    expect(costBreakdownToExact(cost).totalAtto).toBe(75_000_000n * ATTO_PER_USD + 15_000_000_000_000n);
  });

  describe('rejects bad token counts as programming errors', () => {
    it.each<[string, BedrockUsage, RegExp]>([
      ['a negative count', { inputTokens: -1 }, /usage\.inputTokens must be a non-negative integer token count, got -1/],
      ['a fractional count', { outputTokens: 1.5 }, /usage\.outputTokens .* got 1\.5/],
      ['NaN', { cacheReadInputTokens: Number.NaN }, /usage\.cacheReadInputTokens .* got NaN/],
      ['Infinity', { cacheWriteInputTokens: Number.POSITIVE_INFINITY }, /usage\.cacheWriteInputTokens .* got Infinity/],
      ['a string', { inputTokens: '12' as unknown as number }, /usage\.inputTokens .* got "12"/],
      ['an unsafe integer', { inputTokens: 2 ** 53 }, /usage\.inputTokens/],
      ['a bad cacheDetails count', { cacheDetails: [{ ttl: '5m', inputTokens: 1 }, { ttl: '1h', inputTokens: -3 }] }, /usage\.cacheDetails\[1\]\.inputTokens .* got -3/],
      ['a cacheDetails that is not an array', { cacheDetails: {} as never }, /usage\.cacheDetails must be an array/],
    ])('fails on %s', (_case, usage, message) => {
      expect(() => priceUsage(usage, SONNET_45_GLOBAL)).toThrow(TypeError);
      expect(() => priceUsage(usage, SONNET_45_GLOBAL)).toThrow(message);
    });

    it('fails on an invalid price, naming the field', () => {
      expect(() => priceUsage({ inputTokens: 1 }, { ...HAIKU_3, inputPerMillion: -0.25 })).toThrow(/price\.inputPerMillion/);
      expect(() => priceUsage({ inputTokens: 1 }, { ...HAIKU_3, batchDiscount: 2 }, { batch: true })).toThrow(/price\.batchDiscount/);
    });
  });
});

describe('addCosts', () => {
  const a = priceUsage({ inputTokens: 1_000, outputTokens: 200 }, SONNET_45_GLOBAL);
  const b = priceUsage({ cacheReadInputTokens: 4_000, cacheWriteInputTokens: 1_000 }, SONNET_45_GLOBAL, { batch: true });

  it('adds each bucket and recomputes the total from the parts', () => {
    expect(addCosts(a, b)).toEqual({
      inputUsd: 0.003, // 1,000 x 3
      outputUsd: 0.003, // 200 x 15
      cacheReadUsd: 0.0006, // 4,000 x 0.30 x 0.5
      cacheWrite5mUsd: 0.001875, // 1,000 x 3.75 x 0.5
      cacheWrite1hUsd: 0,
      totalUsd: 0.008475,
      batch: true,
    });
  });

  it('has ZERO_COST as its identity', () => {
    expect(addCosts(ZERO_COST, a)).toEqual(a);
    expect(addCosts(b, ZERO_COST)).toEqual(b);
  });

  it('sums exactly where a float running total drifts', () => {
    const dime: CostBreakdown = { ...ZERO_COST, inputUsd: 0.1, totalUsd: 0.1 };
    expect(0.1 + 0.1 + 0.1).not.toBe(0.3);
    expect(addCosts(addCosts(dime, dime), dime).totalUsd).toBe(0.3);
    let sum = ZERO_COST;
    for (let i = 0; i < 10_000; i++) sum = addCosts(sum, priceUsage({ inputTokens: 1 }, NOVA_MICRO));
    expect(sum.inputUsd).toBe(0.00035); // 10,000 x $0.000000035
  });
});

describe('exact decimal conversion', () => {
  it.each([
    [0, 0n],
    [0.1, 100_000_000_000_000_000n],
    [1.5e-7, 150_000_000_000n],
    [-2.25, -2_250_000_000_000_000_000n],
    [1e21, 1_000n * 10n ** 36n],
    [1e-19, 0n], // below an attodollar
    [5e-19, 1n], // rounds half away from zero
  ])('reads %p USD as %p attodollars', (usd, atto) => {
    expect(usdToAtto(usd)).toBe(atto);
  });

  it('round-trips attodollars through USD numbers', () => {
    expect(attoToUsd(20_244_000_000_000_000n)).toBe(0.020244);
    expect(attoToUsd(-1n)).toBe(-1e-18);
    expect(usdToAtto(attoToUsd(1_675n * ATTO_PER_USD))).toBe(1_675n * ATTO_PER_USD);
  });

  it('rejects non-finite amounts', () => {
    expect(() => usdToAtto(Number.NaN)).toThrow(TypeError);
    expect(() => usdToAtto(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });
});

describe('invariants (property-based)', () => {
  const models = Object.values(DEFAULT_MODEL_CATALOG);
  const tokens = fc.integer({ min: 0, max: 10_000_000 });
  const usageArb = fc
    .record({
      inputTokens: tokens,
      outputTokens: tokens,
      cacheReadInputTokens: tokens,
      write5m: tokens,
      write1h: tokens,
      uncovered: tokens,
    })
    .map(({ write5m, write1h, uncovered, ...rest }): BedrockUsage => ({
      ...rest,
      cacheWriteInputTokens: write5m + write1h + uncovered,
      cacheDetails: [{ ttl: '5m', inputTokens: write5m }, { ttl: '1h', inputTokens: write1h }],
    }));
  const modelArb = fc.constantFrom(...models);

  it('the total is exactly the sum of the parts, in USD numbers as well as in integers', () => {
    fc.assert(
      fc.property(usageArb, modelArb, fc.boolean(), (usage, model, batch) => {
        const exact = priceUsageExact(usage, model, { batch });
        const cost = priceUsage(usage, model, { batch });
        expect(exact.totalAtto).toBe(exact.inputAtto + exact.outputAtto + exact.cacheReadAtto + exact.cacheWrite5mAtto + exact.cacheWrite1hAtto);
        expect(costBreakdownToExact(cost)).toEqual(exact);
      }),
      { numRuns: 300 },
    );
  });

  it('pricing is additive: two requests cost what their summed usage costs', () => {
    fc.assert(
      fc.property(usageArb, usageArb, modelArb, (u, v, model) => {
        const sum = (k: 'inputTokens' | 'outputTokens' | 'cacheReadInputTokens' | 'cacheWriteInputTokens') => (u[k] ?? 0) + (v[k] ?? 0);
        const merged: BedrockUsage = {
          inputTokens: sum('inputTokens'),
          outputTokens: sum('outputTokens'),
          cacheReadInputTokens: sum('cacheReadInputTokens'),
          cacheWriteInputTokens: sum('cacheWriteInputTokens'),
          cacheDetails: [...(u.cacheDetails ?? []), ...(v.cacheDetails ?? [])],
        };
        expect(addCosts(priceUsage(u, model), priceUsage(v, model))).toEqual(priceUsage(merged, model));
      }),
      { numRuns: 200 },
    );
  });

  it('addCosts is commutative and associative, exactly', () => {
    const costArb = fc.tuple(usageArb, modelArb, fc.boolean()).map(([u, m, batch]) => priceUsage(u, m, { batch }));
    fc.assert(
      fc.property(costArb, costArb, costArb, (x, y, z) => {
        expect(addCosts(x, y)).toEqual(addCosts(y, x));
        expect(addCosts(addCosts(x, y), z)).toEqual(addCosts(x, addCosts(y, z)));
      }),
      { numRuns: 200 },
    );
  });
});
