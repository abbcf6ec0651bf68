/** `genai-finops local invoke`: one bundled handler, one event, local services; the result alone on stdout. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BreakerHandlerConfig, ENV } from '../../../../shared/contract';
import { normalizeConfig } from '../../../../lambda/pipeline/config';
import { applyEnvironment, ConstructPipelineConfig, modelAliases, Workflow, WORKFLOWS } from '../demo/function-env';
import { bundlePath, checkHandlerBundles, loadBundledHandler } from '../demo/handler-bundle';
import { startLocalStack } from '../demo/local-stack';
import type { WorkflowTemplate } from '../demo/workflow-stack';
import { createTemplateResources, ResolvedFunction, resolveFunction, TemplateResolver } from '../template';
import { localLambdaContext, localRuntimeEnvironment, withLocalStateTableTimeouts } from '../template/runtime-environment';
import { parseArgs, subcommandArgs, UsageError } from '../../../../shared/cli/args';
import type { CommandIo } from './command-io';
import { LOCAL_HELP, LOCAL_INVOKE_HELP } from './help';
import { createConfigCaches, prepareFixtures } from './invoke-fixtures';
import { printInvocation } from './print-invocation';
import { loadWithStdoutOnStderr, printStreamingInvocation } from './print-streaming-invocation';
import { isStreamingHandler } from '../template/lambda-streaming';
import { invokeBreaker } from './local-breaker';
import { invokeFromTemplate } from './template-invoke';

/** `genai-finops local <subcommand>`; resolves to the exit code. */
export async function localCommand(argv: ReadonlyArray<string>, io: CommandIo): Promise<number> {
  const rest = subcommandArgs(argv, 'local', 'invoke');
  if (rest === 'help') {
    await io.out(LOCAL_HELP);
    return 0;
  }
  return invoke(rest, io);
}

async function invoke(argv: ReadonlyArray<string>, io: CommandIo): Promise<number> {
  const { out, log, onShutdown } = io;
  const cmd = 'local invoke';
  const { options, positionals } = parseArgs(argv, { workflow: 'string', template: 'string', event: 'string', config: 'string', object: 'string' }, cmd);
  if (options.help) {
    await out(LOCAL_INVOKE_HELP);
    return 0;
  }
  if (options.template !== undefined) return invokeTemplateForm(options, positionals, io);
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' (a function id goes with --template FILE: local invoke ${positionals[0]} --template cdk.out/<Stack>.template.json --event FILE)`, cmd);
  }
  const workflow = options.workflow as string | undefined;
  const choices = [...WORKFLOWS, 'breaker'];
  if (workflow === undefined) throw new UsageError(`missing --workflow (one of ${choices.join(', ')}), or a function of a synthesized template: <FunctionLogicalId> --template cdk.out/<Stack>.template.json`, cmd);
  if (!choices.includes(workflow)) throw new UsageError(`--workflow must be one of ${choices.join(', ')}, got '${workflow}'`, cmd);
  if (options.event === undefined) throw new UsageError('missing --event FILE (the event as JSON, e.g. node_modules/genai-finops-local/events/api-gateway-proxy.json, or packages/local/events/... in a clone)', cmd);
  const event = readJson(options.event as string, 'event', cmd);
  if (workflow === 'breaker') {
    if (options.object !== undefined) throw new UsageError('--object applies to --workflow document only', cmd);
    const breakerConfig = options.config === undefined ? undefined : checkBreakerConfig(readJson(options.config as string, 'config', cmd), options.config as string, cmd);
    checkHandlerBundles();
    const { fn } = defaultWorkflow('breaker', log);
    const config = breakerConfig ?? JSON.parse(fn.environment[ENV.breakerConfig]) as BreakerHandlerConfig;
    return invokeBreaker(event, config, fn, io);
  }
  const custom = options.config === undefined ? undefined : checkConfig(readJson(options.config as string, 'config', cmd), options.config as string, cmd);
  if (options.object !== undefined && workflow !== 'document') throw new UsageError('--object applies to --workflow document only', cmd);
  const object = options.object === undefined ? undefined : readFile(options.object as string, 'object', cmd);

  checkHandlerBundles();
  const { resolver, fn } = defaultWorkflow(workflow as Workflow, log);
  const config = custom ?? JSON.parse(fn.environment[ENV.pipelineConfig]) as ConstructPipelineConfig;
  const stack = await startLocalStack({ modelAliases: modelAliases(config) });
  onShutdown(() => stack.stop());
  log(`Bedrock simulator ${stack.endpoints.bedrock}, DynamoDB Local ${stack.endpoints.dynamodb}, S3 ${stack.endpoints.s3}`);
  const created = await createTemplateResources(resolver, fn.referenced, stack);
  for (const table of created.tables) log(`created table ${table}`);
  for (const bucket of created.buckets) log(`created bucket ${bucket}`);
  if (custom) await createConfigCaches(custom, stack, log);
  const invokeEvent = await prepareFixtures(workflow as Workflow, event, fn.environment, stack, { object }, log);

  const requestId = randomUUID();
  log(`invoking ${bundlePath(workflow as Workflow)} (request id ${requestId}) ...`);
  const restoreEnv = applyEnvironment(withLocalStateTableTimeouts({
    ...fn.environment, [ENV.pipelineConfig]: JSON.stringify(config), ...localRuntimeEnvironment(fn, stack.endpoints, resolver.region),
  }));
  const context = localLambdaContext(fn, requestId, resolver.account, resolver.region);
  const loaded = loadWithStdoutOnStderr(() => loadBundledHandler(workflow as Workflow));
  if ('error' in loaded) return printInvocation(() => Promise.reject(loaded.error), restoreEnv, out, log);
  const { handler } = loaded;
  if (isStreamingHandler(handler)) return printStreamingInvocation(handler, invokeEvent, context, restoreEnv, log);
  return printInvocation(() => handler(invokeEvent, context), restoreEnv, out, log);
}

