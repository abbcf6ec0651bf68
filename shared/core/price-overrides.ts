/**
 * Price overrides: the prices a user types from their bill (the construct's `modelPrices`), turned into catalog
 * entries.
 *
 * An override is the price paid, used as is: no regional premium is added on top of it, whatever profile the model
 * is invoked through, because a bill already shows the price of the Region and profile used. Cache prices the
 * override does not give follow its input price with the model's own ratios, so that a negotiated input price lowers
 * cache reads and writes alike instead of leaving them at list price.
 */
import { CACHE_PRICE_RATIOS, DEFAULT_FALLBACK_PRICE, DEFAULT_MODEL_CATALOG, mergeCatalog, ModelCatalog, ModelPrice } from './model-catalog';
import { baseModelId, derivedShortName, modelFamily, modelProvider } from './model-ids';

const CACHE_FIELDS = ['cacheReadPerMillion', 'cacheWrite5mPerMillion', 'cacheWrite1hPerMillion'] as const;

/**
 * The full entry an override stands for. `override` is the pipeline configuration's `ModelPriceOverrideFields`
 * (the workflows' `modelPrices`) or, from the estimator's price files, any fields of a catalog entry.
 *
 * For a model the catalog knows (by the id given or its base model id): the override's fields over the catalog's
 * entry, keeping its cache minimum, limits and batch discount, but not its regional premium (the override is the
 * price paid). Each cache price the override leaves out is the catalog's cache price scaled by the override's input
 * price over the catalog's (Claude Haiku 4.5 at $0.80 instead of $1: cache reads $0.08, 5-minute writes $1,
 * 1-hour writes $1.60).
 *
 * For a model the catalog does not know: the family's cache ratios (Anthropic 0.1x read, 1.25x 5-minute write, 2x
 * 1-hour write; Nova 0.25x read, 1x write), otherwise cache tokens at the input price; no prompt caching unless
 * `minCacheTokens` is given; prices the override leaves out come from {@link DEFAULT_FALLBACK_PRICE}, so that a
 * half-given price over-reports rather than prices output at $0.
 *
 * Fields given explicitly always win, `regionalPremium` included.
 */
export function completePriceOverride(modelId: string, override: Partial<ModelPrice>, base: ModelCatalog = DEFAULT_MODEL_CATALOG): ModelPrice {
  const given = definedFields(override);
  const known = base[modelId] ?? base[baseModelId(modelId)];
  if (known) {
    const { regionalPremium, ...rest } = known;
    void regionalPremium; // the catalog's premium is relative to its list price, not to a price paid
    const input = given.inputPerMillion ?? known.inputPerMillion;
    const cache: Partial<Record<(typeof CACHE_FIELDS)[number], number>> = {};
    for (const field of CACHE_FIELDS) {
      const listed = known[field];
      if (listed !== undefined) cache[field] = followInput(listed, known.inputPerMillion, input);
    }
    return { ...rest, ...cache, ...given };
  }
  const input = given.inputPerMillion ?? DEFAULT_FALLBACK_PRICE.inputPerMillion;
  const family = modelFamily(modelId);
  const ratios = family === 'anthropic' || family === 'nova' ? CACHE_PRICE_RATIOS[family] : { read: 1, write5m: 1, write1h: 1 };
  return {
    provider: modelProvider(modelId),
    name: derivedShortName(modelId),
    kind: 'text',
    inputPerMillion: input,
    outputPerMillion: DEFAULT_FALLBACK_PRICE.outputPerMillion,
    cacheReadPerMillion: scaleExact(input, ratios.read),
    cacheWrite5mPerMillion: scaleExact(input, ratios.write5m),
    ...(ratios.write1h !== undefined ? { cacheWrite1hPerMillion: scaleExact(input, ratios.write1h) } : {}),
    contextWindow: DEFAULT_FALLBACK_PRICE.contextWindow,
    ...given,
  };
}

/**
 * `base` with every override completed ({@link completePriceOverride}) and validated; the base itself when there is
 * nothing to override.
 *
 * @throws TypeError or RangeError naming the model and field that is invalid.
 */
export function applyPriceOverrides(base: ModelCatalog, overrides: Readonly<Record<string, Partial<ModelPrice>>>): ModelCatalog {
  const entries = Object.entries(overrides);
  if (entries.length === 0) return base;
  return mergeCatalog(base, Object.fromEntries(entries.map(([id, o]) => [id, completePriceOverride(id, o, base)])));
}

/** The fields actually set: configuration read from JSON or code may carry `undefined` for a field not given. */
function definedFields(override: Partial<ModelPrice>): Partial<ModelPrice> {
  return Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== undefined)) as Partial<ModelPrice>;
}

const NANO = 1e9;

/**
 * `listed x newInput / listedInput`, in whole nano-dollars per 1M tokens with BigInt so that the ratio is applied
 * exactly ($18.75 x 0.8 / 15 is $1, not 0.9999999999999999). A catalog input price of 0 leaves the listed price.
 */
function followInput(listed: number, listedInput: number, newInput: number): number {
  const a = BigInt(Math.round(listedInput * NANO));
  if (a <= 0n) return listed;
  const product = BigInt(Math.round(listed * NANO)) * BigInt(Math.round(newInput * NANO));
  return Number((2n * product + a) / (2n * a)) / NANO;
}

function scaleExact(usdPerMillion: number, factor: number): number {
  return Math.round(usdPerMillion * factor * NANO) / NANO;
}
