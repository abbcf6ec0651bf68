/**
 * `genai-finops local invoke <FunctionId> --template <Stack.template.json> --event FILE`: the function of a
 * synthesized template run once, as `sam local invoke -t` does: the code the template deploys (the asset `cdk synth`
 * staged beside it), the environment the template gives the function with its references resolved to local names,
 * and the tables and buckets that environment names created in DynamoDB Local and the local S3.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { ENV } from '../../../../shared/contract';
import { applyEnvironment, ConstructPipelineConfig, modelAliases } from '../demo/function-env';
import { startLocalStack } from '../demo/local-stack';
import {
  createTemplateResources, findFunction, functionEntry, readTemplateFile, resolveFunction, TemplateError, TemplateResolver,
} from '../template';
import { isStreamingHandler } from '../template/lambda-streaming';
import { loadHandlerExport } from '../template/load-handler';
import { localLambdaContext, localRuntimeEnvironment, withLocalStateTableTimeouts } from '../template/runtime-environment';
import { UsageError } from '../../../../shared/cli/args';
import { uploadAnnouncedObjects } from './invoke-fixtures';
import type { CommandIo } from './command-io';
import { printInvocation } from './print-invocation';
import { loadWithStdoutOnStderr, printStreamingInvocation } from './print-streaming-invocation';

/** What the template form of `local invoke` was given. */
export interface TemplateInvocation {
  readonly functionId: string;
  readonly templateFile: string;
  readonly event: unknown;
  /** A file to upload as the object a document event announces. */
  readonly object?: Buffer;
}

/** Runs the template's function once on the event; prints its result (or error) as JSON; resolves to the exit code. */
export async function invokeFromTemplate(
  invocation: TemplateInvocation, io: CommandIo, cmd: string,
): Promise<number> {
  const { out, log, onShutdown } = io;
  const { templateFile } = invocation;
  const resolved = usage(cmd, () => {
    const template = readTemplateFile(templateFile);
    const fn = findFunction(template, invocation.functionId, templateFile);
    const resolver = new TemplateResolver(template, { stackName: path.basename(templateFile).replace(/\.template\.json$|\.json$/, '') });
    const resolvedFn = resolveFunction(resolver, fn);
    return { resolver, fn: resolvedFn, entry: functionEntry(resolvedFn, templateFile) };
  });
  const { resolver, fn, entry } = resolved;
  const shown = path.relative(process.cwd(), entry.file);
  log(`${fn.logicalId}${fn.constructPath ? ` (${fn.constructPath})` : ''}: ${shown.startsWith('..') ? entry.file : shown}, export ${entry.exportName}`);

  const pipelineConfig = parsePipelineConfig(fn.environment[ENV.pipelineConfig]);
  const stack = await startLocalStack({ modelAliases: pipelineConfig ? modelAliases(pipelineConfig) : {} });
  onShutdown(() => stack.stop());
  log(`Bedrock simulator ${stack.endpoints.bedrock}, DynamoDB Local ${stack.endpoints.dynamodb}, S3 ${stack.endpoints.s3}`);
  const created = await createTemplateResources(resolver, fn.referenced, stack);
  for (const table of created.tables) log(`created table ${table}`);
  for (const bucket of created.buckets) log(`created bucket ${bucket}`);
  const event = invocation.object ? await uploadAnnouncedObjects(invocation.event, stack, invocation.object, log) : invocation.event;

  const requestId = randomUUID();
  log(`invoking ${fn.functionName} (request id ${requestId}) ...`);
  const restoreEnv = applyEnvironment(withLocalStateTableTimeouts({ ...fn.environment, ...localRuntimeEnvironment(fn, stack.endpoints, resolver.region) }));
  const context = localLambdaContext(fn, requestId, resolver.account, resolver.region);
  const loaded = loadWithStdoutOnStderr(() => loadHandlerExport(entry.file, entry.exportName));
  if ('error' in loaded) return printInvocation(() => Promise.reject(loaded.error), restoreEnv, out, log);
  const { handler } = loaded;
  // A streamified handler (awslambda.streamifyResponse) runs as Lambda runs it: its response printed as it streams.
  if (isStreamingHandler(handler)) {
    log('the handler streams its response (awslambda.streamifyResponse): the HTTP response follows as it arrives');
    return printStreamingInvocation(handler, event, context, restoreEnv, log);
  }
  return printInvocation(() => handler(event, context), restoreEnv, out, log);
}

/** A template that cannot be used is a usage error (exit 2), with the reason. */
function usage<T>(cmd: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof TemplateError) throw new UsageError(error.message, cmd);
    throw error;
  }
}

function parsePipelineConfig(text: string | undefined): ConstructPipelineConfig | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ConstructPipelineConfig;
  } catch {
    return undefined;
  }
}
