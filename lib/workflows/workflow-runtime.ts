import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { IEmbeddingCache, IResponseCache, ResponseCacheTable } from '../data-stores';
import { GenAiFunction } from '../functions';
import { BundledHandler, bundledHandlerCode } from '../private/bundled-handler';
import { BedrockModel, CrossRegionGeography, GenAiInferenceProfile } from '../inference';
import { DEFAULT_MAX_INPUT_TOKENS, DEFAULT_MAX_OUTPUT_TOKENS, ENV, METRIC_NAMESPACE, MODEL_TIERS, ModelPriceOverrideFields, ModelTier, PipelineConfigDocument, UsageLimitConfig } from '../../shared/contract';
import { DEFAULT_FALLBACK_PRICE, lookupModel, serviceTiersOf, geographyServesRegion, AVAILABILITY_READ_ON, MODEL_AVAILABILITY, preferredOption, regionKind, modelFacts } from '../../shared/core';
import { checkModelRegion } from '../inference/region-availability';
import { IUsageLedger } from '../guardrails/usage-ledger';
import { usageLimitsConfig } from '../guardrails/usage-limits';
import { checkNearLimit } from './near-limit';
import { checkUsageLimitsFit } from './usage-limit-fit';
import { breakerGuardConfig } from '../guardrails/circuit-breaker';
import { GenAiTags } from '../tagging';
import { checkGenAiTags } from '../tagging/tag-check';
import { embeddingInvocation } from './embedding-profile';
import { GenAiWorkflowProps, ModelPriceOverride, ModelRouting } from './genai-workflow-props';

/** Routing when none is configured: the current Claude Haiku, Sonnet and Opus through US cross-region profiles. */
export const DEFAULT_ROUTING: ModelRouting = {
  simple: BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0'),
  medium: BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-sonnet-4-5-20250929-v1:0'),
  complexTier: BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-opus-4-5-20251101-v1:0'),
};
// Lambda's environment holds at most 4 KB in all; leave room for the rest of the configuration.
const MAX_SYSTEM_PROMPT_CHARS = 2000;
const TIER_PROFILE_IDS: Record<ModelTier, string> = { simple: 'Profile', medium: 'MediumProfile', complex: 'ComplexProfile' };
// Lambda's limit on a function description.
const MAX_DESCRIPTION_CHARS = 256;

/** The model of a tier: the public prop of the complex tier is `complexTier` (`complex` is reserved in Go). */
export function tierModel(routing: ModelRouting, tier: ModelTier): BedrockModel | undefined {
  switch (tier) {
    case 'simple': return routing.simple;
    case 'medium': return routing.medium;
    case 'complex': return routing.complexTier;
  }
}

/** What a workflow's runtime is made of. */
export interface WorkflowRuntime {
  readonly handler: GenAiFunction;
  /** The profile of the simple (or only) tier. */
  readonly profile: GenAiInferenceProfile;
  /** One profile per distinct model. */
  readonly profiles: GenAiInferenceProfile[];
  readonly responseCache?: IResponseCache;
  readonly embeddingCache?: IEmbeddingCache;
  /** The application inference profile the embeddings are invoked through, when there is an embedding cache. */
  readonly embeddingProfile?: GenAiInferenceProfile;
  /** The distinct base model ids of the tiers, cheapest first. */
  readonly routedModels: string[];
  /** Where the usage limits are counted (absent: in each container), and the limits as the runtime reads them. */
  readonly usageLedger?: IUsageLedger;
  readonly usageLimits: ReadonlyArray<UsageLimitConfig>;
  /**
   * The guard signals the handler can emit, for the dashboard: `DegradedRequests` (a `nearLimit` policy),
   * `ThrottledRequests` (a breaker in THROTTLE mode, the feature not critical), the ledger's events (limits counted
   * in a usage ledger).
   */
  readonly signals: { readonly degrades: boolean; readonly throttles: boolean; readonly usesUsageLedger: boolean };
}

/** How one workflow differs from the others. */
export interface WorkflowRuntimeOptions {
  readonly bundledHandler: BundledHandler;
  readonly inferenceType: string;
  readonly defaultTimeout: Duration;
  readonly createResponseCache: boolean;
  readonly environment: { [key: string]: string };
  /** The embedding cache the handler serves (the API workflow's `POST /embed`). */
  readonly embeddingCache?: IEmbeddingCache;
  /**
   * The handler calls ConverseStream: its role may also `bedrock:InvokeModelWithResponseStream` through the profiles
   * (and only through them). A handler that only calls Converse is not given the streaming action.
   */
  readonly responseStreaming?: boolean;
}

