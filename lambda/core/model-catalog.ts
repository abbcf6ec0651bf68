/**
 * Model catalog: Bedrock on-demand prices and the limits the runtime needs (context window, prompt caching,
 * batch discount), keyed by base model id.
 *
 * Prices are USD per 1M tokens, on-demand, us-east-1. Sources, in order of preference:
 * - `[article]`  the GenAI FinOps reference article (its numbers are examples our tests reproduce; its prices are
 *   from its day and are kept for the models it names, even where Bedrock has since changed them).
 * - `[aws-docs]` checked against AWS documentation or the AWS Price List (prompt-caching limits table, model cards,
 *   global cross-Region inference page, us-east-1 price list for Nova).
 * - `[catalog]`  checked against a maintained open-source Bedrock model table.
 * - `[knowledge]` not confirmed by a source at hand; best knowledge of the Bedrock pricing page. Override with
 *   {@link mergeCatalog} when your negotiated or regional price differs.
 *
 * Prices change: the catalog is data, not truth. Unknown models fall back to {@link DEFAULT_FALLBACK_PRICE}, which is
 * deliberately expensive so that an out-of-date catalog over-reports instead of under-reporting.
 */

/** The three routing tiers: cheap and fast, balanced, most capable. */
export type ModelTier = 'simple' | 'medium' | 'complex';

/** Every tier, cheapest first. Useful for validation and for ranking tiers. */
export const MODEL_TIERS: ReadonlyArray<ModelTier> = Object.freeze(['simple', 'medium', 'complex'] as const);

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
   * Fraction added to every price when the model is invoked in-Region or through a geographic inference profile
   * (`us.`, `eu.`, `apac.`, ...), relative to a `global.` profile. Bedrock lists the global price for the Claude 4.5
   * models and charges about 10% more elsewhere. Applied by {@link lookupModel}. Absent: same price everywhere.
   */
  readonly regionalPremium?: number;
}

/** Prices keyed by base model id (`anthropic.claude-3-haiku-20240307-v1:0`), never by inference profile id. */
export type ModelCatalog = Readonly<Record<string, ModelPrice>>;

/**
 * Builds an Anthropic entry from its input/output price with Bedrock's cache multipliers (read 0.1x, 5m 1.25x,
 * 1h 2x). `caching` undefined: no cache prices; `{}`: cache prices but no caching support (no minCacheTokens).
 */
function anthropic(
  name: string,
  inputPerMillion: number,
  outputPerMillion: number,
  caching: { readonly minCacheTokens?: number; readonly oneHourTtl?: boolean } | undefined,
  extra: { readonly regionalPremium?: number } = {},
): ModelPrice {
  const base: ModelPrice = {
    provider: 'anthropic',
    name,
    kind: 'text',
    inputPerMillion,
    outputPerMillion,
    batchDiscount: 0.5, // [knowledge] Bedrock batch inference is 50% off on-demand for the Claude models listed here.
    contextWindow: 200_000,
    ...extra,
  };
  if (caching === undefined) {
    return base;
  }
  return {
    ...base,
    cacheReadPerMillion: scale(inputPerMillion, 0.1),
    cacheWrite5mPerMillion: scale(inputPerMillion, 1.25),
    ...(caching.oneHourTtl ? { cacheWrite1hPerMillion: scale(inputPerMillion, 2) } : {}),
    ...(caching.minCacheTokens !== undefined ? { minCacheTokens: caching.minCacheTokens } : {}),
  };
}

/** Amazon Nova: cache reads 75% off the input price, cache writes billed at the input price (no surcharge). */
function nova(name: string, inputPerMillion: number, outputPerMillion: number, contextWindow: number): ModelPrice {
  return {
    provider: 'amazon',
    name,
    kind: 'text',
    inputPerMillion,
    outputPerMillion,
    cacheReadPerMillion: scale(inputPerMillion, 0.25), // [aws-docs] "75% less than on-demand input token price"
    cacheWrite5mPerMillion: inputPerMillion, // [catalog] writes carry no surcharge on Nova
    batchDiscount: 0.5, // [knowledge]
    minCacheTokens: 1_000, // [aws-docs] "1K" per checkpoint (and at most 20K cached tokens)
    contextWindow,
  };
}

/** Multiplies a price by a factor without leaking binary floating-point noise (0.3 * 0.1 = 0.030000000000000002). */
function scale(usdPerMillion: number, factor: number): number {
  return Math.round(usdPerMillion * factor * 1e9) / 1e9;
}

