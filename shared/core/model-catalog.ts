/**
 * Model catalog: Bedrock on-demand prices and the limits the runtime needs (context window, maximum output, prompt
 * caching, batch discount), keyed by base model id.
 *
 * Prices are USD per 1M tokens, on-demand (Standard tier), us-east-1. Each entry says where its figures come from:
 * - `[aws-docs]`    AWS documentation or the AWS Price List: the Bedrock pricing page, the model cards ("models at a
 *   glance"), the prompt-caching page and its supported-models table, the cross-Region inference pages.
 * - `[vendor-docs]` the model provider's own documentation (Anthropic's models overview, Meta's model cards).
 * - `[catalog]`     a maintained open-source model table (LiteLLM's and similar Bedrock price tables).
 * - `[third-party]` a pricing guide or blog that quotes the Bedrock pricing page, not confirmed by AWS's own page.
 * - `[knowledge]`   not confirmed by a source at hand; best knowledge of the Bedrock pricing page.
 *
 * Prices change: the catalog is data, not truth. Override a price with `modelPrices` (the construct prop) or
 * {@link mergeCatalog} when your negotiated or regional price differs. Unknown models fall back to
 * {@link DEFAULT_FALLBACK_PRICE}, which is deliberately expensive so that an out-of-date catalog over-reports instead
 * of under-reporting. The prices of the GenAI FinOps reference article (2024) are not here: they are a test fixture
 * (`test/fixtures/article-prices.json`) that the article's worked examples are reproduced with.
 */
import { baseModelId, parseModelId } from './model-ids';

import type { ModelTier, ServiceTierName } from '../contract/pipeline-config';

/** The routing tiers and their order come from the contract, which the constructs share. */
export { MODEL_TIERS } from '../contract/pipeline-config';
export type { ModelTier } from '../contract/pipeline-config';

/**
 * Price and limits of one model on Amazon Bedrock.
 *
 * All prices are USD per 1,000,000 tokens. A price given per 1,000 tokens (as the Bedrock pricing page and the
 * article do) is multiplied by 1,000: $0.003 per 1K = 3 per 1M.
 */
export interface ModelPrice {
  /** anthropic | amazon | meta | mistral ...; the value of the `ModelProvider` cost-allocation tag. */
  readonly provider: string;
  /** Short display name, e.g. `claude-3-haiku`; the value of the `Model` cost-allocation tag. */
  readonly name: string;
  /** `embedding` models are billed for input tokens only. */
  readonly kind: 'text' | 'embedding';
  /** USD per 1M input tokens (on-demand, not read from or written to the prompt cache). */
  readonly inputPerMillion: number;
  /** USD per 1M output tokens; 0 for embeddings. */
  readonly outputPerMillion: number;
  /** USD per 1M tokens read from the prompt cache. Absent: cache reads are priced at the input price. */
  readonly cacheReadPerMillion?: number;
  /** USD per 1M tokens written to the prompt cache with the default 5-minute TTL. Absent: the input price. */
  readonly cacheWrite5mPerMillion?: number;
  /**
   * USD per 1M tokens written to the prompt cache with the 1-hour TTL. Present only for models that accept the
   * 1-hour TTL on Bedrock. Absent: 1-hour writes are priced as 5-minute writes.
   */
  readonly cacheWrite1hPerMillion?: number;
  /** Fraction knocked off every price in batch inference, e.g. 0.5. Absent: no batch discount. */
  readonly batchDiscount?: number;
  /**
   * Minimum number of tokens per cache checkpoint. Absent: prompt caching is not supported on Bedrock, so the
   * runtime must not add cache points for this model.
   */
  readonly minCacheTokens?: number;
  /** Context window in tokens (the default one; 1M-token betas that carry a premium are not assumed). */
  readonly contextWindow: number;
  /**
   * The most tokens the model generates in one response on Bedrock (its own ceiling for `maxTokens`, not a default).
   * Absent: not known (and not meaningful for embedding models).
   */
  readonly maxOutputTokens?: number;
  /**
   * Fraction added to every price when the model is invoked in-Region or through a geographic inference profile
   * (`us.`, `eu.`, `apac.`, ...), relative to a `global.` profile. Bedrock lists the global price for the Claude 4.5
   * models and charges 10% more elsewhere. Applied by {@link lookupModel}. Absent: same price everywhere.
   */
  readonly regionalPremium?: number;
  /**
   * Prices in the Flex and Priority service tiers. A tier without a price here is a tier Bedrock does not serve
   * the model in (Flex and Priority exist for some models only): the workflows refuse it at synthesis.
   * Absent: standard only.
   */
  readonly serviceTiers?: {
    readonly flex?: ServiceTierPrice;
    readonly priority?: ServiceTierPrice;
  };
}

/**
 * The prices of one model in a Bedrock service tier other than standard, USD per 1M tokens. Bedrock publishes per-tier
 * token prices, not one ratio for every model, so each field is a price. A cache field left out is charged the tier's
 * input price (never less): Bedrock's tier tables list input and output, not cache prices, for the models here.
 */
