import type { NearLimitConfig } from './degrade';
import type { GuardsConfig } from './guards';

/**
 * The shape of `GENAI_PIPELINE_CONFIG`: what a workflow construct writes and the runtime reads. Types only (and the
 * tier names), so the constructs can import it without pulling in runtime code.
 */

/**
 * The three routing tiers, cheapest first: cheap and fast, balanced, most capable. The one list of them: the public
 * `RoutingTier` enum is checked against it at compile time, and the estimator and the demo import it.
 */
export const MODEL_TIERS = Object.freeze(['simple', 'medium', 'complex'] as const);

/** One routing tier. */
export type ModelTier = (typeof MODEL_TIERS)[number];

/**
 * Bedrock's on-demand service tiers, chosen per call, cheapest first: `flex` is discounted for work that can wait,
 * `standard` is the list price (what Bedrock's API calls `default`), `priority` costs a premium for faster answers.
 * The one list of them: the public `ServiceTier` enum is checked against it at compile time; the estimator imports it.
 */
export const SERVICE_TIERS = Object.freeze(['flex', 'standard', 'priority'] as const);

/** One service tier. */
export type ServiceTierName = (typeof SERVICE_TIERS)[number];

/** A model a tier routes to. */
export interface TierModel {
  /** What Converse is called with: the application inference profile ARN (or, locally, a model id). */
  readonly invokeId: string;
  /** The model id with its geography prefix (`us.anthropic...`), for prices, cache minimums and metrics. */
  readonly modelId: string;
}

/** Limits of one feature. */
export interface FeatureLimits {
  /** Requests whose input-token upper bound exceeds this are rejected with 413 before any model call. */
  readonly maxInputTokens: number;
  /** The output cap (`maxTokens`) of every call; a caller may lower it, never raise it. */
  readonly maxOutputTokens: number;
  /**
   * The highest tier a caller's `complexity` hint may choose. Absent: a hint may only lower the tier the classifier
   * chose, so no caller can send a one-line question to the dearest model.
   */
  readonly maxHintedTier?: ModelTier;
  /**
   * The Bedrock service tier every call of the feature asks for. Absent: standard (no `serviceTier` is sent).
   */
  readonly serviceTier?: ServiceTierName;
  /** What the feature does as a token or USD limit nears, and at it. Absent: nothing until the limit refuses (429). */
  readonly nearLimit?: NearLimitConfig;
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

/**
 * The fields of a `ModelPriceOverride` (the workflows' `modelPrices` prop) without its `modelId`, which keys them in
 * {@link PipelineConfigDocument.priceOverrides}: the price fields of a model that override the catalog's, USD per 1M
 * tokens, each the price paid. The public interface is checked against this one at compile time, field for field.
 */
export interface ModelPriceOverrideFields {
  readonly inputPerMillion?: number;
  readonly outputPerMillion?: number;
  readonly cacheReadPerMillion?: number;
  readonly cacheWrite5mPerMillion?: number;
  readonly cacheWrite1hPerMillion?: number;
  readonly minCacheTokens?: number;
  readonly batchDiscount?: number;
}

/** `GENAI_PIPELINE_CONFIG` as the constructs write it; the runtime fills in what is left out. */
export interface PipelineConfigDocument {
  readonly tiers: Readonly<Partial<Record<ModelTier, TierModel>>>;
  /** Limits of the workflow's default feature (its `Feature` tag). */
  readonly defaultLimits?: FeatureLimits;
  /** Limits of further features callers may name. */
  readonly features?: Readonly<Record<string, FeatureLimits>>;
  readonly promptCaching?: boolean;
  readonly responseCache?: ResponseCacheConfig;
  readonly embedding?: EmbeddingConfig;
  /** Price fields per model id, over the catalog's entry. */
  readonly priceOverrides?: Readonly<Record<string, ModelPriceOverrideFields>>;
  readonly retry?: Partial<RetryConfig>;
  readonly guards?: GuardsConfig;
  /** Overrides of the tags-derived names (local runs and tests). */
  readonly application?: string;
  readonly environment?: string;
  readonly defaultFeature?: string;
  readonly defaultSystemPrompt?: string;
  readonly tags?: Readonly<Record<string, string>>;
}