/**
 * Prices for the models this library knows, keyed by base model id.
 *
 * The article's models keep the article's prices (its tests reproduce them). Current families use Bedrock on-demand
 * prices; see the tag on each entry for where the figure comes from.
 */
export const DEFAULT_MODEL_CATALOG: ModelCatalog = deepFreeze({
  // --- Anthropic Claude 3 family: no prompt caching on Bedrock -------------------------------------------------
  // [article] Haiku $0.00025/1K input; output $1.25/1M [catalog].
  'anthropic.claude-3-haiku-20240307-v1:0': anthropic('claude-3-haiku', 0.25, 1.25, undefined),
  // [article] $0.003 / $0.015 per 1K.
  'anthropic.claude-3-sonnet-20240229-v1:0': anthropic('claude-3-sonnet', 3, 15, undefined),
  // [article] $0.015/1K input; output $75/1M [catalog].
  'anthropic.claude-3-opus-20240229-v1:0': anthropic('claude-3-opus', 15, 75, undefined),
  // [article] $0.003/1K input, cache write $0.00375/1K, cache read $0.0003/1K. Bedrock never opened prompt caching for
  // this version (so no minCacheTokens), but the article's caching example is priced with it. Note: a third-party page
  // reports legacy Claude 3.5 Sonnet now billed at $6 / $30 on Bedrock ("extended access"); override if that applies.
  'anthropic.claude-3-5-sonnet-20240620-v1:0': anthropic('claude-3-5-sonnet', 3, 15, {}),
  // [aws-docs] caching in preview only (1,024 tokens per checkpoint); prices [catalog].
  'anthropic.claude-3-5-sonnet-20241022-v2:0': anthropic('claude-3-5-sonnet-v2', 3, 15, { minCacheTokens: 1_024 }),

  // --- Anthropic current families ------------------------------------------------------------------------------
  // [catalog] $0.80 / $4; cache write $1, read $0.08. [aws-docs] 2,048 tokens per checkpoint.
  'anthropic.claude-3-5-haiku-20241022-v1:0': anthropic('claude-3-5-haiku', 0.8, 4, { minCacheTokens: 2_048 }),
  // [catalog] $3 / $15. [aws-docs] 1,024 tokens per checkpoint.
  'anthropic.claude-3-7-sonnet-20250219-v1:0': anthropic('claude-3-7-sonnet', 3, 15, { minCacheTokens: 1_024 }),
  // [catalog] $3 / $15. [aws-docs] 1,024 tokens per checkpoint.
  'anthropic.claude-sonnet-4-20250514-v1:0': anthropic('claude-sonnet-4', 3, 15, { minCacheTokens: 1_024 }),
  // [catalog] $3 / $15 (global). [aws-docs] global profile ~10% cheaper than geographic/in-Region; 1-hour TTL
  // supported; 4,096 tokens per checkpoint in the current Bedrock table (an earlier revision, and Anthropic's own
  // docs, said 1,024).
  'anthropic.claude-sonnet-4-5-20250929-v1:0': anthropic(
    'claude-sonnet-4-5', 3, 15, { minCacheTokens: 4_096, oneHourTtl: true }, { regionalPremium: 0.1 }),
  // [catalog] $1 / $5 (global), cache write $1.25, read $0.10. [aws-docs] 4,096 tokens per checkpoint, 1-hour TTL.
  // Regional premium: 10%, as for Sonnet 4.5 (reported by a third-party pricing guide; not in the AWS page we read).
  'anthropic.claude-haiku-4-5-20251001-v1:0': anthropic(
    'claude-haiku-4-5', 1, 5, { minCacheTokens: 4_096, oneHourTtl: true }, { regionalPremium: 0.1 }),
  // [catalog] $15 / $75, cache write $18.75, read $1.50. [aws-docs] 1,024 tokens per checkpoint.
  'anthropic.claude-opus-4-20250514-v1:0': anthropic('claude-opus-4', 15, 75, { minCacheTokens: 1_024 }),
  // [catalog] $15 / $75. [aws-docs] 1,024 tokens per checkpoint.
  'anthropic.claude-opus-4-1-20250805-v1:0': anthropic('claude-opus-4-1', 15, 75, { minCacheTokens: 1_024 }),
  // [catalog] $5 / $25 (global), cache write $6.25, read $0.50. [aws-docs] 4,096 tokens per checkpoint, 1-hour TTL.
  // Regional premium: 10%, as for Sonnet 4.5 (reported by a third-party pricing guide; not in the AWS page we read).
  'anthropic.claude-opus-4-5-20251101-v1:0': anthropic(
    'claude-opus-4-5', 5, 25, { minCacheTokens: 4_096, oneHourTtl: true }, { regionalPremium: 0.1 }),

  // --- Amazon Nova [aws-docs] input/output from the us-east-1 AWS Price List ------------------------------------
  'amazon.nova-micro-v1:0': nova('nova-micro', 0.035, 0.14, 128_000),
  'amazon.nova-lite-v1:0': nova('nova-lite', 0.06, 0.24, 300_000),
  'amazon.nova-pro-v1:0': nova('nova-pro', 0.8, 3.2, 300_000),
  'amazon.nova-premier-v1:0': nova('nova-premier', 2.5, 12.5, 1_000_000),

  // --- Amazon Titan --------------------------------------------------------------------------------------------
  // [article] $0.0002/1K input; output $0.60/1M [catalog]. Batch support [knowledge]: none assumed.
  'amazon.titan-text-express-v1': {
    provider: 'amazon', name: 'titan-text-express', kind: 'text',
    inputPerMillion: 0.2, outputPerMillion: 0.6, contextWindow: 8_192,
  },
  // [article] embeddings $0.0001/1K.
  'amazon.titan-embed-text-v1': {
    provider: 'amazon', name: 'titan-embed-text-v1', kind: 'embedding',
    inputPerMillion: 0.1, outputPerMillion: 0, contextWindow: 8_192,
  },
  // [catalog] $0.02/1M. Batch 50% [knowledge].
  'amazon.titan-embed-text-v2:0': {
    provider: 'amazon', name: 'titan-embed-text-v2', kind: 'embedding',
    inputPerMillion: 0.02, outputPerMillion: 0, batchDiscount: 0.5, contextWindow: 8_192,
  },

  // --- Meta Llama: no prompt caching on Bedrock ---------------------------------------------------------------
  // [article] $0.00195/1K input (Bedrock listed $2.65 for Llama 3 70B; $1.95 was Llama 2 70B's price). The article
  // gives no output price: $3.50/1M is Bedrock's Llama 3 70B output price [catalog], the dearer of the two.
  'meta.llama3-70b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-70b-instruct', kind: 'text',
    inputPerMillion: 1.95, outputPerMillion: 3.5, contextWindow: 8_192,
  },
  // [catalog] $0.22 / $0.22. Batch 50% [knowledge].
  'meta.llama3-1-8b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-1-8b-instruct', kind: 'text',
    inputPerMillion: 0.22, outputPerMillion: 0.22, batchDiscount: 0.5, contextWindow: 128_000,
  },
  // [catalog] $0.72 / $0.72. Batch 50% [knowledge].
  'meta.llama3-1-70b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-1-70b-instruct', kind: 'text',
    inputPerMillion: 0.72, outputPerMillion: 0.72, batchDiscount: 0.5, contextWindow: 128_000,
  },
  // [catalog] $0.72 / $0.72. Batch 50% [knowledge].
  'meta.llama3-3-70b-instruct-v1:0': {
    provider: 'meta', name: 'llama-3-3-70b-instruct', kind: 'text',
    inputPerMillion: 0.72, outputPerMillion: 0.72, batchDiscount: 0.5, contextWindow: 128_000,
  },
  // [catalog] $0.17 / $0.66. Context 3.5M on Bedrock and batch 50% [knowledge].
  'meta.llama4-scout-17b-instruct-v1:0': {
    provider: 'meta', name: 'llama-4-scout-17b-instruct', kind: 'text',
    inputPerMillion: 0.17, outputPerMillion: 0.66, batchDiscount: 0.5, contextWindow: 3_500_000,
  },
  // [catalog] $0.24 / $0.97. [aws-docs] context 1M. Batch 50% [knowledge].
  'meta.llama4-maverick-17b-instruct-v1:0': {
    provider: 'meta', name: 'llama-4-maverick-17b-instruct', kind: 'text',
    inputPerMillion: 0.24, outputPerMillion: 0.97, batchDiscount: 0.5, contextWindow: 1_000_000,
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

/** Geographic and global inference-profile prefixes, longest first so `us-gov.` wins over `us.`. */
const PROFILE_PREFIXES: ReadonlyArray<string> = ['us-gov.', 'global.', 'apac.', 'us.', 'eu.', 'jp.', 'au.', 'ca.'];

/** Resource types of Bedrock ARNs whose last path segment is a model or inference profile id. */
const ARN_RESOURCE_MARKERS: ReadonlyArray<string> = ['foundation-model/', 'inference-profile/'];

interface ParsedModelId {
  readonly baseId: string;
  readonly profilePrefix: string | undefined;
}

function parseModelId(modelIdOrArn: string): ParsedModelId {
  if (typeof modelIdOrArn !== 'string') {
    throw new TypeError(`modelId must be a string, got ${typeof modelIdOrArn}`);
  }
  let id = modelIdOrArn.trim();
  if (id.startsWith('arn:')) {
    // arn:aws:bedrock:<region>:<account>:foundation-model/<id> or :inference-profile/<profile-id>.
    // Other resource types (application-inference-profile/<opaque>, provisioned-model/<opaque>) keep their last
    // segment, which is not a model id and therefore falls back to the fallback price.
    let cut = -1;
    for (const marker of ARN_RESOURCE_MARKERS) {
      const at = id.indexOf(marker);
      if (at >= 0) {
        cut = at + marker.length;
        break;
      }
    }
    id = cut >= 0 ? id.slice(cut) : id.slice(id.lastIndexOf('/') + 1);
  }
  let profilePrefix: string | undefined;
  for (const prefix of PROFILE_PREFIXES) {
    if (id.startsWith(prefix)) {
      profilePrefix = prefix;
      id = id.slice(prefix.length);
      break;
    }
  }
  return { baseId: id, profilePrefix };
}

/**
 * The base model id of a model id, inference profile id or ARN.
 *
 * Strips geographic/global profile prefixes (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `ca.`, `us-gov.`, `global.`) and the
 * ARN up to `foundation-model/` or `inference-profile/`, because Bedrock bills a cross-Region profile at the price of
 * its base model (in the source Region).
 *
 * @example baseModelId('us.anthropic.claude-3-haiku-20240307-v1:0') // 'anthropic.claude-3-haiku-20240307-v1:0'
 */
export function baseModelId(modelIdOrArn: string): string {
  return parseModelId(modelIdOrArn).baseId;
}

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
  const raw = modelId.trim();
  if (Object.prototype.hasOwnProperty.call(catalog, raw) && raw !== parsed.baseId) {
    return Object.freeze({ modelId: raw, price: catalog[raw], known: true });
  }
  if (Object.prototype.hasOwnProperty.call(catalog, parsed.baseId)) {
    const price = withRegionalPremium(catalog[parsed.baseId], parsed.profilePrefix === 'global.');
    return Object.freeze({ modelId: parsed.baseId, price, known: true });
  }
  return Object.freeze({ modelId: parsed.baseId, price: fallback, known: false });
}

