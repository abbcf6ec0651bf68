/**
 * The expected cost of one request of a workload under one configuration of the cost levers, exactly.
 *
 * A request is one of: a response-cache hit (no model call, the duplicate rate), or a model call on one of the
 * traffic's models (its share), which writes the prompt cache (the write share) or reads it, and runs on demand (at
 * the service tier's price) or as batch inference (the batch share, at the model's batch discount). Each kind of
 * call is priced with {@link priceUsageExact} (integer attodollars) and weighted by its probability as an exact
 * fraction, so the expected cost is exact until it is rounded once for display.
 */
import type { ModelPrice } from '../shared/core/model-catalog';
import { BedrockUsage, priceUsageExact } from '../shared/core/pricing';
import { add, fromNumber, mul, ONE, Ratio, ratio, sub, sum, ZERO } from './exact';
import type { PromptPart, WorkloadTokens } from './workload';

/** One model of a configuration and the share of the model calls it takes. */
export interface PricedShare {
  readonly modelId: string;
  readonly price: ModelPrice;
  readonly share: Ratio;
  /** The price of on-demand calls when they run in a service tier the catalog prices (batch calls keep `price`). */
  readonly onDemandPrice?: ModelPrice;
}

/** Prompt caching as one configuration applies it. */
export interface CacheConfig {
  readonly parts: ReadonlyArray<PromptPart>;
  readonly ttl: '5m' | '1h';
  /** The write share of each traffic entry's model calls, in traffic order. */
  readonly writeShares: ReadonlyArray<Ratio>;
}

/** The levers as one configuration sets them. */
export interface LeverConfig {
  readonly traffic: ReadonlyArray<PricedShare>;
  readonly promptCache?: CacheConfig;
  readonly duplicateRate: Ratio;
  readonly outputTokens: number;
  readonly batchShare: Ratio;
  readonly tierMultiplier: Ratio;
}

/** Expected attodollars per request, by what is billed. */
export interface RequestCost {
  readonly input: Ratio;
  readonly output: Ratio;
  readonly cacheRead: Ratio;
  readonly cacheWrite: Ratio;
  readonly total: Ratio;
  /** Expected model calls per request (1 - duplicate rate). */
  readonly modelCalls: Ratio;
}

/** Input tokens of a request, all parts. */
export const inputTokens = (t: WorkloadTokens): number => t.systemPrompt + t.ragContext + t.history + t.userInput;

/** The tokens a prompt cache holds for this model: 0 when the model has no cache prices or the prefix is too short. */
export function cachedTokens(tokens: WorkloadTokens, parts: ReadonlyArray<PromptPart>, price: ModelPrice): number {
  if (price.cacheReadPerMillion === undefined) return 0;
  const cached = parts.reduce((s, p) => s + tokens[p], 0);
  return price.minCacheTokens !== undefined && cached < price.minCacheTokens ? 0 : cached;
}

interface Buckets {
  readonly input: Ratio;
  readonly output: Ratio;
  readonly cacheRead: Ratio;
  readonly cacheWrite: Ratio;
}

const NONE: Buckets = { input: ZERO, output: ZERO, cacheRead: ZERO, cacheWrite: ZERO };

function priced(usage: BedrockUsage, price: ModelPrice, batch: boolean): Buckets {
  const e = priceUsageExact(usage, price, { batch });
  return { input: ratio(e.inputAtto), output: ratio(e.outputAtto), cacheRead: ratio(e.cacheReadAtto), cacheWrite: ratio(e.cacheWrite5mAtto + e.cacheWrite1hAtto) };
}

const scale = (b: Buckets, k: Ratio): Buckets => ({ input: mul(b.input, k), output: mul(b.output, k), cacheRead: mul(b.cacheRead, k), cacheWrite: mul(b.cacheWrite, k) });
const plus = (a: Buckets, b: Buckets): Buckets => ({ input: add(a.input, b.input), output: add(a.output, b.output), cacheRead: add(a.cacheRead, b.cacheRead), cacheWrite: add(a.cacheWrite, b.cacheWrite) });

/** The expected cost of one request under `config`. */
export function requestCost(tokens: WorkloadTokens, config: LeverConfig): RequestCost {
  const totalInput = inputTokens(tokens);
  const output = config.outputTokens;
  let call = NONE;
  config.traffic.forEach((entry, i) => {
    const cached = config.promptCache ? cachedTokens(tokens, config.promptCache.parts, entry.price) : 0;
    const uncached = totalInput - cached;
    const writeShare = config.promptCache && cached > 0 ? config.promptCache.writeShares[i] : ZERO;
    const write: BedrockUsage = config.promptCache?.ttl === '1h'
      ? { inputTokens: uncached, outputTokens: output, cacheWriteInputTokens: cached, cacheDetails: [{ ttl: '1h', inputTokens: cached }] }
      : { inputTokens: uncached, outputTokens: output, cacheWriteInputTokens: cached };
    const read: BedrockUsage = { inputTokens: uncached, outputTokens: output, cacheReadInputTokens: cached };
    const mode = (batch: boolean) => {
      const price = batch ? entry.price : entry.onDemandPrice ?? entry.price;
      return plus(scale(priced(write, price, batch), writeShare), scale(priced(read, price, batch), sub(ONE, writeShare)));
    };
    const onDemand = scale(mode(false), mul(sub(ONE, config.batchShare), config.tierMultiplier));
    const batch = scale(mode(true), config.batchShare);
    call = plus(call, scale(plus(onDemand, batch), entry.share));
  });
  const modelCalls = sub(ONE, config.duplicateRate);
  const perRequest = scale(call, modelCalls);
  return { ...perRequest, total: sum([perRequest.input, perRequest.output, perRequest.cacheRead, perRequest.cacheWrite]), modelCalls };
}

/** `x` as an exact fraction. */
export const exact = (x: number): Ratio => fromNumber(x);
