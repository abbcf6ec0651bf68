/**
 * The facts about one model that the runtime, the simulator, the batch workflow and the constructs need, from one
 * place: what its id says (`model-ids.ts`) and what the catalog records (`model-catalog.ts`). Consumers ask here
 * instead of keeping tables of their own, so that a cache minimum or a context window cannot differ between the
 * simulator that tests a behaviour and the runtime that relies on it.
 */
import { DEFAULT_FALLBACK_PRICE, DEFAULT_MODEL_CATALOG, lookupModel, ModelCatalog, ModelPrice } from './model-catalog';
import { BatchModelFamily, batchFormat, derivedShortName, InferenceGeography, modelFamily, ModelFamily, modelProvider, parseModelId } from './model-ids';

/** What is known about a model. */
export interface ModelFacts {
  /** The catalog key that matched, or the base model id (see `baseModelId`). */
  readonly modelId: string;
  /** Whether the catalog has an entry for it; the limits of an unknown model are the fallback's. */
  readonly known: boolean;
  /** The ModelProvider tag value: the catalog's provider, else the id's (`anthropic`, `amazon`, `meta`). */
  readonly provider: string;
  /** The Model tag value: the catalog's name, else the id without provider, date and version. */
  readonly name: string;
  /** The family this library has rules for, if any. */
  readonly family?: ModelFamily;
  /** The geography of the cross-Region profile the id goes through, if any. */
  readonly geography?: InferenceGeography;
  /** The batch record format, when batch records can be written for the model. */
  readonly batchFormat?: BatchModelFamily;
  readonly kind: ModelPrice['kind'];
  /** Input tokens the model accepts in one request. */
  readonly contextWindow: number;
  /** The most tokens one response may have; absent when not known. */
  readonly maxOutputTokens?: number;
  /** Tokens a prefix needs before a cache point takes effect; absent: the model has no prompt caching on Bedrock. */
  readonly minCacheTokens?: number;
}

/**
 * The facts about a model id, inference profile id or ARN.
 *
 * @param catalog the catalog in force (with the configured overrides). @default DEFAULT_MODEL_CATALOG
 * @param fallback the entry unknown models get their limits from. @default DEFAULT_FALLBACK_PRICE
 */
export function modelFacts(modelId: string, catalog: ModelCatalog = DEFAULT_MODEL_CATALOG, fallback: ModelPrice = DEFAULT_FALLBACK_PRICE): ModelFacts {
  const found = lookupModel(modelId, catalog, fallback);
  const entry = found.price;
  const geography = parseModelId(modelId).geography;
  const family = modelFamily(found.modelId);
  const batch = batchFormat(found.modelId);
  return Object.freeze({
    modelId: found.modelId,
    known: found.known,
    provider: found.known ? entry.provider : modelProvider(found.modelId),
    name: found.known ? entry.name : derivedShortName(found.modelId),
    ...(family ? { family } : {}),
    ...(geography ? { geography } : {}),
    ...(batch ? { batchFormat: batch } : {}),
    kind: entry.kind,
    contextWindow: entry.contextWindow,
    ...(entry.maxOutputTokens !== undefined ? { maxOutputTokens: entry.maxOutputTokens } : {}),
    // An unknown model gets no cache points: adding them where Bedrock has no caching fails the request.
    ...(found.known && entry.minCacheTokens !== undefined ? { minCacheTokens: entry.minCacheTokens } : {}),
  });
}

/**
 * The short name of a model (the Model cost-allocation tag): the catalog's `name` for a known model, so that the
 * tag a construct writes equals the one the runtime reports, else the id without provider, date and version.
 */
export function modelShortName(modelId: string, catalog: ModelCatalog = DEFAULT_MODEL_CATALOG): string {
  return modelFacts(modelId, catalog).name;
}