/**
 * Builds the part every workflow shares: the GenAI tags and their check, one application inference profile per
 * routed model, the response cache, and the handler with its pipeline configuration, allowed to invoke through
 * those profiles only.
 */
export function createWorkflowRuntime(scope: Construct, props: GenAiWorkflowProps, options: WorkflowRuntimeOptions): WorkflowRuntime {
  validateWorkflowProps(scope, props);
  refuseUnservedEmbeddingCache(scope, props, options);
  GenAiTags.apply(scope, { inferenceType: options.inferenceType, ...props.tags });
  checkGenAiTags(scope);

  const routing: ModelRouting = props.model ? { simple: props.model } : (props.routing ?? defaultRoutingFor(scope));
  checkGeographies(scope, routing);
  const profilesByModel = new Map<BedrockModel, GenAiInferenceProfile>();
  const tiers: Record<string, { invokeId: string; modelId: string }> = {};
  for (const tier of MODEL_TIERS) {
    const model = tierModel(routing, tier);
    if (!model) continue;
    let profile = profilesByModel.get(model);
    if (!profile) {
      profile = new GenAiInferenceProfile(scope, TIER_PROFILE_IDS[tier], { model });
      profilesByModel.set(model, profile);
    }
    // The model id keeps its geography prefix: cross-region prices differ from global ones.
    tiers[tier] = { invokeId: profile.profileArn, modelId: model.invocationId };
  }
  const profiles = [...profilesByModel.values()];
  const routedModels = [...new Set(profiles.map((p) => p.model.modelId))];
  checkModels(scope, props, profiles.map((p) => p.model));
  checkServiceTier(scope, props, profiles.map((p) => p.model));
  const responseCache = props.responseCache ?? (options.createResponseCache ? new ResponseCacheTable(scope, 'ResponseCache') : undefined);
  const embedding = options.embeddingCache;
  const embeddingTarget = embedding ? embeddingInvocation(scope, embedding) : undefined;

  const usageLimits = usageLimitsConfig(scope, props.usageLimits, props.usageLedger !== undefined);
  checkUsageLimitsFit(scope, usageLimits, props.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, props.usageLedger);
  const nearLimit = checkNearLimit(scope, props, {
    routed: Object.fromEntries(MODEL_TIERS.map((t) => [t, tierModel(routing, t)]).filter(([, m]) => m !== undefined)),
    // The workflow defers only when it was given somewhere to write deferred records (ApiWorkflow `deferTo`).
    canDefer: options.environment[ENV.deferredBucket] !== undefined,
    hasResponseCache: responseCache !== undefined,
  });
  const ledger = props.usageLedger;
  const breaker = circuitBreakerSection(scope, props, options.bundledHandler);
  const pipelineConfig: PipelineConfigDocument = {
    tiers,
    defaultLimits: {
      maxInputTokens: props.maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS,
      maxOutputTokens: props.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
      ...(props.maxHintedTier ? { maxHintedTier: props.maxHintedTier } : {}),
      ...(props.serviceTier && props.serviceTier !== 'standard' ? { serviceTier: props.serviceTier } : {}),
      ...(nearLimit ? { nearLimit } : {}),
    },
    promptCaching: props.promptCaching ?? true,
    responseCache: responseCache
      ? { tableName: responseCache.table.tableName, ttlSeconds: responseCache.ttl.toSeconds(), namespace: responseCache.cacheNamespace }
      : undefined,
    embedding: embedding
      ? { tableName: embedding.table.tableName, invokeId: embeddingTarget!.invokeId, modelId: embedding.modelId, dimensions: embedding.dimensions, ttlSeconds: embedding.ttl.toSeconds() }
      : undefined,
    priceOverrides: Object.fromEntries((props.modelPrices ?? []).map((p) => [p.modelId, priceEntry(p)])),
    ...(usageLimits.length > 0 || breaker ? {
      guards: {
        ...(ledger && usageLimits.length > 0 ? { store: 'dynamodb', ledgerTableName: ledger.table.tableName, ...ledgerTiers(ledger) } : { store: 'container' }),
        usageLimits,
        ...(breaker ? { breaker } : {}),
      },
    } : {}),
  };

  const handler = new GenAiFunction(scope, 'Handler', {
    code: bundledHandlerCode(options.bundledHandler),
    handler: 'index.handler',
    description: functionDescription(options.bundledHandler, scope.node.path, profiles.map((p) => p.model.shortName)),
    memorySize: props.memorySize,
    timeout: props.timeout ?? options.defaultTimeout,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    logRetention: props.logRetention,
    environment: {
      [ENV.pipelineConfig]: Stack.of(scope).toJsonString(pipelineConfig),
      ...(props.systemPrompt !== undefined ? { [ENV.systemPrompt]: props.systemPrompt } : {}),
      [ENV.metricsNamespace]: METRIC_NAMESPACE,
      ...options.environment,
    },
  });
  // No Model or ModelProvider tag on the function, its queue and logs: they serve every routed model, and Bedrock's
  // tokens are billed to the profiles, which carry them. The routed models are in the description instead.
  for (const profile of profiles) profile.grantInvoke(handler.function, { responseStreaming: options.responseStreaming ?? false });
  grantCountTokens(scope, handler, profiles.map((p) => p.model));
  responseCache?.grantReadWrite(handler.function);
  embeddingTarget?.grant(handler.function);
  props.circuitBreaker?.grantRead(handler.function);
  if (ledger && usageLimits.length > 0) ledger.grantReserveAndSettle(handler.function);
  // What the handler can emit beside the request records, for the dashboard's limits row (a critical feature is never throttled).
  const signals = {
    degrades: nearLimit !== undefined,
    throttles: breaker?.defaultFeature !== undefined && !breaker.defaultFeature.critical && breaker.defaultFeature.whenTripped === 'throttle',
    usesUsageLedger: ledger !== undefined && usageLimits.length > 0,
  };
  return { handler, profile: profilesByModel.get(routing.simple)!, profiles, responseCache, embeddingCache: embedding, embeddingProfile: embeddingTarget?.profile, routedModels, usageLedger: ledger, usageLimits, signals };
}