export interface ServiceTierPrice {
  /** USD per 1M input tokens in this tier. */
  readonly inputPerMillion: number;
  /** USD per 1M output tokens in this tier. */
  readonly outputPerMillion: number;
  /** USD per 1M tokens read from the prompt cache in this tier. Absent: the tier's input price. */
  readonly cacheReadPerMillion?: number;
  /** USD per 1M tokens written to the prompt cache (5-minute TTL) in this tier. Absent: the tier's input price. */
  readonly cacheWrite5mPerMillion?: number;
  /** USD per 1M tokens written to the prompt cache (1-hour TTL) in this tier. Absent: the 5-minute write price. */
  readonly cacheWrite1hPerMillion?: number;
}

/** Prices keyed by base model id (`anthropic.claude-3-haiku-20240307-v1:0`), never by inference profile id. */
export type ModelCatalog = Readonly<Record<string, ModelPrice>>;

/**
 * Bedrock's prompt-cache price ratios, relative to the input price, for the families that have them.
 * [aws-docs] Anthropic: reads 0.1x, 5-minute writes 1.25x, 1-hour writes 2x the input price (Bedrock pricing page,
 * "Prompt caching"). Nova: reads "75% less than on-demand input token price", writes at the input price (no surcharge)
 * and no 1-hour TTL.
 */
export const CACHE_PRICE_RATIOS: Readonly<Record<'anthropic' | 'nova', { readonly read: number; readonly write5m: number; readonly write1h?: number }>> =
  Object.freeze({
    anthropic: Object.freeze({ read: 0.1, write5m: 1.25, write1h: 2 }),
    nova: Object.freeze({ read: 0.25, write5m: 1 }),
  });

interface AnthropicOptions {
  /** Tokens per checkpoint; absent: no prompt caching on Bedrock. */
  readonly minCacheTokens?: number;
  /** Cache prices without caching support (a model whose caching stayed in preview). */
  readonly cachePricesOnly?: boolean;
  readonly oneHourTtl?: boolean;
  readonly maxOutputTokens: number;
  readonly regionalPremium?: number;
}

/** An Anthropic entry from its input/output price, with Bedrock's cache ratios when the model has cache prices. */
function anthropic(name: string, inputPerMillion: number, outputPerMillion: number, options: AnthropicOptions): ModelPrice {
  const ratios = CACHE_PRICE_RATIOS.anthropic;
  const cached = options.minCacheTokens !== undefined || options.cachePricesOnly === true;
  return {
    provider: 'anthropic',
    name,
    kind: 'text',
    inputPerMillion,
    outputPerMillion,
    ...(cached
      ? {
        cacheReadPerMillion: scale(inputPerMillion, ratios.read),
        cacheWrite5mPerMillion: scale(inputPerMillion, ratios.write5m),
        ...(options.oneHourTtl ? { cacheWrite1hPerMillion: scale(inputPerMillion, ratios.write1h ?? ratios.write5m) } : {}),
      }
      : {}),
    ...(options.minCacheTokens !== undefined ? { minCacheTokens: options.minCacheTokens } : {}),
    batchDiscount: 0.5, // [third-party] batch inference is 50% off input and output for the Claude models
    contextWindow: 200_000, // [vendor-docs] 200K for every Claude model here ([aws-docs] Haiku 4.5 card); 1M betas not assumed
    maxOutputTokens: options.maxOutputTokens,
    ...(options.regionalPremium !== undefined ? { regionalPremium: options.regionalPremium } : {}),
  };
}

/** An Amazon Nova understanding model: Nova cache ratios, 1,000 tokens per checkpoint, batch 50%. */
function nova(name: string, inputPerMillion: number, outputPerMillion: number, contextWindow: number, maxOutputTokens: number,
  serviceTiers?: ModelPrice['serviceTiers']): ModelPrice {
  const ratios = CACHE_PRICE_RATIOS.nova;
  return {
    provider: 'amazon',
    name,
    kind: 'text',
    inputPerMillion,
    outputPerMillion,
    cacheReadPerMillion: scale(inputPerMillion, ratios.read),
    cacheWrite5mPerMillion: scale(inputPerMillion, ratios.write5m),
    batchDiscount: 0.5, // [knowledge]
    minCacheTokens: 1_000, // [aws-docs] prompt-caching table: 1,000 per checkpoint (and at most 20K cached tokens)
    contextWindow,
    maxOutputTokens,
    ...(serviceTiers ? { serviceTiers } : {}),
  };
}

/** Multiplies a price by a factor without leaking binary floating-point noise (0.3 * 0.1 = 0.030000000000000002). */
function scale(usdPerMillion: number, factor: number): number {
  return Math.round(usdPerMillion * factor * 1e9) / 1e9;
}

/**
 * Prices for the models this library knows, keyed by base model id: current Bedrock on-demand prices (Standard tier,
 * us-east-1); see the tag on each entry for where the figure comes from.
 */
