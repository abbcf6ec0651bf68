import * as fs from 'fs';
import { estimateWorkload, LEVERS, parseWorkloadText, projectWorkload } from '../../estimator';
import { exampleJson, exampleWorkload, WORKLOADS_DIR } from './load';

// USD numbers to attodollars: each is an integer count of attodollars, so the steps can be compared exactly.
const atto = (usd: number) => BigInt(Math.round(usd * 1e6)) * 10n ** 12n;

describe('the estimate\'s waterfall', () => {
  test.each(fs.readdirSync(WORKLOADS_DIR).filter((f) => f.endsWith('.json')))('%s: one step per lever in LEVERS order, ending at the optimized cost', (name) => {
    const e = estimateWorkload(exampleWorkload(name));
    expect(e.waterfall.map((s) => s.lever)).toEqual([...LEVERS]);
    expect(e.waterfall.at(-1)!.perMonthUsd).toBe(e.optimized.perMonthUsd);
    const total = e.waterfall.reduce((sum, s) => sum + s.savingUsd, 0);
    expect(total).toBeCloseTo(e.baseline.perMonthUsd - e.optimized.perMonthUsd, 6);
    for (const step of e.waterfall.filter((s) => !s.configured)) expect(step.savingUsd).toBe(0);
  });

  test('each step is the cost before it minus the cost after it, from the baseline', () => {
    const e = estimateWorkload(exampleWorkload('customer-support.json'));
    let before = e.baseline.perMonthUsd;
    for (const step of e.waterfall) {
      expect(step.savingUsd).toBeCloseTo(before - step.perMonthUsd, 9);
      before = step.perMonthUsd;
    }
  });

  test('the first configured lever saves what it saves alone; later ones save less than alone', () => {
    const e = estimateWorkload(exampleWorkload('customer-support.json'));
    const alone = Object.fromEntries(e.levers.map((l) => [l.lever, l.savingUsd]));
    expect(e.waterfall[0].savingUsd).toBe(alone.routing);
    for (const step of e.waterfall.slice(1).filter((s) => s.configured)) expect(step.savingUsd).toBeLessThan(alone[step.lever]);
  });

  test('a response cache after routing saves its duplicate rate of the routed cost', () => {
    const json = exampleJson('article-hybrid-routing.json');
    const e = estimateWorkload(parseWorkloadText(JSON.stringify({ ...json, responseCache: { duplicateRate: 0.3 } }), 'test'));
    const [routing, , responseCaching] = e.waterfall;
    expect(atto(responseCaching.savingUsd)).toBe(atto(routing.perMonthUsd * 0.3));
  });
});

describe('projectWorkload', () => {
  test('splits the growth from POC to production into volume and cost per request', () => {
    const poc = estimateWorkload(exampleWorkload('article-spiral-poc.json'));
    const production = estimateWorkload(exampleWorkload('article-spiral-production.json'));
    const p = projectWorkload(poc, production);
    expect(p.volumeFactor).toBe(15);
    expect(p.perRequestFactor).toBeCloseTo(production.optimized.perRequestUsd / poc.optimized.perRequestUsd, 12);
    expect(p.monthFactor).toBeCloseTo(p.volumeFactor * p.perRequestFactor!, 9);
    expect(p.production.inputTokens).toBe(4800 + 6000 + 28000 + 100);
  });
});