/**
 * Near the prompt limit the runtime asks Bedrock's CountTokens (free) for the routed model, and again when a token or
 * USD limit refuses a prompt reserved on its bound; without this grant every prompt between the bounds is refused.
 * CountTokens takes a foundation model only (its API reference: "the unique identifier or ARN of the foundation
 * model"; the Service Authorization Reference lists `foundation-model` as its one resource type), so the runtime
 * counts a cross-Region profile's base model, in the function's own Region: the grant is exactly those ARNs.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html
 */
function grantCountTokens(scope: Construct, handler: GenAiFunction, models: ReadonlyArray<BedrockModel>): void {
  const stack = Stack.of(scope);
  const arns = [...new Set(models.map((m) => `arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${m.modelId}`))];
  handler.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['bedrock:CountTokens'], resources: arns }));
}

/** The breaker section of `guards` (the `circuitBreaker`, `critical`, `whenTripped`, `downgradeTo` and `throttleTo` props). */
function circuitBreakerSection(scope: Construct, props: GenAiWorkflowProps, bundledHandler: BundledHandler) {
  // A throttle thins a stream of requests that callers retry. A scheduled day or a document is one invocation that
  // a refusal fails as a whole (its retries spent on the same refusals): there it would act as a pause that loses work.
  if (props.whenTripped === 'throttle' && (bundledHandler === BundledHandler.SCHEDULED || bundledHandler === BundledHandler.DOCUMENT)) {
    throw new Error(`${scope.node.path}: whenTripped is WhenTripped.THROTTLE, but this ${bundledHandler === BundledHandler.SCHEDULED ? 'scheduled' : 'document'} workflow runs each day or document as one invocation, which a throttled refusal would fail whole. Fix: use WhenTripped.PAUSE (the work waits for the breaker to close) or WhenTripped.DOWNGRADE here; THROTTLE is for ApiWorkflow.`);
  }
  if (!props.circuitBreaker) {
    const set = (['critical', 'whenTripped', 'downgradeTo', 'throttleTo'] as const).filter((p) => props[p] !== undefined);
    if (set.length > 0) throw new Error(`${scope.node.path}: ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set without a circuitBreaker, so ${set.length > 1 ? 'they do' : 'it does'} nothing. Fix: pass circuitBreaker (a CircuitBreaker, or CircuitBreaker.fromTable(...)), or remove ${set.join(', ')}.`);
    return undefined;
  }
  return breakerGuardConfig(scope, props.circuitBreaker, props);
}

