/**
 * The demo: the same workload replayed through the real bundled API handler once per scenario (naive, each lever
 * alone, all levers), each run starting from empty caches: a fresh response-cache table, a fresh handler container
 * and a reset simulator (whose prompt cache would otherwise carry over).
 */
import type { DemoDeployment } from './deployment';
import { applyEnvironment } from './function-env';
import { GuardrailsReport, runGuardrails } from './guardrails';
import { loadBundledHandler } from './handler-bundle';
import type { LocalStack } from './local-stack';
import { callOutsideThePipeline, profileTagsOf, reconcileDemoRun } from './reconciliation';
import { replayWorkload, RunTotals } from './replay';
import type { ReconciliationReport } from '../../../../shared/queries/reconciliation-verdict';
import { Scenario, SCENARIOS } from './scenarios';
import { describeWorkload, generateWorkload } from './workload';

/** The ratio the article's levers should reach together: optimized cost at most 30% of naive. */
export const TARGET_RATIO = 0.3;
export const DEFAULT_REQUESTS = 300;
export const DEFAULT_SEED = 42;
/** The run the demo reconciles with its bill: the library's defaults. */
const RECONCILED_SCENARIO = 'optimized';

/** One run's outcome. */
export interface DemoRun {
  readonly scenario: Scenario;
  readonly totals: RunTotals;
  /** 1 - cost / naive cost. */
  readonly savingVsNaive: number;
}

/** What the demo measured. */
export interface DemoReport {
  readonly requests: number;
  readonly seed: number | string;
  readonly workload: ReturnType<typeof describeWorkload>;
  readonly runs: ReadonlyArray<DemoRun>;
  /** Optimized cost / naive cost. */
  readonly ratio: number;
  readonly targetRatio: number;
  /** The guardrails scenario: a runaway tenant's burst against its quota, and a cost spike tripping the breaker. */
  readonly guardrails: GuardrailsReport;
  /** The optimized run's meter (its EMF records) against the bill of what the simulator served in it. */
  readonly reconciliation: ReconciliationReport;
  readonly wallMs: number;
}

/**
 * Runs every scenario on a started stack, each function with the environment the synthesized demo stack gives it
 * (start the stack with `startLocalStack({ modelAliases: deployment.modelAliases() })`).
 */
export async function runDemo(options: {
  readonly requests: number;
  readonly seed: number | string;
  readonly stack: LocalStack;
  /** The synthesized demo stack (`DemoDeployment.synthesize()`). */
  readonly deployment: DemoDeployment;
  readonly log: (line: string) => void;
  /** Called with each EMF record line the handler writes, and the id of the scenario or guardrail run it ran in. */
  readonly onMetricRecord?: (scenarioId: string, line: string) => void;
}): Promise<DemoReport> {
  const startedAt = Date.now();
  const { stack, log, deployment } = options;
  const workload = generateWorkload({ requests: options.requests, seed: options.seed });
  const summary = describeWorkload(workload);
  log(`workload: ${summary.requests} requests from ${summary.tenants} tenants, ${summary.classes.simple}/${summary.classes.medium}/${summary.classes.complex} simple/medium/complex, `
    + `${summary.repeats} exact repeats, ${summary.withHistory} with history`);

  const runs: DemoRun[] = [];
  let naiveCost: number | undefined;
  let reconciliation: ReconciliationReport | undefined;
  for (const scenario of SCENARIOS) {
    stack.simulator.reset();
    // Each run's workflow has its own response-cache table, created empty here.
    const restoreEnv = applyEnvironment(await deployment.prepare(deployment.ids.scenarios[scenario.id], stack));
    let totals: RunTotals;
    try {
      const handler = loadBundledHandler('api');
      const meterLines: string[] = [];
      const onMetricRecord = (line: string) => {
        if (scenario.id === RECONCILED_SCENARIO) meterLines.push(line);
        options.onMetricRecord?.(scenario.id, line);
      };
      totals = await replayWorkload(workload, handler, { runId: scenario.id, simulator: stack.simulator, onMetricRecord });
      if (scenario.id === RECONCILED_SCENARIO) {
        // Before the next run resets the simulator: its call log is this run's bill, plus one call that bypasses the pipeline.
        await callOutsideThePipeline(stack.simulator.endpoint);
        reconciliation = await reconcileDemoRun(meterLines, stack.simulator.calls, profileTagsOf(deployment, deployment.ids.scenarios[scenario.id]));
      }
    } finally {
      restoreEnv();
    }
    if (totals.failed > 0) {
      throw new Error(`run '${scenario.id}': ${totals.failed} of ${totals.requests} requests failed; first: ${totals.firstFailure}`);
    }
    naiveCost ??= totals.costUsd;
    const savingVsNaive = naiveCost > 0 ? 1 - totals.costUsd / naiveCost : 0;
    runs.push({ scenario, totals, savingVsNaive });
    log(`run ${scenario.id.padEnd(14)} ${String(totals.modelCalls).padStart(5)} model calls  $${totals.costUsd.toFixed(4)}  ${totals.wallMs} ms`);
  }
  const naive = runs.find((r) => r.scenario.id === 'naive')!;
  const optimized = runs.find((r) => r.scenario.id === 'optimized')!;
  const guardrails = await runGuardrails({ stack, deployment, seed: options.seed, log, onMetricRecord: options.onMetricRecord });
  return {
    requests: options.requests,
    seed: options.seed,
    workload: summary,
    runs,
    ratio: naive.totals.costUsd > 0 ? optimized.totals.costUsd / naive.totals.costUsd : 0,
    targetRatio: TARGET_RATIO,
    guardrails,
    reconciliation: reconciliation!,
    wallMs: Date.now() - startedAt,
  };
}
