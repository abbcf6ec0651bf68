import { applyPriceOverrides, lookupModel, DEFAULT_MODEL_CATALOG, DEFAULT_FALLBACK_PRICE, ModelCatalog, ModelPrice, priceUsage } from '../../core';
import { PipelineConfig } from '../config';
import { PipelineResult, Usage } from '../types';

// One catalog per configuration object: configuration is read once per container, and the embedding cache and the
// pipeline price with the same catalog without each building (and validating) their own.
const catalogs = new WeakMap<PipelineConfig, ModelCatalog>();

/**
 * The catalog in force: the defaults with the configured overrides, each override being the price paid (no regional
 * premium on top) with cache prices following its input price (see completePriceOverride). Built once per config.
 */
export function effectiveCatalog(config: PipelineConfig): ModelCatalog {
  let catalog = catalogs.get(config);
  if (!catalog) {
    catalog = applyPriceOverrides(DEFAULT_MODEL_CATALOG, config.priceOverrides);
    catalogs.set(config, catalog);
  }
  return catalog;
}

/** The price of a model, and whether the catalog knew it (an unknown model is priced at the fallback, never $0). */
export function modelPrice(modelId: string, catalog: ModelCatalog, config: PipelineConfig): { price: ModelPrice; known: boolean } {
  const { price, known } = lookupModel(modelId, catalog, config.fallbackPrice ?? DEFAULT_FALLBACK_PRICE);
  return { price, known };
}

/**
 * The price of a model under a configuration (its overrides and fallback), for a caller that holds the
 * configuration but not the catalog, such as the embedding cache pricing its InvokeModel calls.
 */
export function configuredModelPrice(modelId: string, config: PipelineConfig): { price: ModelPrice; known: boolean } {
  return modelPrice(modelId, effectiveCatalog(config), config);
}

/** Stage 10 — price the call exactly from Bedrock's usage fields (cache reads and both write TTLs priced apart). */
export function priceCall(
  usage: Usage,
  cacheDetails: ReadonlyArray<{ ttl?: string; inputTokens?: number }> | undefined,
  modelId: string,
  catalog: ModelCatalog,
  config: PipelineConfig,
): PipelineResult['cost'] {
  const { price, known } = modelPrice(modelId, catalog, config);
  const cost = priceUsage({ ...usage, cacheDetails }, price);
  return { ...cost, priced: known ? 'catalog' : 'fallback' };
}