/**
 * The default routing in the geography that serves the stack's Region (EU models for eu-west-1, say): the right
 * profiles instead of a deploy that fails. Each model takes the first of its documented profiles that serves the
 * Region (`model-regions.ts`: Sonnet 4.5 has `jp.` but no `apac.`, Opus 4.5 neither, so Tokyo gets `jp.` and `global.`).
 * A Region-agnostic stack gets the US profiles, and a warning. Where no documented option serves the Region (GovCloud,
 * China), it throws and asks for `routing`, rather than guess one that would fail.
 */
function defaultRoutingFor(scope: Construct): ModelRouting {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) return DEFAULT_ROUTING;
  const kind = regionKind(region);
  const defaults = [DEFAULT_ROUTING.simple, DEFAULT_ROUTING.medium!, DEFAULT_ROUTING.complexTier!];
  // GovCloud, China, or a commercial Region none of the defaults' documented options serves: nothing to pick, and a
  // guess would fail as an error about a routing prop the user never set. A Region the data does not know keeps the
  // geography guess below; its checks only warn.
  const unserved = kind === 'unknown' ? [] : defaults.filter((m) => MODEL_AVAILABILITY[m.modelId] !== undefined && preferredOption(m.modelId, region) === undefined);
  if (unserved.length > 0) {
    throw new Error(`${scope.node.path}: no default routing for ${region}: the model availability data (read ${AVAILABILITY_READ_ON}) documents no way to call ${unserved.map((m) => `'${m.modelId}'`).join(', ')} from ${region}${kind === 'govcloud' ? ' (AWS GovCloud (US))' : kind === 'china' ? ' (an AWS China Region)' : ''}. ` +
      `Fix: set \`routing\` (or \`model\`) to models your account can call in ${region}, e.g. routing: { simple: BedrockModel.foundationModel('<model id>') } or BedrockModel.crossRegion(<geography>, '<model id>'), as the model's card in the Bedrock user guide lists for ${region}.`);
  }
  const inRegion = (model: BedrockModel): BedrockModel => {
    const option = preferredOption(model.modelId, region);
    if (option?.kind === 'profile') return option.geography === model.geography ? model : BedrockModel.crossRegion(option.geography as CrossRegionGeography, model.modelId);
    if (option?.kind === 'in-region') return BedrockModel.foundationModel(model.modelId);
    const geography = geographyFor(region);
    return geography === model.geography ? model : BedrockModel.crossRegion(geography, model.modelId);
  };
  const routing = { simple: inRegion(DEFAULT_ROUTING.simple), medium: inRegion(DEFAULT_ROUTING.medium!), complexTier: inRegion(DEFAULT_ROUTING.complexTier!) };
  const unchanged = routing.simple === DEFAULT_ROUTING.simple && routing.medium === DEFAULT_ROUTING.medium && routing.complexTier === DEFAULT_ROUTING.complexTier;
  return unchanged ? DEFAULT_ROUTING : routing;
}

/**
 * A cross-region profile exists only in the Regions of its geography: `us.` models in eu-west-1 fail at deploy, in
 * CloudFormation. Caught here instead; a Region-agnostic stack cannot be checked, so it gets a warning.
 */
function checkGeographies(scope: Construct, routing: ModelRouting): void {
  const region = Stack.of(scope).region;
  for (const tier of MODEL_TIERS) {
    const model = tierModel(routing, tier);
    if (!model?.geography) continue;
    if (Token.isUnresolved(region)) {
      Annotations.of(scope).addWarningV2('genai-finops:region-agnostic-geography',
        `${scope.node.path}: routing.${tierProp(tier)} calls '${model.modelId}' through the '${model.geography}.' cross-region profile, which exists only in that geography's Regions, and the stack has no Region to check it against. Set the stack's env.region to have it checked at synthesis.`);
    }
  }
  // What the Region cannot serve (a profile outside its geography, global. in GovCloud, an in-Region Opus 4.5): the
  // error names the tier's prop and the options that do work in the Region. Warnings are left to the profiles.
  for (const tier of MODEL_TIERS) {
    const model = tierModel(routing, tier);
    if (model) checkModelRegion(scope, model, `routing.${tierProp(tier)}`, false);
  }
}

