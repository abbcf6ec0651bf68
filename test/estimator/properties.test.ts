import fc from 'fast-check';
import { DEFAULT_MODEL_CATALOG, DEFAULT_TIER_MODELS } from '../../shared/core';
import { estimateWorkload, parseWorkload, WorkloadEstimate } from '../../estimator';
import { jsonErrorOffset } from '../../estimator/json-position';
import { ARTICLE_PRICES } from '../fixtures/article-prices';

const ARTICLE_MODELS = Object.keys(ARTICLE_PRICES).filter((id) => ARTICLE_PRICES[id].kind === 'text');
const CATALOG_MODELS = Object.values(DEFAULT_TIER_MODELS);

const tokens = fc.record({
  systemPrompt: fc.nat(20_000),
  ragContext: fc.nat(20_000),
  history: fc.nat(60_000),
  userInput: fc.nat(2_000),
  output: fc.nat(8_000),
});
const requests = fc.oneof(fc.record({ perMonth: fc.nat(1_000_000_000) }), fc.record({ perDay: fc.nat(10_000_000) }));

/** A workload using any lever, priced by the shipped catalog or the article's prices. */
const workload = fc
  .record({
    useArticle: fc.boolean(),
    requests,
    tokens,
    models: fc.array(fc.nat(100), { minLength: 3, maxLength: 3 }),
    weights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 3 }),
    promptCache: fc.option(fc.record({
      parts: fc.subarray(['systemPrompt', 'ragContext', 'history', 'userInput'], { minLength: 1 }),
      // Below 0.45 a write share can never make caching dearer than no caching (1-hour writes at 2x break even at
      // 0.47). A share derived from the TTL can: at a few requests a day every call writes (tested below).
      cacheWriteShare: fc.double({ min: 0, max: 0.45, noNaN: true }),
      ttl: fc.constantFrom('5m', '1h'),
    }), { nil: undefined }),
    duplicateRate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    outputCap: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
    batchShare: fc.double({ min: 0, max: 1, noNaN: true }),
    flex: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
    sagemaker: fc.option(fc.record({ hourlyUsd: fc.double({ min: 0, max: 50, noNaN: true }), instances: fc.integer({ min: 1, max: 8 }), requestsPerSecond: fc.double({ min: 0.01, max: 100, noNaN: true }) }), { nil: undefined }),
  })
  .map((w) => {
    const ids = w.useArticle ? ARTICLE_MODELS : CATALOG_MODELS;
    const total = w.weights.reduce((a, b) => a + b, 0);
    const tiers = ['simple', 'medium', 'complex'] as const;
    const routing = Object.fromEntries(w.weights.map((weight, i) => [tiers[i], { model: ids[w.models[i] % ids.length], share: weight / total }]));
    return {
      useArticle: w.useArticle,
      json: {
        requests: w.requests,
        tokens: w.tokens,
        routing,
        ...(w.promptCache ? { promptCache: w.promptCache } : {}),
        ...(w.duplicateRate !== undefined ? { responseCache: { duplicateRate: w.duplicateRate } } : {}),
        ...(w.outputCap !== undefined ? { outputCap: w.outputCap } : {}),
        batchShare: w.batchShare,
        ...(w.flex !== undefined ? { serviceTier: { tier: 'flex', priceMultiplier: w.flex } } : {}),
        ...(w.sagemaker ? { sagemaker: w.sagemaker } : {}),
      } as Record<string, unknown>,
    };
  });

const run = (w: { useArticle: boolean; json: Record<string, unknown> }): WorkloadEstimate =>
  estimateWorkload(parseWorkload(w.json), { catalog: w.useArticle ? ARTICLE_PRICES : DEFAULT_MODEL_CATALOG });

function numbersIn(value: unknown, path = ''): Array<[string, number]> {
  if (typeof value === 'number') return [[path, value]];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
  return [];
}

