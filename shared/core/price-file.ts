/**
 * Price files: a catalog written as JSON, so that prices can be kept, reviewed and swapped without code (the
 * article's prices for its worked examples, a negotiated price sheet, an estimate's assumptions).
 *
 * Format:
 * ```json
 * {
 *   "description": "What these prices are and when they were read (optional).",
 *   "models": {
 *     "anthropic.claude-3-haiku-20240307-v1:0": {
 *       "provider": "anthropic", "name": "claude-3-haiku", "kind": "text",
 *       "inputPerMillion": 0.25, "outputPerMillion": 1.25, "contextWindow": 200000,
 *       "source": "Where the figures come from (optional)."
 *     }
 *   }
 * }
 * ```
 * Each model is keyed by its base model id and is a complete {@link ModelPrice} (checked by
 * {@link validateModelPrice}), USD per 1M tokens, plus an optional `source`. Unknown fields are refused, so that a
 * misspelt `cacheReadPerMilion` fails instead of silently pricing cache reads at the input price.
 */
import { ModelCatalog, ModelPrice, PRICE_FIELDS, validateModelPrice } from './model-catalog';

const ENTRY_FIELDS: ReadonlySet<string> = new Set<string>([
  'provider', 'name', 'kind', ...PRICE_FIELDS, 'batchDiscount', 'minCacheTokens', 'contextWindow', 'maxOutputTokens', 'regionalPremium',
]);
const FILE_FIELDS: ReadonlySet<string> = new Set(['description', 'models']);

/**
 * Reads a parsed price file into a frozen catalog.
 *
 * @param json the file's content, already parsed (`JSON.parse`)
 * @param source how to name the file in error messages
 * @throws TypeError or RangeError naming the file, the model and the field that is wrong
 */
export function parsePriceFile(json: unknown, source = 'price file'): ModelCatalog {
  if (!isObject(json)) throw new TypeError(`${source}: expected an object with "models", got ${describe(json)}`);
  for (const key of Object.keys(json)) {
    if (!FILE_FIELDS.has(key)) throw new TypeError(`${source}: unknown field "${key}"; a price file has "models" and an optional "description"`);
  }
  if (json.description !== undefined && typeof json.description !== 'string') {
    throw new TypeError(`${source}: "description" must be a string, got ${describe(json.description)}`);
  }
  const models = json.models;
  if (!isObject(models)) throw new TypeError(`${source}: "models" must be an object keyed by base model id, got ${describe(models)}`);
  const catalog: Record<string, ModelPrice> = {};
  for (const [modelId, entry] of Object.entries(models)) {
    if (!isObject(entry)) throw new TypeError(`${source}: model price for "${modelId}" must be an object, got ${describe(entry)}`);
    const price: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(entry)) {
      if (field === 'source') {
        if (typeof value !== 'string') throw new TypeError(`${source}: "${modelId}".source must be a string, got ${describe(value)}`);
        continue; // documentation only
      }
      if (!ENTRY_FIELDS.has(field)) throw new TypeError(`${source}: model price for "${modelId}" has an unknown field "${field}"`);
      price[field] = value;
    }
    try {
      validateModelPrice(modelId, price as unknown as ModelPrice);
    } catch (e) {
      const error = e as Error;
      throw new (error.constructor as ErrorConstructor)(`${source}: ${error.message}`);
    }
    catalog[modelId] = Object.freeze(price as unknown as ModelPrice);
  }
  return Object.freeze(catalog);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