export const DEFAULT_MODEL_CATALOG: ModelCatalog = deepFreeze({
  // --- Anthropic Claude 3 family: no prompt caching on Bedrock -------------------------------------------------
  // $0.25 / $1.25 [third-party] (Bedrock price tables, 2026). Max output 4,096 [third-party] model table.
  'anthropic.claude-3-haiku-20240307-v1:0': anthropic('claude-3-haiku', 0.25, 1.25, { maxOutputTokens: 4_096 }),
  // $3 / $15 [third-party]. Max output 4,096 [knowledge]. Legacy on Bedrock.
  'anthropic.claude-3-sonnet-20240229-v1:0': anthropic('claude-3-sonnet', 3, 15, { maxOutputTokens: 4_096 }),
  // $15 / $75 [third-party]. Max output 4,096 [knowledge]. Legacy on Bedrock.
  'anthropic.claude-3-opus-20240229-v1:0': anthropic('claude-3-opus', 15, 75, { maxOutputTokens: 4_096 }),
  // $6 / $30 [third-party]: Claude 3.5 Sonnet (June 2024) is billed at extended-access prices, twice its launch price
  // of $3 / $15. Bedrock never opened prompt caching for this version, so it has no cache prices. Max output 8,192
  // [knowledge].
  'anthropic.claude-3-5-sonnet-20240620-v1:0': anthropic('claude-3-5-sonnet', 6, 30, { maxOutputTokens: 8_192 }),
  // $3 / $15 [third-party] (Q1 2026 table). [aws-docs] prompt caching stayed in preview: customers admitted then keep
  // it, nobody else gets it, so cache prices without a checkpoint minimum (the runtime adds no cache points).
  // Max output 8,192 [knowledge].
  'anthropic.claude-3-5-sonnet-20241022-v2:0': anthropic('claude-3-5-sonnet-v2', 3, 15, { cachePricesOnly: true, maxOutputTokens: 8_192 }),

  // --- Anthropic current families ------------------------------------------------------------------------------
  // $0.80 / $4 [third-party] (quoting the Bedrock pricing page, March 2026). [aws-docs] 2,048 tokens per checkpoint.
  // Max output 8,192 [knowledge].
  'anthropic.claude-3-5-haiku-20241022-v1:0': anthropic('claude-3-5-haiku', 0.8, 4, { minCacheTokens: 2_048, maxOutputTokens: 8_192 }),
  // $3 / $15 [third-party]. [aws-docs] 1,024 tokens per checkpoint. Max output 64,000 [knowledge] (128K is a beta).
  'anthropic.claude-3-7-sonnet-20250219-v1:0': anthropic('claude-3-7-sonnet', 3, 15, { minCacheTokens: 1_024, maxOutputTokens: 64_000 }),
  // $3 / $15 [catalog]. [aws-docs] 1,024 tokens per checkpoint. Max output 64,000 [vendor-docs].
  'anthropic.claude-sonnet-4-20250514-v1:0': anthropic('claude-sonnet-4', 3, 15, { minCacheTokens: 1_024, maxOutputTokens: 64_000 }),
  // $3 / $15 global, 10% more in-Region and on geographic profiles [aws-docs][third-party]. [aws-docs] model card
  // (read 2026-12-06): 1,024 tokens per checkpoint, at most 4 checkpoints, TTL 5 minutes or 1 hour; Anthropic's
  // prompt-caching page says 1,024 too. (An earlier revision of this catalog said 4,096, which left 1,024-4,095-token
  // prefixes uncached.) Max output 64,000 [vendor-docs] (Anthropic models overview: 64K).
  'anthropic.claude-sonnet-4-5-20250929-v1:0': anthropic('claude-sonnet-4-5', 3, 15,
    { minCacheTokens: 1_024, oneHourTtl: true, maxOutputTokens: 64_000, regionalPremium: 0.1 }),
  // $1 / $5 global, +10% regional [third-party]. [aws-docs] model card (read 2026-12-06): 200K context, 64K max output,
  // 4,096 tokens per checkpoint, TTL 5 minutes or 1 hour.
  'anthropic.claude-haiku-4-5-20251001-v1:0': anthropic('claude-haiku-4-5', 1, 5,
    { minCacheTokens: 4_096, oneHourTtl: true, maxOutputTokens: 64_000, regionalPremium: 0.1 }),
  // $15 / $75 [catalog]. [aws-docs] 1,024 tokens per checkpoint. Max output 32,000 [vendor-docs].
  'anthropic.claude-opus-4-20250514-v1:0': anthropic('claude-opus-4', 15, 75, { minCacheTokens: 1_024, maxOutputTokens: 32_000 }),
  // $15 / $75 [catalog]. [aws-docs] 1,024 tokens per checkpoint. Max output 32,000 [vendor-docs].
  'anthropic.claude-opus-4-1-20250805-v1:0': anthropic('claude-opus-4-1', 15, 75, { minCacheTokens: 1_024, maxOutputTokens: 32_000 }),
  // $5 / $25 global, +10% regional [catalog][third-party]. [aws-docs] 4,096 tokens per checkpoint, 1-hour TTL
  // ([vendor-docs] Anthropic's prompt-caching page: 4,096 for Opus 4.5 and 4.6). Max output 64,000 [catalog].
  'anthropic.claude-opus-4-5-20251101-v1:0': anthropic('claude-opus-4-5', 5, 25,
    { minCacheTokens: 4_096, oneHourTtl: true, maxOutputTokens: 64_000, regionalPremium: 0.1 }),
  // $3 / $15 global, +10% regional [catalog] (models.dev's amazon-bedrock table, read 2026-12-06: $3.30 / $16.50 on
  // us./eu./jp. profiles). Cache minimum 1,024 [vendor-docs]: Anthropic's current prompt-caching page lists Sonnet 4.6
  // with Sonnet 4.5 at 1,024 (platform.claude.com/docs/en/build-with-claude/prompt-caching, read 2026-12-06; the
  // Bedrock prompt-caching page has no Sonnet 4.6 row). Conflict: older copies of that page said 2,048, and a user
  // report (anthropics/anthropic-sdk-python#1194) saw no cache hit below 2,048. The documented figure is kept: a cache
  // point under Bedrock's real minimum is ignored, not refused, so 1,024 costs nothing if 2,048 is right, while 2,048
  // left 1,024-2,047-token prefixes uncached if 1,024 is. Context 1M [catalog]. Max output 64,000 [vendor-docs]
  // (Anthropic's models overview: 64K for Sonnet 4.6, 128K for Opus 4.6; models.dev's 128,000 is not documented).
  'anthropic.claude-sonnet-4-6': {
    ...anthropic('claude-sonnet-4-6', 3, 15,
      { minCacheTokens: 1_024, oneHourTtl: true, maxOutputTokens: 64_000, regionalPremium: 0.1 }), contextWindow: 1_000_000,
  },
  // $5 / $25 global, +10% regional [catalog] (as above). [vendor-docs] 4,096 tokens per checkpoint. Context 1M, max
  // output 128,000 [catalog].
  'anthropic.claude-opus-4-6-v1': {
    ...anthropic('claude-opus-4-6', 5, 25,
      { minCacheTokens: 4_096, oneHourTtl: true, maxOutputTokens: 128_000, regionalPremium: 0.1 }), contextWindow: 1_000_000,
  },

  // --- Amazon Nova [aws-docs] input/output from the us-east-1 AWS Price List ------------------------------------
  // Context windows and Premier's 25K max output from the model cards [aws-docs]. Max output of Micro, Lite and Pro:
  // the model cards say 5K, AWS's Nova 1-to-2 migration post says 10K [third-party, quoting it]; 10,000 is kept, the
  // larger, so that a request Bedrock accepts is never refused here and a reservation never falls short.
  'amazon.nova-micro-v1:0': nova('nova-micro', 0.035, 0.14, 128_000, 10_000),
  'amazon.nova-lite-v1:0': nova('nova-lite', 0.06, 0.24, 300_000, 10_000),
  // Service tiers: [aws-docs] "Service tiers for optimizing performance and cost" lists Nova Pro and Nova Premier
  // (with gpt-oss, DeepSeek V3.1 and Qwen3, not in this catalog) for Priority and Flex; the Bedrock pricing page
  // prices Flex at a discount and Priority at a premium over Standard. The figures, Flex half the standard price and
  // Priority 1.75 times it, are [knowledge]: the per-tier table was not at hand. Override them from your price sheet.
  'amazon.nova-pro-v1:0': nova('nova-pro', 0.8, 3.2, 300_000, 10_000, {
    flex: { inputPerMillion: 0.4, outputPerMillion: 1.6 },
    priority: { inputPerMillion: 1.4, outputPerMillion: 5.6 },
  }),
  'amazon.nova-premier-v1:0': nova('nova-premier', 2.5, 12.5, 1_000_000, 25_000, {
    flex: { inputPerMillion: 1.25, outputPerMillion: 6.25 },
    priority: { inputPerMillion: 4.375, outputPerMillion: 21.875 },
  }),

  // $0.30 / $2.50 global, 10% more on us./eu./jp. profiles and in-Region [catalog] (models.dev's amazon-bedrock table,
  // read 2026-12-06: $0.33 / $2.75 on us.). Nova cache ratios [aws-docs]. Checkpoint minimum: the Nova figure of the
  // prompt-caching table (1,000) [knowledge] for the second generation. Context 1M, max output 65,535 [catalog].
  'amazon.nova-2-lite-v1:0': { ...nova('nova-2-lite', 0.3, 2.5, 1_000_000, 65_535), regionalPremium: 0.1 },
  // Nova Multimodal Embeddings: $0.135 per 1M text tokens [knowledge] (Bedrock pricing page, Nova embeddings; image,
  // audio and video are priced per item and not modelled here). 8,192-token input [catalog].
  'amazon.nova-2-multimodal-embeddings-v1:0': {
    provider: 'amazon', name: 'nova-2-multimodal-embeddings', kind: 'embedding',
    inputPerMillion: 0.135, outputPerMillion: 0, contextWindow: 8_192,
  },

  // --- Amazon Titan --------------------------------------------------------------------------------------------
  // $0.20 / $0.60 [third-party]. 8K context and 8,192 max output [knowledge]. Batch support: none assumed.
  'amazon.titan-text-express-v1': {
    provider: 'amazon', name: 'titan-text-express', kind: 'text',
    inputPerMillion: 0.2, outputPerMillion: 0.6, contextWindow: 8_192, maxOutputTokens: 8_192,
  },
  // $0.10 [knowledge] ($0.0001 per 1K). 8K input [knowledge].
  'amazon.titan-embed-text-v1': {
    provider: 'amazon', name: 'titan-embed-text-v1', kind: 'embedding',
    inputPerMillion: 0.1, outputPerMillion: 0, contextWindow: 8_192,
  },
  // $0.02 [third-party]. Batch 50% [knowledge].
  'amazon.titan-embed-text-v2:0': {
    provider: 'amazon', name: 'titan-embed-text-v2', kind: 'embedding',
    inputPerMillion: 0.02, outputPerMillion: 0, batchDiscount: 0.5, contextWindow: 8_192,
  },

  // --- Meta Llama: no prompt caching on Bedrock ---------------------------------------------------------------
  // $2.65 / $3.50 [knowledge] (one third-party guide lists $0.99 / $0.99, which matches no Bedrock listing we know).
  // 8K context; max output 2,048, Bedrock's ceiling for `max_gen_len` on Llama 3 [knowledge].
  'meta.llama3-70b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-70b-instruct', kind: 'text',
    inputPerMillion: 2.65, outputPerMillion: 3.5, contextWindow: 8_192, maxOutputTokens: 2_048,
  },
  // $0.22 / $0.22 [catalog]. Batch 50% [knowledge]. 128K context; max output 4,096 as on the Llama 3.1 405B model card
  // [aws-docs] (the same generation).
  'meta.llama3-1-8b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-1-8b-instruct', kind: 'text',
    inputPerMillion: 0.22, outputPerMillion: 0.22, batchDiscount: 0.5, contextWindow: 128_000, maxOutputTokens: 4_096,
  },
  // $0.72 / $0.72 [catalog]. Batch 50% [knowledge]. Context and max output as Llama 3.1 8B.
  'meta.llama3-1-70b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-1-70b-instruct', kind: 'text',
    inputPerMillion: 0.72, outputPerMillion: 0.72, batchDiscount: 0.5, contextWindow: 128_000, maxOutputTokens: 4_096,
  },
  // $0.72 / $0.72 [catalog][third-party]. Batch 50% [knowledge]. 128K context [vendor-docs]; max output 4,096
  // [knowledge].
  'meta.llama3-3-70b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-3-70b-instruct', kind: 'text',
    inputPerMillion: 0.72, outputPerMillion: 0.72, batchDiscount: 0.5, contextWindow: 128_000, maxOutputTokens: 4_096,
  },
  // $0.17 / $0.66 [catalog]. Context 3.5M on Bedrock, max output 8,192 and batch 50% [knowledge].
  'meta.llama4-scout-17b-instruct-v1:0': {
    provider: 'meta', name: 'llama-4-scout-17b-instruct', kind: 'text',
    inputPerMillion: 0.17, outputPerMillion: 0.66, batchDiscount: 0.5, contextWindow: 3_500_000, maxOutputTokens: 8_192,
  },
  // $0.24 / $0.97 [catalog]. [aws-docs] context 1M. Max output 8,192 and batch 50% [knowledge].
  'meta.llama4-maverick-17b-instruct-v1:0': {
    provider: 'meta', name: 'llama-4-maverick-17b-instruct', kind: 'text',
    inputPerMillion: 0.24, outputPerMillion: 0.97, batchDiscount: 0.5, contextWindow: 1_000_000, maxOutputTokens: 8_192,
  },

  // --- Mistral AI: no prompt caching on Bedrock ----------------------------------------------------------------
  // Prices [catalog] models.dev's amazon-bedrock table (read 2026-12-06), USD per 1M, us-east-1 on-demand. Context and
  // max output from the same table; Pixtral Large's 128K context and 16K max output from its model card [aws-docs].
  'mistral.mistral-large-3-675b-instruct': {
    provider: 'mistral', name: 'mistral-large-3', kind: 'text',
    inputPerMillion: 0.5, outputPerMillion: 1.5, contextWindow: 262_144, maxOutputTokens: 8_192,
  },
  'mistral.pixtral-large-2502-v1:0': {
    provider: 'mistral', name: 'pixtral-large', kind: 'text',
    inputPerMillion: 2, outputPerMillion: 6, contextWindow: 128_000, maxOutputTokens: 16_384,
  },
  'mistral.magistral-small-2509': {
    provider: 'mistral', name: 'magistral-small', kind: 'text',
    inputPerMillion: 0.5, outputPerMillion: 1.5, contextWindow: 128_000, maxOutputTokens: 40_000,
  },
  'mistral.ministral-3-14b-instruct': {
    provider: 'mistral', name: 'ministral-3-14b', kind: 'text',
    inputPerMillion: 0.2, outputPerMillion: 0.2, contextWindow: 128_000, maxOutputTokens: 4_096,
  },
  'mistral.ministral-3-8b-instruct': {
    provider: 'mistral', name: 'ministral-3-8b', kind: 'text',
    inputPerMillion: 0.15, outputPerMillion: 0.15, contextWindow: 128_000, maxOutputTokens: 4_096,
  },
  'mistral.ministral-3-3b-instruct': {
    provider: 'mistral', name: 'ministral-3-3b', kind: 'text',
    inputPerMillion: 0.1, outputPerMillion: 0.1, contextWindow: 256_000, maxOutputTokens: 8_192,
  },

  // --- Cohere embeddings ---------------------------------------------------------------------------------------
  // Embed v3: $0.10 per 1M [catalog] (an open-source Bedrock price table, read 2026-12-06; the Bedrock pricing page
  // lists $0.0001 per 1K). 512-token input [catalog].
  'cohere.embed-english-v3': {
    provider: 'cohere', name: 'embed-english-v3', kind: 'embedding', inputPerMillion: 0.1, outputPerMillion: 0, contextWindow: 512,
  },
  'cohere.embed-multilingual-v3': {
    provider: 'cohere', name: 'embed-multilingual-v3', kind: 'embedding', inputPerMillion: 0.1, outputPerMillion: 0, contextWindow: 512,
  },
  // Embed v4: $0.12 per 1M text tokens [catalog][third-party] (a project quoting the Bedrock pricing page, checked
  // 2026-08-15). 128K-token input [catalog].
  'cohere.embed-v4:0': {
    provider: 'cohere', name: 'embed-v4', kind: 'embedding', inputPerMillion: 0.12, outputPerMillion: 0, contextWindow: 128_000,
  },

  // --- Open-weight families: no prompt caching on Bedrock ----------------------------------------------------
  // Prices, context and max output [catalog] models.dev's amazon-bedrock table (read 2026-12-06). Bedrock serves
  // gpt-oss, DeepSeek V3.1 and Qwen3 in the Flex and Priority tiers too [aws-docs] ("Service tiers"), but publishes no
  // per-tier token prices we could confirm, so only the standard tier is priced (a workload gives its tier multiplier).
  'openai.gpt-oss-120b-1:0': {
    provider: 'openai', name: 'gpt-oss-120b', kind: 'text',
    inputPerMillion: 0.15, outputPerMillion: 0.6, contextWindow: 131_072, maxOutputTokens: 128_000,
  },
  'openai.gpt-oss-20b-1:0': {
    provider: 'openai', name: 'gpt-oss-20b', kind: 'text',
    inputPerMillion: 0.07, outputPerMillion: 0.3, contextWindow: 131_072, maxOutputTokens: 128_000,
  },
  'deepseek.v3-v1:0': {
    provider: 'deepseek', name: 'deepseek-v3-1', kind: 'text',
    inputPerMillion: 0.58, outputPerMillion: 1.68, contextWindow: 163_840, maxOutputTokens: 81_920,
  },
  // DeepSeek-R1: $1.35 / $5.40 [knowledge] (Bedrock pricing page). 128K context, 32,768 max output [knowledge].
  'deepseek.r1-v1:0': {
    provider: 'deepseek', name: 'deepseek-r1', kind: 'text',
    inputPerMillion: 1.35, outputPerMillion: 5.4, contextWindow: 128_000, maxOutputTokens: 32_768,
  },
  'qwen.qwen3-235b-a22b-2507-v1:0': {
    provider: 'qwen', name: 'qwen3-235b-a22b', kind: 'text',
    inputPerMillion: 0.22, outputPerMillion: 0.88, contextWindow: 262_144, maxOutputTokens: 131_072,
  },
  'qwen.qwen3-32b-v1:0': {
    provider: 'qwen', name: 'qwen3-32b', kind: 'text',
    inputPerMillion: 0.15, outputPerMillion: 0.6, contextWindow: 32_768, maxOutputTokens: 16_384,
  },
  // $0.22 / $1.80 as the cited source says (models.dev, providers/amazon-bedrock/models/qwen.qwen3-coder-480b-a35b-v1:0,
  // unchanged since it was added). An earlier revision had $0.45 input with no source for it; a third-party gateway
  // catalog also lists $0.45, and AWS's own per-model figure was not at hand: override with modelPrices if your bill differs.
  'qwen.qwen3-coder-480b-a35b-v1:0': {
    provider: 'qwen', name: 'qwen3-coder-480b-a35b', kind: 'text',
    inputPerMillion: 0.22, outputPerMillion: 1.8, contextWindow: 131_072, maxOutputTokens: 65_536,
  },
  'qwen.qwen3-coder-30b-a3b-v1:0': {
    provider: 'qwen', name: 'qwen3-coder-30b-a3b', kind: 'text',
    inputPerMillion: 0.15, outputPerMillion: 0.6, contextWindow: 262_144, maxOutputTokens: 131_072,
  },
});

