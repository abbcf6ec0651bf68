import { DEFAULT_MODEL_CATALOG } from '../../shared/core';
import { estimateWorkload, parseWorkload } from '../../estimator';

const NOVA_PRO = 'amazon.nova-pro-v1:0';
const nova = { requests: { perMonth: 1000 }, tokens: { systemPrompt: 100, userInput: 20, output: 10 }, model: NOVA_PRO };
const usd = (tokens: number, usdPerMillion: number): number => (tokens * usdPerMillion) / 1_000_000;

describe('estimator service tiers from the catalog', () => {
  test('prices flex from the catalog\'s Flex prices when no multiplier is given', () => {
    const flex = DEFAULT_MODEL_CATALOG[NOVA_PRO].serviceTiers!.flex!;

    const e = estimateWorkload(parseWorkload({ ...nova, serviceTier: 'flex' }));

    expect(e.optimized.perRequestUsd).toBeCloseTo(usd(120, flex.inputPerMillion) + usd(10, flex.outputPerMillion), 15);
    const lever = e.levers.find((l) => l.lever === 'serviceTier')!;
    expect(lever.setting).toBe('flex (catalog prices)');
    expect(lever.savingFraction).toBeGreaterThan(0);
  });

  test('prices priority from the catalog\'s Priority prices, a negative saving', () => {
    const priority = DEFAULT_MODEL_CATALOG[NOVA_PRO].serviceTiers!.priority!;

    const e = estimateWorkload(parseWorkload({ ...nova, serviceTier: 'priority' }));

    expect(e.optimized.perRequestUsd).toBeCloseTo(usd(120, priority.inputPerMillion) + usd(10, priority.outputPerMillion), 15);
    expect(e.levers.find((l) => l.lever === 'serviceTier')!.savingFraction).toBeLessThan(0);
  });

  test('a multiplier from the workload wins over the catalog', () => {
    const e = estimateWorkload(parseWorkload({ ...nova, serviceTier: { tier: 'flex', priceMultiplier: 0.8 } }));

    expect(e.levers.find((l) => l.lever === 'serviceTier')!.savingFraction).toBeCloseTo(0.2, 12);
  });
});
