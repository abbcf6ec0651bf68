import type { DemoReport } from '../../packages/local/src/demo/run-demo';
import { CliRun, runCli } from './run-cli';

let run: CliRun;
let report: DemoReport;

beforeAll(async () => {
  // A ceiling for a shared, loaded machine (the demo synthesizes its stack, then replays): a run takes ~20 s.
  run = await runCli(['demo', '--requests', '30', '--json'], 300_000);
  report = JSON.parse(run.stdout) as DemoReport;
}, 330_000);

const TIER_RANK: Readonly<Record<string, number>> = { simple: 0, medium: 1, complex: 2 };

/** The breaker table's row of a feature at a step. */
function row(stepPrefix: string, feature: string) {
  const found = report.guardrails.breaker.rows.find((r) => r.step.startsWith(stepPrefix) && r.feature === feature);
  expect(found).toBeDefined();
  return found!;
}

describe('genai-finops demo: the guardrails scenario', () => {
  test('exits 0 with a guardrails section in the JSON report', () => {
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(report.guardrails.quota.sent).toBeGreaterThan(0);
    expect(report.guardrails.breaker.rows.length).toBeGreaterThan(0);
  });

  test("the runaway tenant's burst is partly refused with 429, every request answered 200 or 429", () => {
    const q = report.guardrails.quota;
    expect(q.admitted).toBeGreaterThan(0);
    expect(q.refused429).toBeGreaterThan(0);
    expect(q.other).toEqual({});
    expect(q.admitted + q.refused429).toBe(q.sent);
    expect(Object.values(q.refusedBy).reduce((a, b) => a + b, 0)).toBe(q.refused429);
  });

  test('admitted tokens and USD stay within the limits, and the ledger counted what the answers say', () => {
    const q = report.guardrails.quota;
    expect(q.admittedTokens).toBeGreaterThan(0);
    expect(q.admittedTokens).toBeLessThanOrEqual(q.tokenLimit);
    expect(q.admittedUsd).toBeLessThanOrEqual(q.usdLimit);
    expect(q.ledgerTokens).toBe(q.admittedTokens);
    expect(q.ledgerUsd).toBeCloseTo(q.admittedUsd, 9);
    expect(q.withinLimits).toBe(true);
  });

  test('the alarms trip the feature breaker, then the global one', () => {
    expect(report.guardrails.breaker.trips.map((t) => t.tripped)).toEqual([['support-chat'], ['*']]);
  });

  test('before any trip every feature answers 200', () => {
    for (const feature of ['support-chat', 'ticket-triage', 'account-security']) {
      const r = row('before', feature);
      expect(r.status).toEqual({ 200: r.sent });
    }
  });

  test('the paused feature gets only 503 FEATURE_PAUSED after its trip', () => {
    const paused = report.guardrails.breaker.rows.filter((r) => r.feature === 'support-chat' && !r.step.startsWith('before'));
    expect(paused).toHaveLength(2);
    for (const r of paused) {
      expect(r.critical).toBe(false);
      expect(r.status).toEqual({ 503: r.sent });
      expect(r.errorCodes).toEqual(['FEATURE_PAUSED']);
    }
  });

  test('the critical feature keeps answering 200 under the global breaker', () => {
    const r = row('alarm genai-total-spend', 'account-security');
    expect(r.critical).toBe(true);
    expect(r.status).toEqual({ 200: r.sent });
  });

  test('the downgraded feature is routed no higher than its cap under the global breaker, higher before it', () => {
    const before = row('before', 'ticket-triage');
    const tripped = row('alarm genai-total-spend', 'ticket-triage');
    const cap = TIER_RANK[/downgrade to (\w+)/.exec(tripped.whenTripped)![1]];
    expect(tripped.status).toEqual({ 200: tripped.sent });
    expect(tripped.tiers.length).toBeGreaterThan(0);
    expect(tripped.tiers.every((t) => TIER_RANK[t] <= cap)).toBe(true);
    expect(before.tiers.some((t) => TIER_RANK[t] > cap)).toBe(true);
  });
});
