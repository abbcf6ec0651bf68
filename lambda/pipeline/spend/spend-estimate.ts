import { ModelPrice, priceUsageExact } from '../../../shared/core';
import { SpendAmount } from '../guards/spend-guard';
import type { Usage } from '../types';

/** What a call can use at most, for its reservation. */
export interface SpendBoundInput {
  /** Upper bound of the prompt's input tokens. */
  readonly inputTokens: number;
  /** Of those, the upper bound of the prefix that may be written to the prompt cache (billed at the write price). */
  readonly cacheablePrefixTokens: number;
  /** The output cap of the call. */
  readonly maxOutputTokens: number;
  /** Every price the call may be billed at (the routed model and the fallbacks it may reach). */
  readonly prices: ReadonlyArray<ModelPrice>;
  readonly batch?: boolean;
}

/**
 * The most a call can cost: the cacheable prefix at the cache-write price (dearer than fresh input on Anthropic
 * models), the rest at the input price, the whole output cap, at the dearest of the prices it may be billed at.
 * Exact, in attodollars, so a reservation and its settlement compare without rounding.
 */
export function spendUpperBound(input: SpendBoundInput): SpendAmount {
  let costAtto = 0n;
  for (const price of input.prices) {
    const caches = price.minCacheTokens !== undefined && input.cacheablePrefixTokens > 0;
    const prefix = caches ? Math.min(input.cacheablePrefixTokens, input.inputTokens) : 0;
    const exact = priceUsageExact({
      inputTokens: input.inputTokens - prefix,
      cacheWriteInputTokens: prefix,
      outputTokens: input.maxOutputTokens,
    }, price, { batch: input.batch });
    if (exact.totalAtto > costAtto) costAtto = exact.totalAtto;
  }
  return { tokens: input.inputTokens + input.maxOutputTokens, cacheReadTokens: 0, costAtto };
}

/** What a billed call used, in the guards' terms: cache reads apart, everything else counted as tokens. */
export function billedAmount(usage: Usage, costAtto: bigint): SpendAmount {
  return {
    tokens: usage.inputTokens + usage.cacheWriteInputTokens + usage.outputTokens,
    cacheReadTokens: usage.cacheReadInputTokens,
    costAtto,
  };
}
