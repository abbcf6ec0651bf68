import * as path from 'node:path';
import { measureColdInit } from './cold-init';
import { measureCpuStages } from './cpu-stages';
import { measureLedgerConcurrency } from './ledger-concurrency';
import { measurePromptLimit } from './prompt-limit';
import { measureRequestOverhead } from './request-overhead';
import { measureTokenEstimateError } from './token-estimate-error';

/**
 * `npm run bench`: prints the runtime's figures as JSON, all measured in this one run. The machine is shared, so
 * read medians and ratios, not single times.
 */
async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..');
  const figures = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    targets: { overheadP50Ms: 5, overheadP99Ms: 15, maxSequentialDynamoDbRoundTrips: 2, cpuStagesMs: 0.1, initRatio: 1.25, demoOptimizedOverNaive: 0.3, tokenBoundOverRealMin: 1 },
    cpuStages8kTokens: measureCpuStages(),
    tokenEstimateError: measureTokenEstimateError(),
    promptLimitNearLimit: await measurePromptLimit(),
    requestOverhead: await measureRequestOverhead(),
    requestOverheadWithLedger: await measureRequestOverhead(300, 'dynamodb'),
    ledgerConcurrency: await measureLedgerConcurrency(),
    coldInit: measureColdInit(repo),
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
