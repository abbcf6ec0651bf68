import { DEFAULT_AT_LIMIT, DEFAULT_NEAR_LIMIT_SHARE, DEFAULT_NEAR_LIMIT_TIER } from '../../shared/contract';
import { DEFAULT_MODEL_CATALOG } from '../../shared/core';
import { estimateWorkload, parseWorkload, parseWorkloadText, WorkloadError } from '../../estimator';
import { ARTICLE_PRICES } from '../fixtures/article-prices';
import { exampleWorkload } from './load';

// Small workloads whose figures are checked by hand: 1,000 input and 100 output tokens a request, priced from the
// catalog in the test (never copied from the output), 365/12 days a month.
const MICRO = 'amazon.nova-micro-v1:0';
const PRO = 'amazon.nova-pro-v1:0';
const price = (id: string) => DEFAULT_MODEL_CATALOG[id];
const perCall = (p: { inputPerMillion: number; outputPerMillion: number }) => (1000 * p.inputPerMillion + 100 * p.outputPerMillion) / 1e6;
const DAYS = 365 / 12;
const tokens = { userInput: 1000, output: 100 };
const routed = (requests: number) => ({
  requests: { perMonth: requests },
  tokens,
  routing: { simple: { model: MICRO, share: 0.5 }, complex: { model: PRO, share: 0.5 } },
});
const single = (requests: number, model = PRO) => ({ requests: { perMonth: requests }, tokens, model });
const estimate = (json: object) => estimateWorkload(parseWorkload(json));