/**
 * Default model per routing tier (base model ids): the current Claude Haiku, Sonnet and Opus.
 *
 * These Claude 4.5 models are invoked through an inference profile: prefix `global.` (cheapest) or a geography
 * (`us.`, `eu.`, ...) when invoking.
 */
export const DEFAULT_TIER_MODELS: Readonly<Record<ModelTier, string>> = Object.freeze({
  simple: 'anthropic.claude-haiku-4-5-20251001-v1:0',
  medium: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  complex: 'anthropic.claude-opus-4-5-20251101-v1:0',
});

/**
 * Price used for models the catalog does not know.
 *
 * Never $0: a model we cannot price is still billed by AWS. It is priced like the dearest Opus ($15 / $75, cache
 * reads at the full input price, writes at Opus surcharges, no batch discount) so that an unknown model is
 * over-reported and noticed rather than silently under-reported.
 */
export const DEFAULT_FALLBACK_PRICE: ModelPrice = Object.freeze({
  provider: 'unknown',
  name: 'unknown',
  kind: 'text',
  inputPerMillion: 15,
  outputPerMillion: 75,
  cacheReadPerMillion: 15,
  cacheWrite5mPerMillion: 18.75,
  cacheWrite1hPerMillion: 30,
  contextWindow: 200_000,
});

