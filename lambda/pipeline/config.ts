import { MODEL_TIERS, ModelPrice, ModelPriceOverride, ModelTier } from '../core';

/** A model a tier routes to. */
export interface TierModel {
  /** What Converse is called with: the application inference profile ARN (or, locally, a model id). */
  readonly invokeId: string;
  /** The base model id, for prices, cache minimums and metrics. */
  readonly modelId: string;
}

/** Limits of one feature. */
export interface FeatureLimits {
  /** Requests estimated above this many input tokens are rejected with 413 before any model call. */
  readonly maxInputTokens: number;
  /** The output cap (`maxTokens`) of every call; a caller may lower it, never raise it. */
  readonly maxOutputTokens: number;
}

/** The response cache. */
export interface ResponseCacheConfig {
  readonly tableName: string;
  readonly ttlSeconds: number;
  /** Part of every key: bump it to invalidate all cached answers, e.g. when the knowledge base changes. */
  readonly namespace: string;
}

/** Bounded retries and fallbacks. */
export interface RetryConfig {
  /** Model calls per request at most, retries and fallbacks together. */
  readonly maxAttempts: number;
  /** Calls to one model before falling back to the next cheaper tier. */
  readonly attemptsPerModel: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Whether a fallback may move to a more expensive tier (when no cheaper one is left). */
  readonly fallbackUpward: boolean;
}

/** The embedding cache. */
export interface EmbeddingConfig {
  readonly tableName: string;
  /** What InvokeModel is called with. */
  readonly invokeId: string;
  readonly modelId: string;
  readonly dimensions: number;
  readonly ttlSeconds: number;
}

/** Everything the pipeline needs to know, set by the workflow construct (or the local CLI). */
export interface PipelineConfig {
  readonly application: string;
  readonly environment: string;
  readonly defaultFeature: string;
  readonly features: Readonly<Record<string, FeatureLimits>>;
  readonly tiers: Readonly<Partial<Record<ModelTier, TierModel>>>;
  readonly defaultSystemPrompt?: string;
  readonly responseCache?: ResponseCacheConfig;
  readonly promptCaching: boolean;
  readonly retry: RetryConfig;
  /** Price fields per base model id, over the catalog's entry (see completePriceOverride). */
  readonly priceOverrides: Readonly<Record<string, ModelPriceOverride>>;
  readonly fallbackPrice?: ModelPrice;
  readonly embedding?: EmbeddingConfig;
  /** The GenAI tags of the function. */
  readonly tags: Readonly<Record<string, string>>;
}

export const DEFAULT_MAX_INPUT_TOKENS = 50_000;
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;
export const DEFAULT_RETRY: RetryConfig = { maxAttempts: 4, attemptsPerModel: 2, baseDelayMs: 200, maxDelayMs: 2_000, fallbackUpward: false };

/**
 * Reads the pipeline configuration from the function's environment: `GENAI_PIPELINE_CONFIG` (JSON written by the
 * construct), `GENAI_TAGS` and `GENAI_SYSTEM_PROMPT`. Throws on a deployment mistake, at init, so that a broken
 * configuration fails the first invocation loudly instead of calling Bedrock wrongly.
 */
export function readPipelineConfig(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const raw = env.GENAI_PIPELINE_CONFIG;
  if (!raw) throw new Error('GENAI_PIPELINE_CONFIG is not set; the workflow construct sets it.');
  let parsed: any;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`GENAI_PIPELINE_CONFIG is not valid JSON: ${(e as Error).message}`);
  }
  const tags = parseJsonObject(env.GENAI_TAGS);
  return normalizeConfig({
    ...parsed,
    tags: { ...tags, ...parsed.tags },
    defaultSystemPrompt: parsed.defaultSystemPrompt ?? (env.GENAI_SYSTEM_PROMPT || undefined),
  });
}

/** Fills defaults and checks the configuration; used for configuration from the environment and from code. */
export function normalizeConfig(input: Partial<PipelineConfig> & Pick<PipelineConfig, 'tiers'> & { readonly defaultLimits?: FeatureLimits }): PipelineConfig {
  const tags = input.tags ?? {};
  const defaultFeature = input.defaultFeature ?? tags.Feature ?? 'default';
  const tiers = input.tiers ?? {};
  const configuredTiers = MODEL_TIERS.filter((t) => tiers[t]);
  if (configuredTiers.length === 0) throw new Error('Pipeline configuration has no model tier; configure at least one of simple, medium, complex.');
  for (const tier of configuredTiers) {
    const model = tiers[tier]!;
    if (!model.invokeId || !model.modelId) throw new Error(`Pipeline configuration: tier '${tier}' needs invokeId and modelId.`);
  }
  const features: Record<string, FeatureLimits> = { ...(input.features ?? {}) };
  features[defaultFeature] ??= input.defaultLimits ?? { maxInputTokens: DEFAULT_MAX_INPUT_TOKENS, maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS };
  for (const [name, limits] of Object.entries(features)) {
    if (!(limits.maxInputTokens > 0) || !(limits.maxOutputTokens > 0)) {
      throw new Error(`Pipeline configuration: feature '${name}' needs positive maxInputTokens and maxOutputTokens.`);
    }
  }
  return {
    application: input.application ?? tags.Application ?? 'unknown',
    environment: input.environment ?? tags.Environment ?? 'unknown',
    defaultFeature,
    features,
    tiers,
    defaultSystemPrompt: input.defaultSystemPrompt,
    responseCache: input.responseCache,
    promptCaching: input.promptCaching ?? true,
    retry: { ...DEFAULT_RETRY, ...input.retry },
    priceOverrides: input.priceOverrides ?? {},
    fallbackPrice: input.fallbackPrice,
    embedding: input.embedding,
    tags,
  };
}

function parseJsonObject(json: string | undefined): Record<string, string> {
  if (!json) return {};
  try {
    const value = JSON.parse(json);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}
