import { Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BundledHandler, bundledHandlerCode, GenAiFunction } from '../functions';
import { BedrockModel, CrossRegionGeography, GenAiInferenceProfile } from '../inference';
import { GenAiTagPolicy, GenAiTags } from '../tagging';
import { GenAiWorkflowProps } from './genai-workflow-props';

/** The model a workflow uses when none is configured: the current Claude Haiku, the cheapest capable tier. */
export const DEFAULT_WORKFLOW_MODEL_ID = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const DEFAULT_MAX_TOKENS = 1024;
// Lambda's environment holds at most 4 KB in all; leave room for the rest of the configuration.
const MAX_SYSTEM_PROMPT_CHARS = 2000;

/** What a workflow's runtime is made of. */
export interface WorkflowRuntime {
  readonly handler: GenAiFunction;
  readonly profile: GenAiInferenceProfile;
}

/** How one workflow differs from the others. */
export interface WorkflowRuntimeOptions {
  readonly bundledHandler: BundledHandler;
  readonly inferenceType: string;
  readonly defaultTimeout: Duration;
  readonly environment: { [key: string]: string };
}

/**
 * Builds the part every workflow shares: the GenAI tags and their check, the application inference profile,
 * and the handler allowed to invoke through that profile only.
 */
export function createWorkflowRuntime(scope: Construct, props: GenAiWorkflowProps, options: WorkflowRuntimeOptions): WorkflowRuntime {
  validateWorkflowProps(scope, props);
  GenAiTags.apply(scope, { inferenceType: options.inferenceType, ...props.tags });
  GenAiTagPolicy.checkConstruct(scope);

  const model = props.model ?? BedrockModel.crossRegion(CrossRegionGeography.US, DEFAULT_WORKFLOW_MODEL_ID);
  const profile = new GenAiInferenceProfile(scope, 'Profile', { model });
  const handler = new GenAiFunction(scope, 'Handler', {
    code: bundledHandlerCode(options.bundledHandler),
    handler: 'index.handler',
    description: `GenAI ${options.bundledHandler} workflow ${scope.node.path}`,
    memorySize: props.memorySize,
    timeout: props.timeout ?? options.defaultTimeout,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    logRetention: props.logRetention,
    environment: {
      GENAI_MODEL_ID: profile.profileArn,
      GENAI_BASE_MODEL_ID: model.modelId,
      GENAI_MAX_TOKENS: String(props.maxTokens ?? DEFAULT_MAX_TOKENS),
      ...(props.systemPrompt !== undefined ? { GENAI_SYSTEM_PROMPT: props.systemPrompt } : {}),
      ...options.environment,
    },
  });
  // The function's tags say which model it calls by default, like its profile's.
  GenAiTags.apply(handler, { modelProvider: model.provider, model: model.shortName });
  profile.grantInvoke(handler.function);
  return { handler, profile };
}

function validateWorkflowProps(scope: Construct, props: GenAiWorkflowProps): void {
  const maxTokens = props.maxTokens;
  if (maxTokens !== undefined && !Token.isUnresolved(maxTokens) && (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 64000)) {
    throw new Error(`${scope.node.path}: maxTokens is ${maxTokens}. Fix: use a whole number from 1 to 64000; ${DEFAULT_MAX_TOKENS} (the default) suits chat answers.`);
  }
  const prompt = props.systemPrompt;
  if (prompt !== undefined && !Token.isUnresolved(prompt)) {
    if (prompt.trim() === '') {
      throw new Error(`${scope.node.path}: systemPrompt is empty. Fix: leave it out to use the built-in instructions, or give the instructions.`);
    }
    if (prompt.length > MAX_SYSTEM_PROMPT_CHARS) {
      throw new Error(`${scope.node.path}: systemPrompt is ${prompt.length} characters; at most ${MAX_SYSTEM_PROMPT_CHARS} fit in the function's environment. Fix: shorten it, or send long instructions with each request.`);
    }
  }
}
