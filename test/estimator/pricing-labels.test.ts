import { DEFAULT_MODEL_CATALOG } from '../../shared/core';
import { estimateWorkload, parseWorkload } from '../../estimator';

const NOVA_PRO = 'amazon.nova-pro-v1:0';
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const base = { requests: { perMonth: 1000 }, tokens: { systemPrompt: 2000, userInput: 20, output: 10 } };

describe('estimator price labels', () => {
  test('labels a model priced by the workload\'s own prices as such, and the others as catalog', () => {
    const e = estimateWorkload(parseWorkload({
      ...base,
      routing: { simple: { model: HAIKU, share: 0.5 }, complex: { model: 'acme.llm-9000', share: 0.5 } },
      prices: { 'acme.llm-9000': { inputPerMillion: 1, outputPerMillion: 2 } },
    }));

    expect(e.pricing.models).toEqual([
      { modelId: HAIKU, name: 'claude-3-haiku', source: 'catalog' },
      { modelId: 'acme.llm-9000', name: expect.any(String), source: 'workload' },
    ]);
  });

  test('labels a partial override of a catalog model as workload over catalog, or over the price file', () => {
    const workload = parseWorkload({ ...base, model: `us.${HAIKU}`, prices: { [HAIKU]: { inputPerMillion: 0.2 } } });

    expect(estimateWorkload(workload).pricing.models[0].source).toBe('workload over catalog');
    expect(estimateWorkload(workload, { catalogSource: 'price file' }).pricing.models[0].source).toBe('workload over price file');
  });

  test('says no tier for the standard tier', () => {
    expect(estimateWorkload(parseWorkload({ ...base, model: NOVA_PRO })).pricing.serviceTier).toBeUndefined();
  });
});

describe('estimator Flex cache assumption', () => {
  const cached = { ...base, model: NOVA_PRO, promptCache: { parts: ['systemPrompt'], cacheWriteShare: 0.01 } };

  test('under Flex from catalog tier prices, cache reads cost the Flex input price, and the output says so', () => {
    const flex = DEFAULT_MODEL_CATALOG[NOVA_PRO].serviceTiers!.flex!;

    const e = estimateWorkload(parseWorkload({ ...cached, serviceTier: 'flex' }));

    expect(e.pricing.serviceTier).toEqual({ tier: 'flex', basis: 'catalog tier prices', cacheAssumption: expect.stringMatching(/AWS publishes no flex cache prices, so cache reads and writes are charged at the flex input price/) });
    // Every prompt token at the Flex input price, cached or not: caching saves nothing in the tier.
    expect(e.optimized.perRequestUsd).toBeCloseTo((2020 * flex.inputPerMillion + 10 * flex.outputPerMillion) / 1e6, 15);
    expect(e.notes.some((n) => n.startsWith('Prompt caching in the flex tier: AWS publishes no flex cache prices'))).toBe(true);
  });

  test('with a multiplier, the cache prices are scaled like every other token, and the output says so', () => {
    const e = estimateWorkload(parseWorkload({ ...cached, serviceTier: { tier: 'flex', priceMultiplier: 0.5 } }));

    expect(e.pricing.serviceTier).toEqual({ tier: 'flex', basis: 'multiplier x0.5', cacheAssumption: expect.stringContaining('standard cache prices times the workload\'s multiplier (x0.5)') });
  });
});
