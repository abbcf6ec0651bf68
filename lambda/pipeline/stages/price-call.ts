import { completePriceOverride, lookupModel, mergeCatalog, DEFAULT_MODEL_CATALOG, DEFAULT_FALLBACK_PRICE, ModelCatalog, ModelPrice, priceUsage } from '../../core';
import { PipelineConfig } from '../config';
import { PipelineResult, Usage } from '../types';

/** The catalog in force: the defaults with the configured overrides. Built once per container. */
export function effectiveCatalog(config: PipelineConfig): ModelCatalog {
  const overrides = Object.entries(config.priceOverrides);
  if (overrides.length === 0) return DEFAULT_MODEL_CATALOG;
  return mergeCatalog(DEFAULT_MODEL_CATALOG, Object.fromEntries(overrides.map(([id, o]) => [id, completePriceOverride(id, o)])));
}

/** The price of a model, and whether the catalog knew it (an unknown model is priced at the fallback, never $0). */
export function modelPrice(modelId: string, catalog: ModelCatalog, config: PipelineConfig): { price: ModelPrice; known: boolean } {
  const { price, known } = lookupModel(modelId, catalog, config.fallbackPrice ?? DEFAULT_FALLBACK_PRICE);
  return { price, known };
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