describe('estimator properties', () => {
  test('more requests never cost less', () => {
    fc.assert(fc.property(workload, fc.nat(1_000_000), (w, extra) => {
      const req = w.json.requests as { perMonth?: number; perDay?: number };
      const more = { ...w, json: { ...w.json, requests: req.perMonth !== undefined ? { perMonth: req.perMonth + extra } : { perDay: (req.perDay ?? 0) + extra } } };
      const [a, b] = [run(w), run(more)];
      expect(b.baseline.perMonthUsd).toBeGreaterThanOrEqual(a.baseline.perMonthUsd);
      expect(b.optimized.perMonthUsd).toBeGreaterThanOrEqual(a.optimized.perMonthUsd);
      expect(b.library.monthlyUsd).toBeGreaterThanOrEqual(a.library.monthlyUsd);
    }), { numRuns: 150 });
  });

  test('no lever increases the cost (flex tier, write shares below break-even)', () => {
    fc.assert(fc.property(workload, (w) => {
      const e = run(w);
      for (const lever of e.levers) {
        expect({ lever: lever.lever, saving: lever.savingUsd >= 0 }).toEqual({ lever: lever.lever, saving: true });
        expect(lever.perMonthUsd).toBeLessThanOrEqual(e.baseline.perMonthUsd);
      }
      expect(e.optimized.perMonthUsd).toBeLessThanOrEqual(e.baseline.perMonthUsd);
    }), { numRuns: 200 });
  });

  test('an unconfigured lever saves exactly nothing', () => {
    fc.assert(fc.property(workload, (w) => {
      for (const lever of run(w).levers) if (!lever.configured) expect(lever.savingUsd).toBe(0);
    }), { numRuns: 100 });
  });

  test('zero duplicates means zero response-cache savings', () => {
    fc.assert(fc.property(workload, (w) => {
      const e = run({ ...w, json: { ...w.json, responseCache: { duplicateRate: 0 } } });
      const responseCaching = e.levers.find((l) => l.lever === 'responseCaching')!;
      expect(responseCaching.configured).toBe(true);
      expect(responseCaching.savingUsd).toBe(0);
    }), { numRuns: 100 });
  });

  test('every figure is finite, never NaN, and the estimate is plain JSON', () => {
    fc.assert(fc.property(workload, (w) => {
      const e = run(w);
      for (const [path, n] of numbersIn(e)) expect({ path, finite: Number.isFinite(n) }).toEqual({ path, finite: true });
      expect(JSON.parse(JSON.stringify(e))).toEqual(e);
    }), { numRuns: 200 });
  });

  test('the baseline is the dearest single model: routing alone never beats all-on-one-model by less than zero', () => {
    fc.assert(fc.property(workload, (w) => {
      const e = run(w);
      const models = new Set(e.traffic.map((t) => t.modelId));
      for (const model of models) {
        const single = run({ ...w, json: { ...w.json, routing: { simple: { model, share: 1 } } } });
        expect(single.baseline.perMonthUsd).toBeLessThanOrEqual(e.baseline.perMonthUsd);
      }
    }), { numRuns: 60 });
  });

  test('the JSON scanner accepts what JSON.stringify writes', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(jsonErrorOffset(JSON.stringify(v, null, 2))).toBeUndefined();
    }), { numRuns: 300 });
  });

  test('the JSON scanner finds an error wherever JSON.parse does', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(jsonErrorOffset(text) === undefined).toBe(valid);
    }), { numRuns: 500 });
  });
});

describe('levers that can cost more', () => {
  const json = { requests: { perMonth: 1000 }, tokens: { systemPrompt: 4_000, output: 10 }, model: 'anthropic.claude-3-5-sonnet-20240620-v1:0' };

  test('prompt caching written on every call costs more than no caching, and says so', () => {
    const e = estimateWorkload(parseWorkload({ ...json, promptCache: { parts: ['systemPrompt'], cacheWriteShare: 1 } }), { catalog: ARTICLE_PRICES });
    const caching = e.levers.find((l) => l.lever === 'promptCaching')!;
    expect(caching.savingUsd).toBe(-3); // 1,000 x 4,000 x ($3.75 - $3) / 1M
    expect(e.notes.join('\n')).toMatch(/Prompt caching costs more than it saves/);
  });

  test('prompt caching with a write share from the TTL costs more at a few requests a day: every call writes', () => {
    const e = estimateWorkload(parseWorkload({ ...json, requests: { perDay: 10 }, promptCache: { parts: ['systemPrompt'] } }), { catalog: ARTICLE_PRICES });
    const caching = e.levers.find((l) => l.lever === 'promptCaching')!;
    expect(caching.savingPerDayUsd).toBe(-0.03); // 10 writes x 4,000 x $0.75 / 1M: each 5-minute window sees one call
  });

  test('prompt caching with a write share from the TTL: one write per 5 minutes at 10,000 requests a day', () => {
    const e = estimateWorkload(parseWorkload({ ...json, requests: { perDay: 10_000 }, promptCache: { parts: ['systemPrompt'] } }), { catalog: ARTICLE_PRICES });
    // 288 windows a day: 288 writes ($4.32) and 9,712 reads ($11.6544), plus 10,000 x 10 output tokens ($1.50).
    expect(e.optimized.perDayUsd).toBe(17.4744);
  });

  test('the priority tier is a negative saving', () => {
    const e = estimateWorkload(parseWorkload({ ...json, serviceTier: { tier: 'priority', priceMultiplier: 1.75 } }), { catalog: ARTICLE_PRICES });
    expect(e.levers.find((l) => l.lever === 'serviceTier')!.savingFraction).toBe(-0.75);
  });
});