/**
 * The library's workflow with default props, synthesized (a few seconds; aws-cdk-lib and the constructs are loaded
 * only here): its function with the environment the construct gives it.
 */
function defaultWorkflow(workflow: Workflow | 'breaker', log: (line: string) => void): { resolver: TemplateResolver; fn: ResolvedFunction } {
  log(`synthesizing the library's ${workflow === 'breaker' ? 'CircuitBreaker' : `${workflow} workflow`} with default props ...`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { synthesizeWorkflowStack } = require('../demo/workflow-stack') as typeof import('../demo/workflow-stack');
  const synthesized: WorkflowTemplate = synthesizeWorkflowStack(workflow);
  const resolver = new TemplateResolver(synthesized.template, { stackName: synthesized.stackName });
  return { resolver, fn: resolveFunction(resolver, { logicalId: synthesized.functionId }) };
}

/** `local invoke <FunctionLogicalId> --template FILE --event FILE [--object FILE]`. */
async function invokeTemplateForm(
  options: Readonly<Record<string, string | boolean | undefined>>, positionals: ReadonlyArray<string>,
  io: CommandIo,
): Promise<number> {
  const cmd = 'local invoke';
  if (options.workflow !== undefined) throw new UsageError('--workflow and --template exclude each other: --template runs a function of your synthesized template, --workflow the library\'s default one', cmd);
  if (options.config !== undefined) throw new UsageError('--config applies to --workflow only: with --template the function\'s configuration is the template\'s', cmd);
  if (positionals.length === 0) throw new UsageError(`missing the function: local invoke <FunctionLogicalId> --template ${options.template} --event FILE`, cmd);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (one function at a time)`, cmd);
  if (options.event === undefined) throw new UsageError('missing --event FILE (the event as JSON)', cmd);
  const event = readJson(options.event as string, 'event', cmd);
  const object = options.object === undefined ? undefined : readFile(options.object as string, 'object', cmd);
  return invokeFromTemplate({ functionId: positionals[0], templateFile: options.template as string, event, object }, io, cmd);
}

function readFile(file: string, what: string, cmd: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UsageError(`cannot read the ${what} file '${file}': ${reason}`, cmd);
  }
}

function readJson(file: string, what: string, cmd: string): unknown {
  const text = readFile(file, what, cmd).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the ${what} file '${file}' is not valid JSON: ${(error as Error).message}`, cmd);
  }
}

function checkConfig(value: unknown, file: string, cmd: string): ConstructPipelineConfig {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`the config file '${file}' must hold a JSON object like {"tiers": {"simple": {"invokeId": "...", "modelId": "..."}}}`, cmd);
  }
  try {
    normalizeConfig(value as Parameters<typeof normalizeConfig>[0]);
  } catch (error) {
    throw new UsageError(`the config file '${file}' is not a valid pipeline configuration: ${(error as Error).message}`, cmd);
  }
  return value as ConstructPipelineConfig;
}

function checkBreakerConfig(value: unknown, file: string, cmd: string): BreakerHandlerConfig {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || typeof v.tableName !== 'string' || typeof v.application !== 'string') {
    throw new UsageError(`the config file '${file}' must hold a breaker configuration like {"tableName": "...", "application": "...", "budgets": [{"name": "...", "features": ["*"]}], "alarms": []}`, cmd);
  }
  return { budgets: [], alarms: [], ...v } as unknown as BreakerHandlerConfig;
}