describe('the estimator prices a budget and its near-limit policy', () => {
  test('without a budget, the estimate is unchanged and has no budget figures', () => {
    const plain = estimate(routed(1000));
    const budgeted = estimate({ ...routed(1000), budget: { usdPerMonth: 0.5 }, nearLimit: { action: 'cheaperTier' } });

    expect(plain.budget).toBeUndefined();
    const { budget, notes, ...rest } = budgeted;
    const { notes: plainNotes, ...plainRest } = plain;
    expect(budget).toBeDefined();
    expect(rest).toEqual(plainRest);
    expect(notes.slice(0, plainNotes.length)).toEqual(plainNotes);
  });

  test('the budget alone: full price until it is spent, then every request refused', () => {
    const full = perCall(price(PRO)); // $0.00112 a request: 1,000 requests cost $1.12
    const budget = 0.4;

    const b = estimate({ ...single(1000), budget: { usdPerMonth: budget } }).budget!;

    const answered = budget / full;
    expect(b.unlimitedUsd).toBeCloseTo(1000 * full, 12);
    expect(b.withoutPolicy.spendUsd).toBeCloseTo(budget, 12);
    expect(b.withoutPolicy.asConfigured.requests).toBeCloseTo(answered, 9);
    expect(b.withoutPolicy.refusedRequests).toBeCloseTo(1000 - answered, 9);
    expect(b.withoutPolicy.limitReached!.trafficShare).toBeCloseTo(answered / 1000, 12);
    expect(b.withoutPolicy.limitReached!.day).toBeCloseTo(DAYS * answered / 1000, 9);
    expect(b.withPolicy).toBeUndefined();
  });

  test('a budget the month never reaches changes nothing', () => {
    const b = estimate({ ...routed(1000), budget: { usdPerMonth: 1000 }, nearLimit: { action: 'cheaperTier' } }).budget!;

    for (const m of [b.withoutPolicy, b.withPolicy!]) {
      expect(m.spendUsd).toBeCloseTo(b.unlimitedUsd, 12);
      expect(m.refusedRequests).toBe(0);
      expect(m.degraded.requests).toBe(0);
      expect(m.limitReached).toBeUndefined();
    }
    expect(b.withPolicy!.nearLimitReached).toBeUndefined();
  });

  test('cheaperTier: full price until 80 % of the budget, then the complex calls on the simple tier\'s model', () => {
    const micro = perCall(price(MICRO));
    const full = 0.5 * micro + 0.5 * perCall(price(PRO));
    const degraded = micro; // both halves on Micro
    const budget = 0.5;
    const threshold = DEFAULT_NEAR_LIMIT_SHARE * budget;

    const b = estimate({ ...routed(1000), budget: { usdPerMonth: budget }, nearLimit: { action: 'cheaperTier' } }).budget!;

    expect(b.policy).toEqual({ action: 'cheaperTier', atShare: DEFAULT_NEAR_LIMIT_SHARE, tier: DEFAULT_NEAR_LIMIT_TIER, atLimit: DEFAULT_AT_LIMIT });
    const atFull = threshold / full;
    const rest = 1000 - atFull;
    expect(rest * degraded).toBeLessThan(budget - threshold); // the rest of the month fits: the limit is never reached
    const p = b.withPolicy!;
    expect(p.nearLimitReached!.day).toBeCloseTo(DAYS * atFull / 1000, 9);
    expect(p.limitReached).toBeUndefined();
    expect(p.spendUsd).toBeCloseTo(threshold + rest * degraded, 12);
    expect(p.degraded.requests).toBeCloseTo(rest * 0.5, 9);
    expect(p.degraded.usd).toBeCloseTo(rest * 0.5 * micro, 12);
    expect(p.asConfigured.requests).toBeCloseTo(atFull + rest * 0.5, 9);
    expect(p.refusedRequests).toBe(0);
    expect(b.perRequestUsd).toEqual({ full: expect.closeTo(full, 15), nearLimit: expect.closeTo(degraded, 15) });
    // The budget alone refuses what the policy answers.
    expect(b.withoutPolicy.refusedRequests).toBeCloseTo(1000 - budget / full, 9);
  });

  test('cheaperTier past the limit: the misses are refused, whether atLimit is refuse or degrade', () => {
    const micro = perCall(price(MICRO));
    const full = 0.5 * micro + 0.5 * perCall(price(PRO));
    const budget = 1;
    const threshold = 0.8 * budget;
    const workload = (atLimit: string) => ({ ...routed(10_000), budget: { usdPerMonth: budget }, nearLimit: { action: 'cheaperTier', tier: 'simple', atShare: 0.8, atLimit } });

    const refuse = estimate(workload('refuse'));
    const degrade = estimate(workload('degrade'));

    const atFull = threshold / full;
    const degraded = (budget - threshold) / micro;
    const p = refuse.budget!.withPolicy!;
    expect(p.spendUsd).toBe(budget); // exact: fractions of attodollars, rounded once
    expect(p.limitReached!.trafficShare).toBeCloseTo((atFull + degraded) / 10_000, 12);
    expect(p.degraded.requests).toBeCloseTo(degraded * 0.5, 9);
    expect(p.refusedRequests).toBeCloseTo(10_000 - atFull - degraded, 9);
    expect(degrade.budget!.withPolicy).toEqual(p); // a spent budget fits no cheaper call either
    expect(degrade.notes.join('\n')).toMatch(/"atLimit": "degrade" retries a refused call on its cheaper bound, which still needs budget/);
    expect(refuse.notes.join('\n')).not.toMatch(/"atLimit": "degrade"/);
  });

  test('flex: past the share at the catalog\'s Flex prices', () => {
    const pro = price(PRO);
    const full = perCall(pro);
    const flex = perCall(pro.serviceTiers!.flex!);
    const budget = 0.5;

    const b = estimate({ ...single(1000), budget: { usdPerMonth: budget }, nearLimit: { action: 'flex', atShare: 0.5 } }).budget!;

    const atFull = 0.25 / full;
    const rest = 1000 - atFull;
    const p = b.withPolicy!;
    expect(b.perRequestUsd.nearLimit).toBeCloseTo(flex, 15);
    expect(rest * flex).toBeGreaterThan(budget - 0.25); // Flex runs into the limit
    expect(p.degraded.requests).toBeCloseTo(0.25 / flex, 9);
    expect(p.spendUsd).toBeCloseTo(budget, 12);
    expect(p.refusedRequests).toBeCloseTo(rest - 0.25 / flex, 9);
  });

  test('flex on a model without a Flex price: says so, degrades nothing and prices standard', () => {
    const e = estimate({ ...single(1000, MICRO), budget: { usdPerMonth: 0.02 }, nearLimit: { action: 'flex' } });

    const b = e.budget!;
    expect(price(MICRO).serviceTiers?.flex).toBeUndefined();
    expect(b.perRequestUsd.nearLimit).toBeCloseTo(perCall(price(MICRO)), 15);
    expect(b.withPolicy!.degraded.requests).toBe(0);
    expect(b.withPolicy!.spendUsd).toBeCloseTo(b.withoutPolicy.spendUsd, 12);
    expect(b.withPolicy!.refusedRequests).toBeCloseTo(b.withoutPolicy.refusedRequests, 9);
    expect(e.notes.join('\n')).toMatch(/No routed model has a Flex price in the prices: "flex" \(flex\) degrades nothing/);
  });

  test('flex on a mix: the model with a Flex price degrades, the other stays standard and is named', () => {
    const micro = perCall(price(MICRO));
    const flex = perCall(price(PRO).serviceTiers!.flex!);

    const e = estimate({ ...routed(1000), budget: { usdPerMonth: 10 }, nearLimit: { action: 'flex', atShare: 0.01 } });

    expect(e.budget!.perRequestUsd.nearLimit).toBeCloseTo(0.5 * micro + 0.5 * flex, 15);
    expect(e.notes.join('\n')).toContain('nova-micro has no Flex price in the prices: its calls past the share stay standard (not degraded).');
  });

  test('says so when the policy makes a request dearer (the simple tier on the dearer model)', () => {
    const e = estimate({ ...routed(1000), routing: { simple: { model: PRO, share: 0.5 }, complex: { model: MICRO, share: 0.5 } }, budget: { usdPerMonth: 0.5 }, nearLimit: { action: 'cheaperTier' } });

    expect(e.budget!.perRequestUsd.nearLimit).toBeCloseTo(perCall(price(PRO)), 15);
    expect(e.notes.join('\n')).toMatch(/Past the share a request costs more than as configured/);
  });

  test('cacheOnly: past the share only the response-cache hits are answered; the spend stops at the share', () => {
    const duplicateRate = 0.25;
    const full = (1 - duplicateRate) * perCall(price(PRO));
    const budget = 0.5;

    const b = estimate({ ...single(1000), responseCache: { duplicateRate }, budget: { usdPerMonth: budget }, nearLimit: { action: 'cacheOnly' } }).budget!;

    const atFull = 0.8 * budget / full;
    const rest = 1000 - atFull;
    const p = b.withPolicy!;
    expect(p.spendUsd).toBeCloseTo(0.8 * budget, 12);
    expect(p.limitReached).toBeUndefined();
    expect(p.degraded.requests).toBe(0);
    expect(p.asConfigured.requests).toBeCloseTo(atFull + rest * duplicateRate, 9);
    expect(p.refusedRequests).toBeCloseTo(rest * (1 - duplicateRate), 9);
    // The budget alone answers more misses (up to the whole budget), then the hits as well.
    const alone = budget / full;
    expect(b.withoutPolicy.refusedRequests).toBeCloseTo((1000 - alone) * (1 - duplicateRate), 9);
  });

  test('defer: past the share on demand at the routed model\'s price (as the scheduled run charges it), counted against the budget', () => {
    const pro = price(PRO);
    const full = perCall(pro);
    const budget = 0.5;

    const e = estimate({ ...single(1000), budget: { usdPerMonth: budget }, nearLimit: { action: 'defer' } });

    const b = e.budget!;
    const atFull = 0.4 / full;
    const deferred = 0.1 / full;
    expect(deferred).toBeLessThan(1000 - atFull); // the deferred share runs into the limit
    expect(b.withPolicy!.degraded.requests).toBeCloseTo(deferred, 9);
    expect(b.withPolicy!.degraded.usd).toBeCloseTo(0.1, 12);
    expect(b.withPolicy!.refusedRequests).toBeCloseTo(1000 - atFull - deferred, 9);
    expect(b.refusal).toMatch(/refused \(429\)/);
    expect(e.notes.join('\n')).toMatch(/on demand at the price of the model it was routed to .*counts against the same budget: it saves nothing/);
  });

  test('defer with atLimit degrade: a deferral is reserved when accepted, so past the limit the work is refused (429), not accepted', () => {
    const degrade = estimate({ ...single(1000), budget: { usdPerMonth: 0.5 }, nearLimit: { action: 'defer', atLimit: 'degrade' } }).budget!;
    const refuse = estimate({ ...single(1000), budget: { usdPerMonth: 0.5 }, nearLimit: { action: 'defer', atLimit: 'refuse' } }).budget!;

    expect(degrade.refusal).toMatch(/^past the limit, requests are refused \(429\): a deferral is reserved when it is accepted \(202\)/);
    expect(degrade.refusal).not.toMatch(/refused when they run/);
    expect(degrade.withPolicy!.spendUsd).toBeCloseTo(0.5, 12);
    // The same month either way: what the limit refuses is never accepted first.
    expect(degrade.withPolicy).toEqual(refuse.withPolicy);
    expect(degrade.refusal).toBe(refuse.refusal);
  });

  test('every month\'s requests add up: answered as configured, degraded and refused', () => {
    for (const nearLimit of [{ action: 'cheaperTier' }, { action: 'flex' }, { action: 'cacheOnly' }, { action: 'defer' }]) {
      const b = estimate({ ...routed(10_000), responseCache: { duplicateRate: 0.1 }, budget: { usdPerMonth: 1 }, nearLimit }).budget!;
      for (const m of [b.withoutPolicy, b.withPolicy!]) {
        expect(m.asConfigured.requests + m.degraded.requests + m.refusedRequests).toBeCloseTo(10_000, 6);
        expect(m.asConfigured.usd + m.degraded.usd).toBeCloseTo(m.spendUsd, 12);
        expect(m.spendUsd).toBeLessThanOrEqual(1);
      }
    }
  });

  test('a daily workload reaches the share on the day its share of the month\'s traffic is sent', () => {
    const perDay = 100;
    const full = perCall(price(PRO));
    const b = estimate({ ...single(0), requests: { perDay, daysPerMonth: 30 }, budget: { usdPerMonth: 30 * perDay * full / 2 } }).budget!;

    expect(b.withoutPolicy.limitReached!.day).toBeCloseTo(15, 9);
  });
});