/**
 * Finds the price of a model.
 *
 * Looks the id up as given first (so a catalog may key a custom application inference profile ARN), then by its base
 * model id. For models with a {@link ModelPrice.regionalPremium} the returned price includes the premium unless the id
 * is a `global.` profile.
 *
 * @param modelId model id, inference profile id or ARN, as passed to Bedrock.
 * @param catalog prices to search. @default DEFAULT_MODEL_CATALOG
 * @param fallback price for unknown models. @default DEFAULT_FALLBACK_PRICE
 * @returns the catalog key that matched (or the base id when unknown), the price, and whether the model was known.
 */
export function lookupModel(
  modelId: string,
  catalog: ModelCatalog = DEFAULT_MODEL_CATALOG,
  fallback: ModelPrice = DEFAULT_FALLBACK_PRICE,
): { readonly modelId: string; readonly price: ModelPrice; readonly known: boolean } {
  const parsed = parseModelId(modelId);
  const raw = parsed.id;
  const base = baseModelId(raw);
  if (Object.prototype.hasOwnProperty.call(catalog, raw) && raw !== base) {
    return Object.freeze({ modelId: raw, price: catalog[raw], known: true });
  }
  if (Object.prototype.hasOwnProperty.call(catalog, base)) {
    const price = withRegionalPremium(catalog[base], parsed.geography === 'global');
    return Object.freeze({ modelId: base, price, known: true });
  }
  return Object.freeze({ modelId: base, price: fallback, known: false });
}