function tierProp(tier: ModelTier): string {
  return tier === 'complex' ? 'complexTier' : tier;
}

/**
 * Facts about the routed models that synthesis can check: an output cap above what a model can produce fails every
 * call to it, and a model the catalog does not know is priced at the fallback (Opus-class) price unless given one.
 */
function checkModels(scope: Construct, props: GenAiWorkflowProps, models: BedrockModel[]): void {
  const priced = new Set((props.modelPrices ?? []).map((p) => p.modelId));
  const maxTokens = props.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  for (const model of models) {
    const facts = modelFacts(model.invocationId);
    if (!facts.known && !priced.has(model.modelId) && !priced.has(model.invocationId)) {
      Annotations.of(scope).addWarningV2('genai-finops:unknown-model',
        `${scope.node.path}: '${model.modelId}' is not in the built-in price catalog, so its cost will be reported at the fallback price, that of an Opus-class model (USD ${DEFAULT_FALLBACK_PRICE.inputPerMillion} input / ${DEFAULT_FALLBACK_PRICE.outputPerMillion} output per million tokens), and usage limits in dollars will count it so. ` +
        `If the id is a typo, correct it; otherwise give its price: modelPrices: [{ modelId: '${model.modelId}', inputPerMillion: <USD>, outputPerMillion: <USD> }].`);
    }
    if (facts.known && facts.maxOutputTokens !== undefined && !Token.isUnresolved(maxTokens) && maxTokens > facts.maxOutputTokens) {
      throw new Error(`${scope.node.path}: maxTokens is ${maxTokens}${props.maxTokens === undefined ? ' (the default)' : ''}, but '${model.modelId}' produces at most ${facts.maxOutputTokens} output tokens per response; every call to it would fail. Fix: set maxTokens to ${facts.maxOutputTokens} or less, or route to a model with a larger output.`);
    }
  }
}

/** Flex and Priority exist for some models only: Bedrock rejects every call asking for a tier a model lacks. */
function checkServiceTier(scope: Construct, props: GenAiWorkflowProps, models: BedrockModel[]): void {
  const tier = props.serviceTier;
  if (tier === undefined || tier === 'standard') return;
  for (const model of models) {
    const found = lookupModel(model.invocationId);
    const tiers = found.known ? serviceTiersOf(found.price) : ['standard'];
    if (!tiers.includes(tier)) {
      throw new Error(`${scope.node.path}: serviceTier is '${tier}', but '${model.modelId}' has no ${tier} price in the catalog: Bedrock offers the ${tier} tier for some models only, and every call to this one would be refused or mispriced. ` +
        `Fix: route to a model that has it (e.g. amazon.nova-pro-v1:0), or use ServiceTier.STANDARD${tiers.length > 1 ? ` (this model has: ${tiers.join(', ')})` : ''}.`);
    }
  }
}

/** `GenAI api workflow Stack/Chat (claude-haiku-4-5, ...)`, the models left out when they do not fit. */
function functionDescription(handler: string, path: string, models: string[]): string {
  const base = `GenAI ${handler} workflow ${path}`;
  const withModels = `${base} (models: ${models.join(', ')})`;
  if (withModels.length <= MAX_DESCRIPTION_CHARS) return withModels;
  return base.length <= MAX_DESCRIPTION_CHARS ? base : `${base.slice(0, MAX_DESCRIPTION_CHARS - 3)}...`;
}

/** The cross-region geography that serves `region`; GLOBAL when none of the regional ones does. */
function geographyFor(region: string): CrossRegionGeography {
  return [CrossRegionGeography.US, CrossRegionGeography.EU, CrossRegionGeography.APAC, CrossRegionGeography.CA, CrossRegionGeography.US_GOV].find((g) => geographyServesRegion(g, region))
    ?? CrossRegionGeography.GLOBAL;
}


