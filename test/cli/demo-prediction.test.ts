import { DemoPrediction, predictDemo, predictionError } from '../../packages/local/src/demo/prediction';
import type { DemoReport, DemoRun } from '../../packages/local/src/demo/run-demo';
import { runCli } from './run-cli';

const REQUESTS = 300;
const SEED = 42;
// The per-tier prediction's honest tolerance: what is left is ~13 tokens a request of prompt framing the
// simulator counts and the measured averages do not (message roles, block boundaries), and whole-token rounding.
const TOLERANCE = 0.02;

let report: DemoReport;
let optimized: DemoRun;
let text: string;
let p: DemoPrediction;

beforeAll(async () => {
  const [json, plain] = await Promise.all([
    // Ceilings for a shared, loaded machine (each demo synthesizes its stack, then replays): a run takes ~30 s.
    runCli(['demo', '--requests', String(REQUESTS), '--seed', String(SEED), '--json'], 400_000),
    runCli(['demo', '--requests', String(REQUESTS), '--seed', String(SEED)], 400_000),
  ]);
  if (json.code !== 0 || plain.code !== 0) throw new Error(`genai-finops demo exited with ${json.code}/${plain.code}: ${json.stderr}${plain.stderr}`);
  report = JSON.parse(json.stdout) as DemoReport;
  optimized = report.runs.find((r) => r.scenario.id === 'optimized')!;
  text = plain.stdout;
  p = predictDemo(REQUESTS, SEED);
}, 430_000);

describe('the estimator\'s prediction of the demo', () => {
  test(`predicts the replayed "Library defaults" cost within ${TOLERANCE * 100} %`, () => {
    expect(Math.abs(predictionError(p.predictedUsd, optimized.totals.costUsd))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('one pooled workload file is further off than one per tier (answer length differs by tier)', () => {
    expect(Math.abs(predictionError(p.pooledUsd, optimized.totals.costUsd))).toBeGreaterThan(Math.abs(predictionError(p.predictedUsd, optimized.totals.costUsd)));
  });

  test('the measured repeats, answers and cache writes are what the replay saw', () => {
    const m = p.measured;
    const t = optimized.totals;
    expect(Math.round(m.duplicateRate * REQUESTS)).toBe(t.responseCacheHits);
    expect(m.outputCapped * t.modelCalls).toBeCloseTo(t.outputTokens, 6);
    const cachedPerCall = (t.cacheReadTokens + t.cacheWriteTokens) / t.modelCalls;
    expect(Math.abs(m.systemPrompt + m.ragContext - cachedPerCall) / cachedPerCall).toBeLessThan(0.01);
    expect(Math.abs(m.cacheWriteShare - t.cacheWriteTokens / (t.cacheReadTokens + t.cacheWriteTokens))).toBeLessThan(0.002);
  });

  test('the text report prints the prediction beside the replayed cost', () => {
    expect(text).toContain(`$${p.predictedUsd.toFixed(4)} against $${optimized.totals.costUsd.toFixed(4)} replayed`);
  });
});