/**
 * The price of a model in a service tier, as a {@link ModelPrice} whose token prices are the tier's (limits, batch
 * discount and cache minimum kept). Standard is the price itself.
 *
 * @returns undefined when the model has no price for the tier: Bedrock does not serve it in that tier.
 */
export function serviceTierPrice(price: ModelPrice, tier: ServiceTierName | undefined): ModelPrice | undefined {
  if (tier === undefined || tier === 'standard') return price;
  const tierPrice = price.serviceTiers?.[tier];
  if (tierPrice === undefined) return undefined;
  const { serviceTiers, cacheReadPerMillion, cacheWrite5mPerMillion, cacheWrite1hPerMillion, ...rest } = price;
  void serviceTiers; void cacheReadPerMillion; void cacheWrite5mPerMillion; void cacheWrite1hPerMillion;
  return Object.freeze({ ...rest, ...tierPrice });
}

/** The tiers a model has prices for, standard first. */
export function serviceTiersOf(price: ModelPrice): ServiceTierName[] {
  return ['standard', ...(['flex', 'priority'] as const).filter((t) => price.serviceTiers?.[t] !== undefined)];
}

/** The USD-per-1M fields of a {@link ModelPrice}. */
export const PRICE_FIELDS = [
  'inputPerMillion',
  'outputPerMillion',
  'cacheReadPerMillion',
  'cacheWrite5mPerMillion',
  'cacheWrite1hPerMillion',
] as const;