describe('the worked example of docs/estimate.md (examples/workloads/article-hybrid-routing-budget.json)', () => {
  // At the article's prices, 1,000 input tokens a request: Haiku, Sonnet, Opus at $0.25, $3, $15 per 1M.
  const perRequest = (id: string) => 1000 * ARTICLE_PRICES[id].inputPerMillion / 1e6;
  const haiku = perRequest('anthropic.claude-3-haiku-20240307-v1:0');
  const full = 0.7 * haiku + 0.25 * perRequest('anthropic.claude-3-5-sonnet-20240620-v1:0') + 0.05 * perRequest('anthropic.claude-3-opus-20240229-v1:0');
  const requests = 10_000_000;
  const b = estimateWorkload(exampleWorkload('article-hybrid-routing-budget.json'), { catalog: ARTICLE_PRICES }).budget!;

  test('without a budget the month costs $16,750, as the article\'s $1,675 at ten times the volume', () => {
    expect(full).toBeCloseTo(0.001675, 15);
    expect(b.unlimitedUsd).toBe(16_750);
  });

  test('the budget alone: spent on day 27.2, then 1,044,776 requests refused', () => {
    const answered = 15_000 / full;
    expect(b.withoutPolicy.spendUsd).toBe(15_000);
    expect(b.withoutPolicy.limitReached!.day).toBeCloseTo(DAYS * answered / requests, 9);
    expect(b.withoutPolicy.refusedRequests).toBeCloseTo(requests - answered, 6);
  });

  test('with the policy: Haiku from $12,000 (day 21.8), every request answered, $12,708.96 spent', () => {
    const atFull = 12_000 / full;
    const rest = requests - atFull;
    const p = b.withPolicy!;
    expect(p.nearLimitReached!.day).toBeCloseTo(DAYS * atFull / requests, 9);
    expect(p.spendUsd).toBeCloseTo(12_000 + rest * haiku, 9);
    expect(p.degraded.requests).toBeCloseTo(rest * 0.3, 6); // the Sonnet and Opus share
    expect(p.degraded.usd).toBeCloseTo(rest * 0.3 * haiku, 9);
    expect(p.refusedRequests).toBe(0);
    expect(p.limitReached).toBeUndefined();
    expect(b.refusal).toBe('past the limit, requests are refused (429)');
  });
});

