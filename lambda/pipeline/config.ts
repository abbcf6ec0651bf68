import {
  BREAKER_MODES, BreakerConfig, BreakerFeatureConfig, DEFAULT_BREAKER_CACHE_TTL_SECONDS, DEFAULT_MAX_INPUT_TOKENS, DEFAULT_MAX_OUTPUT_TOKENS, DEFAULT_RETRY, EmbeddingConfig, ENV, FeatureLimits, GuardsConfig, MODEL_TIERS,
  LEDGER_FAILURE_MODES, MAX_ALLOWANCE_SECONDS, MAX_LEDGER_SHARDS, ModelPriceOverrideFields, ModelTier, SERVICE_TIERS, PipelineConfigDocument, ResponseCacheConfig, RetryConfig, TierModel, UNTAGGED,
  RUN_WINDOWS, USAGE_SCOPES, USAGE_WINDOWS, UsageLimitConfig,
} from '../../shared/contract';
import { checkNearLimitConfig } from './stages/near-limit';
import type { ModelPrice } from '../../shared/core';

export type { EmbeddingConfig, FeatureLimits, GuardsConfig, ResponseCacheConfig, RetryConfig, TierModel } from '../../shared/contract';

/** Everything the pipeline needs to know: the construct's {@link PipelineConfigDocument} with every default filled in. */
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
  /** Price fields per model id, over the catalog's entry; an override is the price paid. */
  readonly priceOverrides: Readonly<Record<string, ModelPriceOverrideFields>>;
  readonly fallbackPrice?: ModelPrice;
  readonly embedding?: EmbeddingConfig;
  readonly guards: GuardsConfig;
  /** The GenAI tags of the function. */
  readonly tags: Readonly<Record<string, string>>;
}

/** What code (tests, the local CLI) may give {@link normalizeConfig}: the document, plus a fallback price. */
export interface PipelineConfigInput extends Omit<PipelineConfigDocument, 'retry' | 'guards'> {
  readonly retry?: Partial<RetryConfig>;
  readonly guards?: Partial<GuardsConfig>;
  readonly fallbackPrice?: ModelPrice;
}

const NO_GUARDS: GuardsConfig = Object.freeze({ usageLimits: [], store: 'container' });

/**
 * Reads the pipeline configuration from the function's environment: {@link ENV.pipelineConfig} (JSON written by the
 * construct), {@link ENV.tags} and {@link ENV.systemPrompt}. Throws on a deployment mistake, at init, so that a broken
 * configuration fails the first invocation loudly instead of calling Bedrock wrongly.
 */
export function readPipelineConfig(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const raw = env[ENV.pipelineConfig];
  if (!raw) throw new Error(`${ENV.pipelineConfig} is not set; the workflow construct sets it.`);
  let parsed: PipelineConfigDocument;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${ENV.pipelineConfig} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const tags = parseJsonObject(env[ENV.tags]);
  return normalizeConfig({
    ...parsed,
    tags: { ...tags, ...parsed.tags },
    defaultSystemPrompt: parsed.defaultSystemPrompt ?? (env[ENV.systemPrompt] || undefined),
  });
}

/** Fills defaults and checks the configuration; used for configuration from the environment and from code. */
export function normalizeConfig(input: PipelineConfigInput): PipelineConfig {
  const tags = input.tags ?? {};
  const defaultFeature = input.defaultFeature ?? tags.Feature ?? UNTAGGED.feature;
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
    if (limits.maxHintedTier !== undefined && !MODEL_TIERS.includes(limits.maxHintedTier)) {
      throw new Error(`Pipeline configuration: feature '${name}' has maxHintedTier '${limits.maxHintedTier}'; use one of ${MODEL_TIERS.join(', ')}.`);
    }
    if (limits.serviceTier !== undefined && !SERVICE_TIERS.includes(limits.serviceTier)) {
      throw new Error(`Pipeline configuration: feature '${name}' has serviceTier '${String(limits.serviceTier)}'; use one of ${SERVICE_TIERS.join(', ')}.`);
    }
    checkNearLimitConfig(name, limits.nearLimit);
  }
  return {
    application: input.application ?? tags.Application ?? UNTAGGED.application,
    environment: input.environment ?? tags.Environment ?? UNTAGGED.environment,
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
    guards: normalizeGuards(input.guards),
    tags,
  };
}

function normalizeGuards(guards: Partial<GuardsConfig> | undefined): GuardsConfig {
  if (!guards) return NO_GUARDS;
  const store = guards.store ?? 'container';
  if (store !== 'container' && store !== 'dynamodb') throw new Error(`Pipeline configuration: guards.store '${String(store)}' is unknown; use 'container' or 'dynamodb'.`);
  if (store === 'dynamodb' && !guards.ledgerTableName) throw new Error("Pipeline configuration: guards.store 'dynamodb' needs guards.ledgerTableName; the UsageLedger construct sets it.");
  const usageLimits = (guards.usageLimits ?? []).map((limit, i) => checkUsageLimit(limit, i));
  if (store === 'container' && usageLimits.some((l) => l.tier !== undefined)) {
    throw new Error("Pipeline configuration: limits with a tier need guards.store 'dynamodb' (tenant tiers are read by the ledger guard).");
  }
  return {
    usageLimits,
    store,
    ...(guards.ledgerTableName ? { ledgerTableName: guards.ledgerTableName } : {}),
    ...(guards.ledgerTimeoutMs !== undefined ? { ledgerTimeoutMs: positiveMs(guards.ledgerTimeoutMs, 'guards.ledgerTimeoutMs') } : {}),
    ...(guards.tenantTiers ? { tenantTiers: guards.tenantTiers } : {}),
    ...(guards.defaultTier ? { defaultTier: guards.defaultTier } : {}),
    ...(guards.breaker ? { breaker: normalizeBreaker(guards.breaker) } : {}),
  };
}