/**
 * Applies a regional premium in whole micro-dollars per million so that, e.g., $3 x 1.1 is exactly $3.30.
 * The returned price has no `regionalPremium` field, so it cannot be applied twice.
 */
function withRegionalPremium(price: ModelPrice, global: boolean): ModelPrice {
  if (price.regionalPremium === undefined) {
    return price;
  }
  const { regionalPremium, ...rest } = price;
  if (global || regionalPremium === 0) {
    return Object.freeze(rest);
  }
  const factorPpm = 1_000_000 + Math.round(regionalPremium * 1_000_000);
  const adjusted: Record<string, number> = {};
  for (const field of PRICE_FIELDS) {
    const value = price[field];
    if (value !== undefined) {
      adjusted[field] = Math.round((Math.round(value * 1e6) * factorPpm) / 1e6) / 1e6;
    }
  }
  const scaleFields = (fields: ServiceTierPrice): ServiceTierPrice => {
    const out: Record<string, number> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (typeof value === 'number') out[field] = Math.round((Math.round(value * 1e6) * factorPpm) / 1e6) / 1e6;
    }
    return Object.freeze(out) as unknown as ServiceTierPrice;
  };
  const tiers = price.serviceTiers === undefined ? {} : {
    serviceTiers: Object.freeze({
      ...(price.serviceTiers.flex ? { flex: scaleFields(price.serviceTiers.flex) } : {}),
      ...(price.serviceTiers.priority ? { priority: scaleFields(price.serviceTiers.priority) } : {}),
    }),
  };
  return Object.freeze({ ...rest, ...adjusted, ...tiers });
}