const PRICE_FIELDS = [
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
  return Object.freeze({ ...rest, ...adjusted });
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

/** A price override as configured: any subset of a price entry's fields, USD per 1M tokens. */
export type ModelPriceOverride = Partial<ModelPrice>;

/**
 * The full entry an override stands for: its fields over the catalog's entry for that model, so that overriding
 * the input and output prices keeps the model's cache minimum, batch discount and regional premium. A model the
 * catalog does not know gets Bedrock's usual rules: Anthropic cache multipliers (0.1x read, 1.25x 5-minute write,
 * 2x 1-hour write), otherwise cache tokens at the input price; no prompt caching unless `minCacheTokens` is given.
 */
export function completePriceOverride(modelId: string, override: ModelPriceOverride, base: ModelCatalog = DEFAULT_MODEL_CATALOG): ModelPrice {
  const known = base[modelId];
  if (known) return { ...known, ...override };
  const input = override.inputPerMillion ?? 0;
  const isAnthropic = modelId.startsWith('anthropic.');
  return {
    provider: modelId.slice(0, Math.max(0, modelId.indexOf('.'))) || 'unknown',
    name: modelId.slice(modelId.indexOf('.') + 1),
    kind: 'text',
    inputPerMillion: input,
    outputPerMillion: 0,
    cacheReadPerMillion: isAnthropic ? scale(input, 0.1) : input,
    cacheWrite5mPerMillion: isAnthropic ? scale(input, 1.25) : input,
    cacheWrite1hPerMillion: isAnthropic ? scale(input, 2) : input,
    contextWindow: 200_000,
    ...override,
  };
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
  for (const field of ['contextWindow', 'minCacheTokens'] as const) {
    const value = price[field];
    if (value === undefined && field === 'minCacheTokens') {
      continue;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`${where}: ${field} must be a positive integer number of tokens, got ${String(value)}`);
    }
  }
}

function deepFreeze<T extends Record<string, ModelPrice>>(catalog: T): Readonly<T> {
  for (const price of Object.values(catalog)) {
    Object.freeze(price);
  }
  return Object.freeze(catalog);
}
