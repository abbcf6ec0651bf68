/**
 * The environment a deployed workflow function gets from the constructs (GENAI_PIPELINE_CONFIG, GENAI_TAGS, the
 * workflow's bucket and table names, the Lambda runtime's variables), plus the endpoint overrides that point its
 * clients at the local services.
 */
import {
  DEFAULT_INPUT_PREFIX, DEFAULT_MAX_INPUT_TOKENS, DEFAULT_MAX_OUTPUT_TOKENS, DEFAULT_RESPONSE_CACHE_NAMESPACE, DEFAULT_RESPONSE_CACHE_TTL_SECONDS,
  DEFAULT_RESULTS_PREFIX, ENV, METRIC_NAMESPACE, PipelineConfigDocument,
} from '../../lambda/contract';
import { DEFAULT_TIER_MODELS } from '../../lambda/core';

/** The three workflows and their bundled handlers. */
export type Workflow = 'api' | 'document' | 'scheduled';
export const WORKFLOWS: ReadonlyArray<Workflow> = ['api', 'document', 'scheduled'];

/** The account and region of the local "deployment" (ARNs only; nothing is called in AWS). */
export const LOCAL_ACCOUNT = '111122223333';
export const LOCAL_REGION = 'us-east-1';

/** GENAI_PIPELINE_CONFIG as the workflow construct writes it: the contract's document. */
export type ConstructPipelineConfig = PipelineConfigDocument;

/** Endpoints of the local services. */
export interface LocalEndpoints {
  readonly bedrock: string;
  readonly dynamodb: string;
  readonly s3: string;
}

export { DEFAULT_MAX_INPUT_TOKENS, DEFAULT_MAX_OUTPUT_TOKENS } from '../../lambda/contract';

/** The model id a function is configured with for a base model: the construct keeps the geography prefix. */
export function crossRegionModelId(baseModelId: string): string {
  return `us.${baseModelId}`;
}

/**
 * A tier as the construct configures it: invoked through an application inference profile (an ARN), priced by
 * model id. The profile name is derived from the model, so the simulator can be told which model each ARN is.
 */
export function tierModel(baseModelId: string): { invokeId: string; modelId: string } {
  const profile = `local-${baseModelId.replace(/^anthropic\./, '').replace(/[^a-z0-9-]/g, '-')}`;
  return {
    invokeId: `arn:aws:bedrock:${LOCAL_REGION}:${LOCAL_ACCOUNT}:application-inference-profile/${profile}`,
    modelId: crossRegionModelId(baseModelId),
  };
}

/** The tiers of the construct's default routing. */
export function defaultRouting(): ConstructPipelineConfig['tiers'] {
  return {
    simple: tierModel(DEFAULT_TIER_MODELS.simple),
    medium: tierModel(DEFAULT_TIER_MODELS.medium),
    complex: tierModel(DEFAULT_TIER_MODELS.complex),
  };
}

/** The configuration a workflow construct writes with default props (the API workflow gets a response cache). */
export function defaultPipelineConfig(workflow: Workflow): ConstructPipelineConfig {
  return {
    tiers: defaultRouting(),
    defaultLimits: { maxInputTokens: DEFAULT_MAX_INPUT_TOKENS, maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS },
    promptCaching: true,
    ...(workflow === 'api' ? { responseCache: { tableName: 'genai-finops-local-response-cache', ttlSeconds: DEFAULT_RESPONSE_CACHE_TTL_SECONDS, namespace: DEFAULT_RESPONSE_CACHE_NAMESPACE } } : {}),
    priceOverrides: {},
  };
}

/** What the simulator must know to resolve the configuration's application inference profile ARNs. */
export function modelAliases(config: ConstructPipelineConfig): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const tier of Object.values(config.tiers)) {
    if (tier && tier.invokeId !== tier.modelId) aliases[tier.invokeId] = tier.modelId;
  }
  if (config.embedding && config.embedding.invokeId !== config.embedding.modelId) aliases[config.embedding.invokeId] = config.embedding.modelId;
  return aliases;
}

/** Names of the workflow resources the construct would create, locally. */
export const LOCAL_RESOURCES = {
  resultsTable: 'genai-finops-local-document-results',
  inputBucket: 'genai-finops-local-records',
  inputPrefix: DEFAULT_INPUT_PREFIX,
  resultsBucket: 'genai-finops-local-results',
  resultsPrefix: DEFAULT_RESULTS_PREFIX,
} as const;

const INFERENCE_TYPE: Record<Workflow, string> = { api: 'realtime', document: 'async', scheduled: 'batch' };
const FEATURE: Record<Workflow, string> = { api: 'support-chat', document: 'ticket-attachments', scheduled: 'conversation-digest' };

/** The function's GenAI tags, as GENAI_TAGS carries them (the example stack's tags). */
export function genAiTags(workflow: Workflow, config: ConstructPipelineConfig): Record<string, string> {
  const primary = config.tiers.simple ?? config.tiers.medium ?? config.tiers.complex;
  const base = primary?.modelId.replace(/^(?:us|eu|apac|global)\./, '') ?? '';
  return {
    Environment: 'development',
    Application: 'customer-support',
    Feature: FEATURE[workflow],
    Team: 'support',
    CostCenter: 'operations',
    ModelProvider: base.slice(0, base.indexOf('.')) || 'unknown',
    Model: base.slice(base.indexOf('.') + 1).replace(/-\d{8}-v\d+:\d+$/, ''),
    InferenceType: INFERENCE_TYPE[workflow],
    Customer: 'internal',
  };
}

/** The full environment of the function, local endpoints included. */
export function functionEnvironment(workflow: Workflow, config: ConstructPipelineConfig, endpoints: LocalEndpoints): Record<string, string> {
  const workflowEnv: Record<Workflow, Record<string, string>> = {
    api: {},
    document: { [ENV.resultsTable]: LOCAL_RESOURCES.resultsTable },
    scheduled: {
      [ENV.inputBucket]: LOCAL_RESOURCES.inputBucket,
      [ENV.inputPrefix]: LOCAL_RESOURCES.inputPrefix,
      [ENV.resultsBucket]: LOCAL_RESOURCES.resultsBucket,
      [ENV.resultsPrefix]: LOCAL_RESOURCES.resultsPrefix,
    },
  };
  return {
    // What the constructs set.
    [ENV.pipelineConfig]: JSON.stringify(config),
    [ENV.tags]: JSON.stringify(genAiTags(workflow, config)),
    [ENV.metricsNamespace]: METRIC_NAMESPACE,
    ...workflowEnv[workflow],
    // What the Lambda runtime sets.
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: `genai-finops-local-${workflow}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Local only: the clients talk to the simulator and the local services, and never look for real credentials.
    [ENV.bedrockEndpoint]: endpoints.bedrock,
    [ENV.dynamodbEndpoint]: endpoints.dynamodb,
    [ENV.s3Endpoint]: endpoints.s3,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

// Variables of the developer's shell that would make the function's SDK clients reach for a real account.
const SHELL_ONLY = ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_ENDPOINT_URL'];

/**
 * Sets the function's environment on this process (handlers read it at init), removing shell credentials; returns
 * a function that puts the previous values back.
 */
export function applyEnvironment(env: Record<string, string>): () => void {
  const keys = [...Object.keys(env), ...SHELL_ONLY];
  const previous = new Map(keys.map((k) => [k, process.env[k]]));
  for (const key of SHELL_ONLY) delete process.env[key];
  Object.assign(process.env, env);
  return () => {
    for (const [key, value] of previous) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