/**
 * A new catalog with `overrides` added to or replacing entries of `base` (whole entries, not field by field).
 *
 * Validates every override so that a typo (a negative price, a discount of 50 instead of 0.5) fails at start-up
 * instead of producing wrong bills.
 *
 * @throws TypeError or RangeError naming the model and field that is invalid.
 */
export function mergeCatalog(base: ModelCatalog, overrides: ModelCatalog): ModelCatalog {
  for (const [modelId, price] of Object.entries(overrides)) {
    validateModelPrice(modelId, price);
  }
  const copies: Record<string, ModelPrice> = {};
  for (const [modelId, price] of Object.entries(overrides)) {
    copies[modelId] = { ...price }; // freeze copies, not the caller's objects
  }
  return deepFreeze({ ...base, ...copies });
}

/**
 * Checks that a price entry is well formed.
 *
 * @throws TypeError or RangeError naming the model and field.
 */
export function validateModelPrice(modelId: string, price: ModelPrice): void {
  const where = `model price for "${modelId}"`;
  if (price === null || typeof price !== 'object') {
    throw new TypeError(`${where} must be an object, got ${price === null ? 'null' : typeof price}`);
  }
  for (const field of ['provider', 'name'] as const) {
    if (typeof price[field] !== 'string' || price[field].length === 0) {
      throw new TypeError(`${where}: ${field} must be a non-empty string, got ${JSON.stringify(price[field])}`);
    }
  }
  if (price.kind !== 'text' && price.kind !== 'embedding') {
    throw new TypeError(`${where}: kind must be 'text' or 'embedding', got ${JSON.stringify(price.kind)}`);
  }
  for (const field of PRICE_FIELDS) {
    const value = price[field];
    if (value === undefined && field !== 'inputPerMillion' && field !== 'outputPerMillion') {
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${where}: ${field} must be a finite number >= 0 (USD per 1M tokens), got ${String(value)}`);
    }
  }
  for (const field of ['batchDiscount', 'regionalPremium'] as const) {
    const value = price[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1)) {
      throw new RangeError(`${where}: ${field} must be a fraction in [0, 1), e.g. 0.5, got ${String(value)}`);
    }
  }
  if (price.serviceTiers !== undefined) {
    if (price.serviceTiers === null || typeof price.serviceTiers !== 'object') {
      throw new TypeError(`${where}: serviceTiers must be an object like {"flex": {"inputPerMillion": 0.4, "outputPerMillion": 1.6}}`);
    }
    for (const [tier, tierPrice] of Object.entries(price.serviceTiers)) {
      if (tier !== 'flex' && tier !== 'priority') {
        throw new RangeError(`${where}: serviceTiers.${tier} is not a service tier with its own prices; use flex or priority`);
      }
      for (const field of PRICE_FIELDS) {
        const value = (tierPrice as ServiceTierPrice | undefined)?.[field];
        if (value === undefined && field !== 'inputPerMillion' && field !== 'outputPerMillion') continue;
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          throw new RangeError(`${where}: serviceTiers.${tier}.${field} must be a finite number >= 0 (USD per 1M tokens), got ${String(value)}`);
        }
      }
    }
  }
  for (const field of ['contextWindow', 'minCacheTokens', 'maxOutputTokens'] as const) {
    const value = price[field];
    if (value === undefined && field !== 'contextWindow') {
      continue;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`${where}: ${field} must be a positive integer number of tokens, got ${String(value)}`);
    }
  }
}

function deepFreeze<T extends Record<string, ModelPrice>>(catalog: T): Readonly<T> {
  for (const price of Object.values(catalog)) {
    if (price.serviceTiers) {
      Object.values(price.serviceTiers).forEach((t) => Object.freeze(t));
      Object.freeze(price.serviceTiers);
    }
    Object.freeze(price);
  }
  return Object.freeze(catalog);
}
