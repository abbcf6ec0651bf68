/** `genai-finops local invoke`: one bundled handler, one event, local services; the result alone on stdout. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { normalizeConfig } from '../../lambda/pipeline/config';
import {
  applyEnvironment, ConstructPipelineConfig, defaultPipelineConfig, functionEnvironment, modelAliases, Workflow, WORKFLOWS,
} from '../../local/demo/function-env';
import { bundlePath, ensureHandlerBundles, lambdaContext, loadBundledHandler } from '../../local/demo/handler-bundle';
import { startLocalStack } from '../../local/demo/local-stack';
import { parseArgs, subcommandArgs, UsageError } from './args';
import { LOCAL_HELP, LOCAL_INVOKE_HELP } from './help';
import { prepareFixtures } from './invoke-fixtures';
import { printInvocation } from './print-invocation';
import { invokeBreaker, LOCAL_BREAKER_CONFIG } from './local-breaker';
import { onShutdown } from './shutdown';

/** `genai-finops local <subcommand>`; resolves to the exit code. */
export async function localCommand(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const rest = subcommandArgs(argv, 'local', 'invoke');
  if (rest === 'help') {
    await out(LOCAL_HELP);
    return 0;
  }
  return invoke(rest, out, log);
}

async function invoke(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const cmd = 'local invoke';
  const { options, positionals } = parseArgs(argv, { workflow: 'string', event: 'string', config: 'string', object: 'string' }, cmd);
  if (options.help) {
    await out(LOCAL_INVOKE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, cmd);
  const workflow = options.workflow as string | undefined;
  const choices = [...WORKFLOWS, 'breaker'];
  if (workflow === undefined) throw new UsageError(`missing --workflow (one of ${choices.join(', ')})`, cmd);
  if (!choices.includes(workflow)) throw new UsageError(`--workflow must be one of ${choices.join(', ')}, got '${workflow}'`, cmd);
  if (options.event === undefined) throw new UsageError('missing --event FILE (the event as JSON, e.g. node_modules/genai-finops-local/events/api-gateway-proxy.json, or local/events/... in a clone)', cmd);
  const event = readJson(options.event as string, 'event', cmd);
  if (workflow === 'breaker') {
    if (options.object !== undefined) throw new UsageError('--object applies to --workflow document only', cmd);
    const breakerConfig = options.config === undefined ? LOCAL_BREAKER_CONFIG : checkBreakerConfig(readJson(options.config as string, 'config', cmd), options.config as string, cmd);
    return invokeBreaker(event, breakerConfig, out, log);
  }
  const config = options.config === undefined ? defaultPipelineConfig(workflow as Workflow) : checkConfig(readJson(options.config as string, 'config', cmd), options.config as string, cmd);
  if (options.object !== undefined && workflow !== 'document') throw new UsageError('--object applies to --workflow document only', cmd);
  const object = options.object === undefined ? undefined : readFile(options.object as string, 'object', cmd);

  await ensureHandlerBundles(log);
  const stack = await startLocalStack({ modelAliases: modelAliases(config) });
  onShutdown(() => stack.stop());
  log(`Bedrock simulator ${stack.endpoints.bedrock}, DynamoDB Local ${stack.endpoints.dynamodb}, S3 ${stack.endpoints.s3}`);
  const invokeEvent = await prepareFixtures(workflow as Workflow, event, config, stack, { object }, log);

  const requestId = randomUUID();
  log(`invoking ${bundlePath(workflow as Workflow)} (request id ${requestId}) ...`);
  const restoreEnv = applyEnvironment(functionEnvironment(workflow as Workflow, config, stack.endpoints));
  return printInvocation(() => loadBundledHandler(workflow as Workflow)(invokeEvent, lambdaContext(workflow as Workflow, requestId)), restoreEnv, out, log);
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

function checkBreakerConfig(value: unknown, file: string, cmd: string): typeof LOCAL_BREAKER_CONFIG {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || typeof v.tableName !== 'string' || typeof v.application !== 'string') {
    throw new UsageError(`the config file '${file}' must hold a breaker configuration like {"tableName": "...", "application": "...", "budgets": [{"name": "...", "features": ["*"]}], "alarms": []}`, cmd);
  }
  return { budgets: [], alarms: [], ...v } as unknown as typeof LOCAL_BREAKER_CONFIG;
}
