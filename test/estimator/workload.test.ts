import { estimateWorkload, MAX_REQUESTS_PER_MONTH, parseWorkload, parseWorkloadText, WorkloadError } from '../../estimator';
import { ARTICLE_PRICES } from '../fixtures/article-prices';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const OPUS = 'anthropic.claude-3-opus-20240229-v1:0';
const base = { requests: { perMonth: 1000 }, tokens: { systemPrompt: 100, output: 10 }, model: HAIKU };

/** The WorkloadError a workload fails with (estimating it too, for the checks that need prices). */
function failure(json: unknown): WorkloadError {
  try {
    estimateWorkload(parseWorkload(json, 'w.json'), { catalog: ARTICLE_PRICES, source: 'w.json' });
  } catch (e) {
    expect(e).toBeInstanceOf(WorkloadError);
    return e as WorkloadError;
  }
  throw new Error('expected the workload to be refused');
}

describe('workload defaults', () => {
  test('fills in every default', () => {
    const w = parseWorkload(base);
    expect(w).toMatchObject({
      requests: { per: 'month', count: 1000 },
      tokens: { systemPrompt: 100, ragContext: 0, history: 0, userInput: 0, output: 10 },
      traffic: [{ tier: 'all', model: HAIKU, share: 1 }],
      batchShare: 0,
      serviceTier: { tier: 'standard' },
      prices: {},
      library: { latencySeconds: 2, lambdaMemoryMb: 256, applications: 1, features: 1, dashboards: 1, alarms: 6, wafRules: 0 },
    });
    expect(w.promptCache).toBeUndefined();
    expect(w.responseCache).toBeUndefined();
    expect(w.outputCap).toBeUndefined();
  });

  test('defaults the prompt cache TTL to 5 minutes and one prefix', () => {
    expect(parseWorkload({ ...base, promptCache: { parts: ['systemPrompt'] } }).promptCache).toEqual({ parts: ['systemPrompt'], ttl: '5m', distinctPrefixes: 1, cacheWriteShare: undefined });
  });
});