/** `guards.breaker` with its defaults (30 s cache, no per-feature entries) and every entry checked. */
function normalizeBreaker(breaker: Partial<BreakerConfig>): BreakerConfig {
  const where = 'Pipeline configuration: guards.breaker';
  if (!breaker.tableName) throw new Error(`${where} needs tableName.`);
  const ttl = breaker.cacheTtlSeconds ?? DEFAULT_BREAKER_CACHE_TTL_SECONDS;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) throw new Error(`${where}.cacheTtlSeconds ${String(ttl)} must be a number of seconds of at least 0.`);
  const features = Object.fromEntries(Object.entries(breaker.features ?? {}).map(([name, f]) => [name, checkBreakerFeature(f, `${where}.features.${name}`)]));
  return {
    tableName: breaker.tableName, cacheTtlSeconds: ttl, features,
    ...(breaker.defaultFeature ? { defaultFeature: checkBreakerFeature(breaker.defaultFeature, `${where}.defaultFeature`) } : {}),
    ...(breaker.readTimeoutMs !== undefined ? { readTimeoutMs: positiveMs(breaker.readTimeoutMs, 'guards.breaker.readTimeoutMs') } : {}),
  };
}

function checkBreakerFeature(feature: BreakerFeatureConfig, where: string): BreakerFeatureConfig {
  if (typeof feature?.critical !== 'boolean') throw new Error(`${where}.critical must be true or false.`);
  if (!isOneOf(feature.whenTripped, BREAKER_MODES)) throw new Error(`${where}.whenTripped '${String(feature.whenTripped)}' is unknown; use ${quotedChoices(BREAKER_MODES)}.`);
  if (feature.downgradeTo !== undefined && !MODEL_TIERS.includes(feature.downgradeTo)) {
    throw new Error(`${where}.downgradeTo '${String(feature.downgradeTo)}' is unknown; use one of ${MODEL_TIERS.join(', ')}.`);
  }
  const share = feature.throttleTo;
  if (share !== undefined && !(typeof share === 'number' && share > 0 && share < 1)) {
    throw new Error(`${where}.throttleTo ${String(share)} must be a share between 0 and 1 (exclusive), e.g. 0.25.`);
  }
  return feature;
}

function checkUsageLimit(limit: UsageLimitConfig, index: number): UsageLimitConfig {
  const where = `Pipeline configuration: guards.usageLimits[${index}]`;
  if (!isOneOf(limit?.scope, USAGE_SCOPES)) throw new Error(`${where}.scope '${String(limit?.scope)}' is unknown; use one of ${USAGE_SCOPES.join(', ')}.`);
  if (!isOneOf(limit.window, USAGE_WINDOWS)) throw new Error(`${where}.window '${String(limit.window)}' is unknown; use one of ${USAGE_WINDOWS.join(', ')}.`);
  const amounts = [limit.maxRequests, limit.maxTokens, limit.maxCostUsd].filter((v) => v !== undefined);
  if (amounts.length === 0) throw new Error(`${where} sets no maximum; give maxRequests, maxTokens or maxCostUsd.`);
  if (amounts.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new Error(`${where}: every maximum must be a number of at least 0.`);
  if (limit.shards !== undefined && (!Number.isInteger(limit.shards) || limit.shards < 1 || limit.shards > MAX_LEDGER_SHARDS)) {
    throw new Error(`${where}.shards is ${String(limit.shards)}; use a whole number from 1 to ${MAX_LEDGER_SHARDS}.`);
  }
  if (limit.onLedgerUnavailable !== undefined && !isOneOf(limit.onLedgerUnavailable, LEDGER_FAILURE_MODES)) {
    throw new Error(`${where}.onLedgerUnavailable '${String(limit.onLedgerUnavailable)}' is unknown; use ${quotedChoices(LEDGER_FAILURE_MODES)}.`);
  }
  const allowance = limit.allowanceSeconds;
  if (allowance !== undefined && !(typeof allowance === 'number' && Number.isFinite(allowance) && allowance >= 0 && allowance <= MAX_ALLOWANCE_SECONDS)) {
    throw new Error(`${where}.allowanceSeconds is ${String(allowance)}; use a number of seconds from 0 to ${MAX_ALLOWANCE_SECONDS}.`);
  }
  if (limit.scope === 'run') {
    if (allowance) throw new Error(`${where}.allowanceSeconds cannot apply to a run (its calls land on any container); remove it.`);
    if (!isOneOf(limit.window, RUN_WINDOWS)) throw new Error(`${where}.window '${limit.window}' cannot bound a run; use ${quotedChoices(RUN_WINDOWS)}.`);
    if (limit.onLedgerUnavailable === 'open') throw new Error(`${where}.onLedgerUnavailable 'open' cannot bound a run (each container would count it apart); use 'closed'.`);
  }
  return limit;
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

function positiveMs(value: number, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`Pipeline configuration: ${where} must be a positive number of milliseconds, got ${String(value)}.`);
  return value;
}

/** The tenant a workflow spends as on its own (a document, a day's records, a batch job): its Customer tag, else 'internal'. */
export function workflowTenant(config: PipelineConfig): string {
  return config.tags.Customer ?? 'internal';
}

// Configuration is JSON from the environment: a value's type says nothing until it is checked against the list.
function isOneOf(value: unknown, choices: ReadonlyArray<string>): boolean {
  return typeof value === 'string' && choices.includes(value);
}

// A two-value list as a phrase: `'open' or 'closed'`.
function quotedChoices(choices: ReadonlyArray<string>): string {
  return choices.map((c) => `'${c}'`).join(' or ');
}