// The ledger's tenant tiers, written only when there are any (the environment holds 4 KB in all).
function ledgerTiers(ledger: IUsageLedger): { tenantTiers?: { [tenantId: string]: string }; defaultTier?: string } {
  return {
    ...(Object.keys(ledger.tenantTiers).length > 0 ? { tenantTiers: { ...ledger.tenantTiers } } : {}),
    ...(ledger.defaultTenantTier !== undefined ? { defaultTier: ledger.defaultTenantTier } : {}),
  };
}

// Only the fields given: the runtime lays them over the catalog's entry for the model, keeping what is not given.
function priceEntry(p: ModelPriceOverride): ModelPriceOverrideFields {
  const { modelId, ...fields } = p;
  void modelId;
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as ModelPriceOverrideFields;
}

/**
 * `embeddingCache` is a prop of `ApiWorkflow` only, but a JavaScript caller, or props shared with an API workflow,
 * can still hand one to a workflow whose handler never embeds: it would be granted and configured for nothing, and
 * look like savings that never happen. Refused, naming where it belongs.
 */
function refuseUnservedEmbeddingCache(scope: Construct, props: GenAiWorkflowProps, options: WorkflowRuntimeOptions): void {
  const given = (props as { readonly embeddingCache?: IEmbeddingCache }).embeddingCache;
  if (given === undefined || given === options.embeddingCache) return;
  const workflow = scope.constructor.name;
  throw new Error(`${scope.node.path}: embeddingCache is set (${given.node.path}), but a ${workflow} never embeds: its handler sends each ` +
    'document or record to the model and never calls an embeddings model, so the cache would be granted and configured for nothing. ' +
    'Fix: pass it to an ApiWorkflow, which serves POST /embed, or grant your own function with embeddingCache.grantReadWrite(fn).');
}

function validateWorkflowProps(scope: Construct, props: GenAiWorkflowProps): void {
  if (props.model && props.routing) {
    throw new Error(`${scope.node.path}: both 'model' and 'routing' are set. Fix: use 'model' for one model, or 'routing' for a model per complexity tier.`);
  }
  checkWholeNumber(scope, 'maxTokens', props.maxTokens, 1, 64_000, `${DEFAULT_MAX_OUTPUT_TOKENS} (the default) suits chat answers`);
  checkWholeNumber(scope, 'maxInputTokens', props.maxInputTokens, 1, 1_000_000, `${DEFAULT_MAX_INPUT_TOKENS} (the default) stops runaway prompts`);
  const prompt = props.systemPrompt;
  if (prompt !== undefined && !Token.isUnresolved(prompt)) {
    if (prompt.trim() === '') {
      throw new Error(`${scope.node.path}: systemPrompt is empty. Fix: leave it out to use the built-in instructions, or give the instructions.`);
    }
    if (prompt.length > MAX_SYSTEM_PROMPT_CHARS) {
      throw new Error(`${scope.node.path}: systemPrompt is ${prompt.length} characters; at most ${MAX_SYSTEM_PROMPT_CHARS} fit in the function's environment. Fix: shorten it, or send long instructions with each request ('system').`);
    }
  }
  const seen = new Set<string>();
  for (const price of props.modelPrices ?? []) {
    if (seen.has(price.modelId)) {
      throw new Error(`${scope.node.path}: modelPrices lists '${price.modelId}' more than once; the runtime keeps one price per model id. Fix: keep a single entry for '${price.modelId}'.`);
    }
    seen.add(price.modelId);
    const values = [price.inputPerMillion, price.outputPerMillion, price.cacheReadPerMillion, price.cacheWrite5mPerMillion, price.cacheWrite1hPerMillion];
    const discountOk = price.batchDiscount === undefined || (price.batchDiscount >= 0 && price.batchDiscount < 1);
    if (values.some((v) => v !== undefined && (!Number.isFinite(v) || v < 0)) || !discountOk || !/^[a-z0-9-]+\./.test(price.modelId)) {
      throw new Error(`${scope.node.path}: modelPrices entry for '${price.modelId}' is invalid. Fix: use a base model id like 'anthropic.claude-haiku-4-5-20251001-v1:0' and prices in USD per million tokens of at least 0, and a batchDiscount from 0 to below 1.`);
    }
  }
}

function checkWholeNumber(scope: Construct, name: string, value: number | undefined, min: number, max: number, hint: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${scope.node.path}: ${name} is ${value}. Fix: use a whole number from ${min} to ${max}; ${hint}.`);
  }
}