describe('bad workloads fail with the path, the value and the fix', () => {
  test.each([
    ['a negative token count', { ...base, tokens: { systemPrompt: -5 } }, 'tokens.systemPrompt', /expected a whole number from 0 to 10000000, got -5/],
    ['a fractional token count', { ...base, tokens: { output: 2.5 } }, 'tokens.output', /got 2.5/],
    ['a negative request count', { ...base, requests: { perMonth: -1 } }, 'requests.perMonth', /got -1/],
    ['an absurd request count', { ...base, requests: { perMonth: 1e16 } }, 'requests.perMonth', /from 0 to 1e\+12, got 10000000000000000/],
    ['a string for a number', { ...base, requests: { perMonth: '1000' } }, 'requests.perMonth', /got "1000"/],
    ['both perMonth and perDay', { ...base, requests: { perMonth: 1, perDay: 1 } }, 'requests', /exactly one of perMonth or perDay/],
    ['no model nor routing', { requests: base.requests, tokens: base.tokens }, 'model', /a base model id .* or a routing mix/],
    ['both model and routing', { ...base, routing: { simple: { model: HAIKU, share: 1 } } }, 'routing', /either "model" or "routing"/],
    ['shares that sum to 0.9', { ...base, model: undefined, routing: { simple: { model: HAIKU, share: 0.7 }, complex: { model: OPUS, share: 0.2 } } }, 'routing', /expected shares that sum to 1 \(within 1e-9\), got simple 0.7 \+ complex 0.2 = 0.9$/],
    ['a share above 1', { ...base, model: undefined, routing: { simple: { model: HAIKU, share: 1.5 } } }, 'routing.simple.share', /fraction from 0 to 1/],
    ['an unknown tier', { ...base, model: undefined, routing: { trivial: { model: HAIKU, share: 1 } } }, 'routing.trivial', /unknown field; the fields here are simple, medium, complex/],
    ['a duplicate rate above 1', { ...base, responseCache: { duplicateRate: 30 } }, 'responseCache.duplicateRate', /fraction from 0 to 1 .*got 30/],
    ['an unknown cached part', { ...base, promptCache: { parts: ['tools'] } }, 'promptCache.parts[0]', /one of "systemPrompt", "ragContext", "history", "userInput"/],
    ['an unknown TTL', { ...base, promptCache: { parts: ['systemPrompt'], ttl: '10m' } }, 'promptCache.ttl', /one of "5m", "1h"/],
    ['a misspelt field', { ...base, batchShares: 0.5 }, 'batchShares', /unknown field/],
    ['an unknown service tier', { ...base, serviceTier: 'economy' }, 'serviceTier', /one of "standard", "flex", "priority"/],
    ['tokens as an array', { ...base, tokens: [1, 2] }, 'tokens', /expected an object.*got an array/],
    ['a zero output cap', { ...base, outputCap: 0 }, 'outputCap', /from 1 to/],
    ['a SageMaker endpoint without a price', { ...base, sagemaker: { instances: 2 } }, 'sagemaker.hourlyUsd', /USD per instance-hour.*got nothing/],
    ['a SageMaker month of 800 hours', { ...base, sagemaker: { hourlyUsd: 1, hoursPerMonth: 800 } }, 'sagemaker.hoursPerMonth', /from 1 to 744/],
  ])('fails on %s', (_, json, path, message) => {
    const error = failure(json);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^w\.json: /);
  });

  test('fails on a routing share total off by more than 1e-9, accepts one within', () => {
    const mix = (a: number, b: number) => ({ ...base, model: undefined, routing: { simple: { model: HAIKU, share: a }, complex: { model: OPUS, share: b } } });
    expect(failure(mix(0.5, 0.5 + 2e-9)).path).toBe('routing');
    const e = estimateWorkload(parseWorkload(mix(0.5, 0.5 + 5e-10)), { catalog: ARTICLE_PRICES });
    expect(e.traffic.reduce((s, t) => s + t.share, 0)).toBeCloseTo(1, 12);
  });

  test('fails on an unknown model without a price, naming the fix', () => {
    const error = failure({ ...base, model: 'acme.llm-9000' });
    expect(error.path).toBe('model');
    expect(error.message).toMatch(/unknown model "acme.llm-9000" without a price\. Fix: .*"prices": \{"acme.llm-9000": \{"inputPerMillion"/);
  });

  test('names the routing tier of an unknown model', () => {
    expect(failure({ ...base, model: undefined, routing: { simple: { model: HAIKU, share: 0.5 }, complex: { model: 'acme.llm-9000', share: 0.5 } } }).path).toBe('routing.complex.model');
  });

  test('prices an unknown model given inline, and refuses one priced by halves', () => {
    const json = { ...base, model: 'acme.llm-9000', prices: { 'acme.llm-9000': { inputPerMillion: 1, outputPerMillion: 2 } } };
    expect(estimateWorkload(parseWorkload(json), { catalog: ARTICLE_PRICES }).baseline.perRequestUsd).toBe(0.00012); // 100 x $1/M + 10 x $2/M
    const half = failure({ ...json, prices: { 'acme.llm-9000': { inputPerMillion: 1 } } });
    expect(half.path).toBe('prices["acme.llm-9000"].outputPerMillion');
  });

  test('applies an inline override to a known model', () => {
    const e = estimateWorkload(parseWorkload({ ...base, prices: { [HAIKU]: { inputPerMillion: 1 } } }), { catalog: ARTICLE_PRICES });
    expect(e.baseline.perRequestUsd).toBe(0.0001125); // 100 x $1/M + 10 x $1.25/M
  });

  test('fails on a negative inline price', () => {
    expect(failure({ ...base, prices: { [HAIKU]: { inputPerMillion: -1 } } }).path).toBe(`prices["${HAIKU}"].inputPerMillion`);
  });

  test('refuses flex without a price for it: the prices have standard-tier prices only', () => {
    const error = failure({ ...base, serviceTier: 'flex' });
    expect(error.path).toBe('serviceTier');
    expect(error.message).toMatch(/no "flex" tier prices.*"serviceTier": \{"tier": "flex", "priceMultiplier": 0.5\}/);
  });

  test('prices flex at the multiplier the workload gives', () => {
    const e = estimateWorkload(parseWorkload({ ...base, serviceTier: { tier: 'flex', priceMultiplier: 0.5 } }), { catalog: ARTICLE_PRICES });
    expect(e.optimized.perMonthUsd).toBe(e.baseline.perMonthUsd / 2);
    expect(e.levers.find((l) => l.lever === 'serviceTier')!.savingFraction).toBe(0.5);
  });

  test('bounds requests per day so that the month stays below the monthly bound', () => {
    expect(failure({ ...base, requests: { perDay: MAX_REQUESTS_PER_MONTH } }).path).toBe('requests.perDay');
  });
});

describe('workload text', () => {
  test('reports a trailing comma with its line and column', () => {
    const text = '{\n  "requests": { "perMonth": 1000 },\n  "model": "x",\n}\n';
    expect(() => parseWorkloadText(text, 'w.json')).toThrow(WorkloadError);
    expect(() => parseWorkloadText(text, 'w.json')).toThrow(/^w\.json: not valid JSON at line 4, column 1 \("\}"\): .*Fix: check for a trailing comma/);
  });

  test('reports a missing value at its position', () => {
    expect(() => parseWorkloadText('{"requests": }', 'w.json')).toThrow(/line 1, column 14/);
  });

  test('refuses JSON that is not an object', () => {
    expect(() => parseWorkloadText('[1]', 'w.json')).toThrow(/^w\.json: expected an object/);
  });
});