describe('the workload\'s budget and near-limit policy are checked', () => {
  const fails = (json: object, path: string, message: RegExp) => {
    let error: unknown;
    try {
      parseWorkload(json, 'w.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkloadError);
    expect((error as WorkloadError).path).toBe(path);
    expect((error as WorkloadError).message).toMatch(message);
  };

  test('fails when nearLimit has no budget to near', () => fails({ ...routed(1), nearLimit: { action: 'flex' } }, 'budget', /w\.json: budget: expected a budget for the near-limit policy to near: "budget": \{"usdPerMonth": 5000\}, got nothing/));
  test('fails when the budget is not positive', () => fails({ ...routed(1), budget: { usdPerMonth: 0 } }, 'budget.usdPerMonth', /budget\.usdPerMonth: expected USD a month, above 0.*got 0/));
  test('fails on an unknown budget field', () => fails({ ...routed(1), budget: { usdPerDay: 5 } }, 'budget.usdPerDay', /unknown field; the fields here are usdPerMonth/));
  test('fails on an unknown action', () => fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'cheaper' } }, 'nearLimit.action', /expected one of "cheaperTier", "flex", "cacheOnly", "defer", got "cheaper"/));
  test('fails when atShare is 0 or above 1', () => {
    fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'flex', atShare: 0 } }, 'nearLimit.atShare', /above 0 and at most 1.*got 0/);
    fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'flex', atShare: 80 } }, 'nearLimit.atShare', /got 80/);
  });
  test('fails on an unknown atLimit', () => fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'flex', atLimit: '429' } }, 'nearLimit.atLimit', /one of "degrade", "refuse", got "429"/));
  test('fails when a tier is given to an action other than cheaperTier', () => fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'flex', tier: 'simple' } }, 'nearLimit.tier', /only the "cheaperTier" action routes to a tier/));
  test('fails when cheaperTier has one model to route to', () => fails({ ...single(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'cheaperTier' } }, 'nearLimit.tier', /a routing mix of two tiers or more/));
  test('fails when cheaperTier\'s tier is not routed below the dearest tier', () => {
    fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'cheaperTier', tier: 'complex' } }, 'nearLimit.tier', /a routed tier below the dearest one \(complex\): one of "simple", got "complex"/);
    fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'cheaperTier', tier: 'medium' } }, 'nearLimit.tier', /got "medium"/);
  });
  test('fails when cacheOnly has no response cache to answer from', () => fails({ ...single(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'cacheOnly' } }, 'responseCache', /a response cache for "cacheOnly" to answer from/));
  test('fails on an unknown nearLimit field, naming the fields', () => fails({ ...routed(1), budget: { usdPerMonth: 1 }, nearLimit: { action: 'flex', share: 0.8 } }, 'nearLimit.share', /unknown field; the fields here are action, atShare, tier, atLimit/));
  test('a syntax error in the policy gives its line and column', () => {
    const text = '{"requests": {"perMonth": 1}, "tokens": {}, "model": "amazon.nova-pro-v1:0",\n "budget": {"usdPerMonth": 1},\n "nearLimit": {"action": "flex",}\n}';
    expect(() => parseWorkloadText(text, 'w.json')).toThrow(/w\.json: not valid JSON at line 3, column 33/);
  });
});
