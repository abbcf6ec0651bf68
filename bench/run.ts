import * as path from 'node:path';
import { measureColdInit } from './cold-init';
import { measureCpuStages } from './cpu-stages';
import { measureLedgerConcurrency } from './ledger-concurrency';
import { measurePromptLimit } from './prompt-limit';
import { measureRequestOverhead } from './request-overhead';
import { measureRunBudgetOvershoot } from './run-budget-overshoot';
import { measureStreamTtfb } from './stream-ttfb';
import { round } from './stats';
import { measureTokenEstimateError } from './token-estimate-error';

/**
 * `npm run bench`: prints the runtime's figures as JSON, all measured in this one run. The machine is shared, so
 * read medians and ratios, not single times.
 */
async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..');
  // `tsx bench/run.ts requestOverhead …` runs only the named figures (the whole bench takes minutes).
  const only = new Set(process.argv.slice(2));
  const measure = async <T>(name: string, figure: () => T | Promise<T>): Promise<T | undefined> => (only.size === 0 || only.has(name) ? figure() : undefined);
  // A first series, discarded, compiles the pipeline's code in this process: the series compared below then start
  // alike (without it the first one measured, the container guard's, paid for Node's warm-up).
  await measure('requestOverhead', () => measureRequestOverhead(100, 'dynamodb', 'child', 10));
  const requestOverhead = await measure('requestOverhead', () => measureRequestOverhead());
  const requestOverheadWithLedger = await measure('requestOverhead', () => measureRequestOverhead(300, 'dynamodb'));
  const requestOverheadWithAllowances = await measure('requestOverhead', () => measureRequestOverhead(300, 'dynamodb', 'child', 10));
  const figures = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    targets: { overheadP50Ms: 5, overheadP99Ms: 15, maxSequentialDynamoDbRoundTrips: 2, cpuStagesMs: 0.1, initRatio: 1.25, demoOptimizedOverNaive: 0.3, tokenBoundOverRealMin: 1, ledgerOverContainer: 1.25, ownP99Ms: 5 },
    cpuStages8kTokens: await measure('cpuStages8kTokens', () => measureCpuStages()),
    tokenEstimateError: await measure('tokenEstimateError', () => measureTokenEstimateError()),
    promptLimitNearLimit: await measure('promptLimitNearLimit', () => measurePromptLimit()),
    requestOverhead,
    requestOverheadWithLedger,
    requestOverheadWithAllowances,
    // Every call reserving and settling in the ledger (the default), and with container allowances (`allowanceSeconds`).
    ledgerOverContainer: requestOverhead && requestOverheadWithLedger ? ledgerOverContainer(requestOverhead, requestOverheadWithLedger) : undefined,
    ledgerWithAllowancesOverContainer: requestOverhead && requestOverheadWithAllowances ? ledgerOverContainer(requestOverhead, requestOverheadWithAllowances) : undefined,
    ledgerConcurrency: await measure('ledgerConcurrency', () => measureLedgerConcurrency()),
    runBudgetOvershoot: await measure('runBudgetOvershoot', () => measureRunBudgetOvershoot()),
    streamTtfb: await measure('streamTtfb', () => measureStreamTtfb()),
    coldInit: await measure('coldInit', () => measureColdInit(repo)),
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

type Overhead = Awaited<ReturnType<typeof measureRequestOverhead>>;

/** Issue 17's ratios: the same path with the DynamoDB ledger over the per-container guard (target ≤ 1.25). */
function ledgerOverContainer(container: Overhead, ledger: Overhead) {
  const ratio = (a: number, b: number) => round(a / b, 2);
  const paths = (pick: (o: Overhead) => Overhead['cacheMiss']) => ({
    overheadP50: ratio(pick(ledger).overheadMsP50, pick(container).overheadMsP50),
    overheadP99: ratio(pick(ledger).overheadMsP99, pick(container).overheadMsP99),
    untilAnswerOverheadP50: ratio(pick(ledger).untilAnswerOverheadMsP50, pick(container).untilAnswerOverheadMsP50),
    untilAnswerOverheadP99: ratio(pick(ledger).untilAnswerOverheadMsP99, pick(container).untilAnswerOverheadMsP99),
    ownP50: ratio(pick(ledger).ownMsP50, pick(container).ownMsP50),
    ownP99: ratio(pick(ledger).ownMsP99, pick(container).ownMsP99),
  });
  return { cacheMiss: paths((o) => o.cacheMiss), cacheHit: paths((o) => o.cacheHit) };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
