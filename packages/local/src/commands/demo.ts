/** `genai-finops demo`: parses the options, starts the local stack, runs the demo, prints the report. */
import { checkHandlerBundles } from '../demo/handler-bundle';
import { EmfRecordsByScenario } from '../demo/html/emf';
import { writeDashboardPage } from '../demo/html/write-page';
import { startLocalStack } from '../demo/local-stack';
import { formatPrediction, predictDemo } from '../demo/prediction';
import { formatReport } from '../demo/report';
import { DemoDeployment } from '../demo/deployment';
import { DEFAULT_REQUESTS, DEFAULT_SEED, runDemo } from '../demo/run-demo';
import { htmlFileOption, intOption, parseArgs, UsageError } from '../../../../shared/cli/args';
import type { CommandIo } from './command-io';
import { demoChatCommand } from './demo-chat';
import { DEMO_HELP } from './help';

/** Runs the command; resolves to the exit code. */
export async function demoCommand(argv: ReadonlyArray<string>, io: CommandIo): Promise<number> {
  if (argv[0] === 'chat') return demoChatCommand(argv.slice(1), io);
  const { out, log, onShutdown } = io;
  const { options, positionals } = parseArgs(argv, { requests: 'string', seed: 'string', json: 'boolean', html: 'string' }, 'demo');
  if (options.help) {
    await out(DEMO_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'demo');
  const requests = intOption(options.requests, 'requests', DEFAULT_REQUESTS, 1, 20_000, 'demo');
  const seedText = options.seed as string | undefined;
  const seed = seedText === undefined ? DEFAULT_SEED : /^\d+$/.test(seedText) ? Number(seedText) : seedText;
  const htmlFile = htmlFileOption(options.html as string | undefined, 'demo');
  const records = htmlFile ? new EmfRecordsByScenario() : undefined;

  checkHandlerBundles();
  log('synthesizing the demo stack (the library\'s constructs, one workflow per run) ...');
  const deployment = DemoDeployment.synthesize();
  log('starting the Bedrock simulator, DynamoDB Local and the local S3 ...');
  const stack = await startLocalStack({ modelAliases: deployment.modelAliases() });
  onShutdown(() => stack.stop());
  const report = await runDemo({ requests, seed, stack, deployment, log, onMetricRecord: records?.add });
  if (htmlFile && records) {
    const bytes = writeDashboardPage(htmlFile, report, records);
    log(`wrote the dashboard page (${records.size} EMF records, ${Math.round(bytes / 1024)} KB) to ${htmlFile}`);
  }
  await out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  // The estimator's figure for the same workload, beside the replayed "Library defaults" cost.
  const optimized = report.runs.find((r) => r.scenario.id === 'optimized');
  if (!options.json && optimized) await out(formatPrediction(predictDemo(requests, seed), optimized.totals.costUsd));
  // `npx`: in a clone the command is not on PATH (only an installed package's bin is, and only through npx or a script).
  if (!htmlFile) log('to see the CloudWatch dashboard as a page computed from this run: npx genai-finops demo --html dashboard.html');
  log('to chat with the streaming API and watch each answer\'s cost settle: npx genai-finops demo chat (serves a page on 127.0.0.1 until Ctrl-C)');
  return 0;
}
