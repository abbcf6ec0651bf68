import { applyPriceOverrides, exactToCostBreakdown, lookupModel, DEFAULT_MODEL_CATALOG, DEFAULT_FALLBACK_PRICE, ModelCatalog, ModelPrice, priceUsageExact, serviceTierPrice } from '../../../shared/core';
import type { ServiceTierName } from '../../../shared/contract';
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

/**
 * The tier a Converse response reports (`serviceTier.type`: `default`, `flex`, `priority`, `reserved`), falling back
 * to the one requested when the response names none. `default` is standard; `reserved` capacity is prepaid, and its
 * overflow is billed at standard, so it is priced at standard (never less than what may be billed per token).
 */
export function servedTier(reported: string | undefined, requested: ServiceTierName | undefined): ServiceTierName {
  switch (reported) {
    case 'flex': return 'flex';
    case 'priority': return 'priority';
    case 'default': case 'reserved': return 'standard';
    default: return requested ?? 'standard';
  }
}

/**
 * Stage 10 — price the call exactly from Bedrock's usage fields (cache reads and both write TTLs priced apart), in the
 * service tier that served it. A tier the catalog has no price for (the synthesis check makes it rare: a price
 * override from a newer price sheet) is never priced below what it may cost: Flex at the standard price, Priority at
 * the fallback price, and `priced` says 'fallback'.
 */
export function priceCall(...call: Parameters<typeof priceCallExact>): PipelineResult['cost'] {
  return priceCallExact(...call).cost;
}

/** {@link priceCall}, with the exact total in attodollars beside it (what guards settle to), priced once. */
export function priceCallExact(
  usage: Usage,
  cacheDetails: ReadonlyArray<{ ttl?: string; inputTokens?: number }> | undefined,
  modelId: string,
  catalog: ModelCatalog,
  config: PipelineConfig,
  serviceTier: ServiceTierName = 'standard',
): { readonly cost: PipelineResult['cost']; readonly totalAtto: bigint } {
  const billed = billedPrice(modelId, catalog, config, serviceTier);
  const exact = priceUsageExact({ ...usage, cacheDetails }, billed.price, { serviceTier: billed.serviceTier });
  return { cost: { ...exactToCostBreakdown(exact), priced: billed.known ? 'catalog' : 'fallback' }, totalAtto: exact.totalAtto };
}

/**
 * The price a call served in `serviceTier` is charged at, and the tier to price it in: the tier's own prices when
 * the catalog has them; else Flex at the standard price and Priority at the fallback price, never less than it may
 * cost. `known` is false for either fallback.
 */
export function billedPrice(modelId: string, catalog: ModelCatalog, config: PipelineConfig, serviceTier: ServiceTierName):
{ price: ModelPrice; serviceTier: ServiceTierName; known: boolean } {
  const { price, known } = modelPrice(modelId, catalog, config);
  if (serviceTierPrice(price, serviceTier) !== undefined) return { price, serviceTier, known };
  return { price: serviceTier === 'flex' ? price : config.fallbackPrice ?? DEFAULT_FALLBACK_PRICE, serviceTier: 'standard', known: false };
}

/**
 * The price a reservation counts for a call that asks for `serviceTier`: Priority's (dearer), or the standard price
 * for Flex, in case the call is served at standard.
 */
export function reservationPrice(modelId: string, catalog: ModelCatalog, config: PipelineConfig, serviceTier: ServiceTierName): ModelPrice {
  const { price } = modelPrice(modelId, catalog, config);
  if (serviceTier !== 'priority') return price;
  return serviceTierPrice(price, 'priority') ?? config.fallbackPrice ?? DEFAULT_FALLBACK_PRICE;
}
