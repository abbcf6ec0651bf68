/**
 * `estimateWorkload`: a workload's Bedrock cost per request and per month, baseline against optimized, what each cost
 * lever saves alone and together, Bedrock against SageMaker, and what the library itself costs to run.
 *
 * The baseline is the workload without any lever: all traffic on the most expensive model it configures (by its
 * cost per request for this workload's tokens), no prompt caching, no response cache, the uncapped output, on demand
 * on the standard tier. Each lever is then measured alone against that baseline, and the optimized configuration is
 * every configured lever together. Savings of levers measured alone do not add up to the combination: caching
 * saves less on a cheaper routed model, a response cache leaves fewer calls to cap.
 */
import { DEFAULT_MODEL_CATALOG, lookupModel, ModelCatalog, serviceTierPrice } from '../shared/core/model-catalog';
import { baseModelId } from '../shared/core/model-ids';
import { attoToUsd } from '../shared/core/pricing';
import { applyPriceOverrides } from '../shared/core/price-overrides';
import { add, attoRatioToUsd, cmp, div, fromNumber, isZero, mul, ONE, Ratio, ratio, roundToInteger, sub, toNumber, ZERO } from './exact';
import { LibraryCost, libraryCostExact } from './library-cost';
import { BudgetEstimate, estimateBudget } from './near-limit';
import { CacheConfig, cachedTokens, inputTokens, LeverConfig, PricedShare, requestCost, RequestCost } from './request-cost';
import { compareSageMaker, SageMakerComparison } from './sagemaker';
import { DEFAULT_DAYS_PER_MONTH, TrafficShare, Workload, WorkloadError } from './workload';

/** The cost levers, in the order they are reported. */
export const LEVERS = ['routing', 'promptCaching', 'responseCaching', 'outputCap', 'batch', 'serviceTier'] as const;
/** One cost lever. */
export type Lever = (typeof LEVERS)[number];

/** Options of {@link estimateWorkload}. */
export interface EstimateOptions {
  /**
   * What `catalog` is, for the labels of {@link EstimatePricing}: `catalog` (the shipped one) or `price file`.
   * @default 'catalog'
   */
  readonly catalogSource?: 'catalog' | 'price file';
  /**
   * The prices: the shipped catalog, or a price file read with `parsePriceFile` (the article's examples use the
   * article's prices). The workload's own `prices` are applied on top.
   * @default DEFAULT_MODEL_CATALOG
   */
  readonly catalog?: ModelCatalog;
  /** How to name the workload in messages. @default 'workload' */
  readonly source?: string;
}

/** The cost of one configuration. */
export interface CostFigures {
  /** Expected cost of one request, response-cache hits included (they cost nothing). */
  readonly perRequestUsd: number;
  readonly perMonthUsd: number;
  /** Present when the workload gives its requests per day. */
  readonly perDayUsd?: number;
  /** The month's cost by what is billed: uncached input, cache reads, cache writes, output. */
  readonly monthly: { readonly inputUsd: number; readonly cacheReadUsd: number; readonly cacheWriteUsd: number; readonly outputUsd: number };
  readonly modelCallsPerMonth: number;
}

/** What one lever saves alone against the baseline. */
export interface LeverSaving {
  readonly lever: Lever;
  /** Whether the workload uses the lever; an unused lever saves 0. */
  readonly configured: boolean;
  /** The lever's setting, in words. */
  readonly setting: string;
  readonly perMonthUsd: number;
  /** Baseline minus this configuration, per month; negative when the lever costs more (priority tier, caching that is rarely read). */
  readonly savingUsd: number;
  readonly savingPerDayUsd?: number;
  /** Saving over the baseline's cost. */
  readonly savingFraction: number;
}

/** One step of {@link WorkloadEstimate.waterfall}: a lever added to the levers before it. */
export interface WaterfallStep {
  readonly lever: Lever;
  readonly configured: boolean;
  /** The month's cost with this lever and every lever before it. */
  readonly perMonthUsd: number;
  /** The month's cost before this lever minus with it; 0 for an unused lever, negative when it costs more. */
  readonly savingUsd: number;
}

/** The estimator's result. */
export interface WorkloadEstimate {
  readonly description?: string;
  readonly requestsPerMonth: number;
  readonly requestsPerDay?: number;
  readonly tokens: { readonly input: number; readonly output: number; readonly outputCapped: number };
  readonly traffic: ReadonlyArray<{ readonly tier: TrafficShare['tier']; readonly modelId: string; readonly name: string; readonly share: number }>;
  readonly baseline: CostFigures & { readonly modelId: string; readonly name: string };
  readonly optimized: CostFigures;
  readonly levers: ReadonlyArray<LeverSaving>;
  /**
   * The optimized cost reached one lever at a time: the levers applied cumulatively in {@link LEVERS} order, each
   * step the saving of adding that lever to the ones before it. Each step is the difference of two month costs
   * rounded to the attodollar, so the steps add up to the baseline minus the optimized cost exactly.
   */
  readonly waterfall: ReadonlyArray<WaterfallStep>;
  /** Every configured lever together. */
  readonly combined: { readonly savingUsd: number; readonly savingPerDayUsd?: number; readonly savingFraction: number };
  readonly sagemaker?: SageMakerComparison;
  /** The library's own running cost for the optimized workload, and how it compares. */
  readonly library: LibraryCost & {
    /** Library cost over the combined saving; undefined when less than an attodollar is saved. */
    readonly shareOfSavings?: number;
    /** Library cost over the optimized Bedrock cost; undefined when that is 0. */
    readonly shareOfBedrockCost?: number;
  };
  /** Which prices priced each model, and the service tier's price basis. */
  readonly pricing: EstimatePricing;
  /** Present when the workload declares a budget: the month under it, with and without its near-limit policy. */
  readonly budget?: BudgetEstimate;
  /** What the figures assume or leave out for this workload. */
  readonly notes: ReadonlyArray<string>;
}

/**
 * Where a model's prices came from: the base prices (the shipped `catalog` or a `price file`), the `workload`'s own
 * `prices` entry (both input and output given), or `workload over catalog` / `workload over price file` (the entry
 * gives some fields; the rest follow the base entry's ratios).
 */
export type PriceSource = 'catalog' | 'price file' | 'workload' | 'workload over catalog' | 'workload over price file';

/** How an estimate was priced. */
export interface EstimatePricing {
  /** The source of each traffic model's prices, in traffic order. */
  readonly models: ReadonlyArray<{ readonly modelId: string; readonly name: string; readonly source: PriceSource }>;
  /** Present for the flex and priority tiers: what priced the tier and what its cache tokens cost. */
  readonly serviceTier?: {
    readonly tier: 'flex' | 'priority';
    /** `catalog tier prices`, or `multiplier xN` from the workload. */
    readonly basis: string;
    /** The assumption for cache reads and writes in the tier, which AWS publishes no price for. */
    readonly cacheAssumption: string;
  };
}

const TTL_MINUTES = { '5m': 5n, '1h': 60n } as const;

/**
 * Estimates a workload.
 *
 * @throws WorkloadError when a model has no price, a price override is invalid, or a service tier has no price
 */
export function estimateWorkload(workload: Workload, options: EstimateOptions = {}): WorkloadEstimate {
  const source = options.source ?? 'workload';
  const catalog = withOverrides(options.catalog ?? DEFAULT_MODEL_CATALOG, workload, source);
  const notes: string[] = [];

  const traffic: PricedShare[] = workload.traffic.map((t) => {
    const found = lookupModel(t.model, catalog);
    if (!found.known) {
      const path = t.tier === 'all' ? 'model' : `routing.${t.tier}.model`;
      throw new WorkloadError(
        `${source}: ${path}: unknown model ${JSON.stringify(t.model)} without a price. Fix: use a base model id the prices know, or price it in the workload: "prices": {${JSON.stringify(t.model)}: {"inputPerMillion": 3, "outputPerMillion": 15}} (USD per 1M tokens), or pass --prices FILE`,
        path,
      );
    }
    return { modelId: t.model, price: found.price, share: fromNumber(t.share) };
  });
  // Shares within 1e-9 of 1 are scaled to exactly 1, so that the mix prices all the traffic.
  const shareTotal = traffic.reduce((s, t) => add(s, t.share), ZERO);
  const mix = traffic.map((t) => ({ ...t, share: div(t.share, shareTotal) }));

  // A tier the catalog prices for every model is priced per model from its tier prices; else the workload's multiplier.
  const tierPriced = tierPricedTraffic(workload, mix);
  const tierMultiplier = tierPriced ? ONE : serviceTierMultiplier(workload, source);
  const tierMix = tierPriced ?? mix;
  const requestsPerMonth = workload.requests.per === 'month'
    ? fromNumber(workload.requests.count)
    : mul(fromNumber(workload.requests.count), daysPerMonth(workload));
  const tokens = workload.tokens;
  const outputCapped = workload.outputCap !== undefined ? Math.min(tokens.output, workload.outputCap) : tokens.output;

  // The baseline model: the dearest of the configured ones for this workload's requests, with no lever.
  const bare = (entry: PricedShare): LeverConfig => ({ traffic: [{ ...entry, share: ONE }], duplicateRate: ZERO, outputTokens: tokens.output, batchShare: ZERO, tierMultiplier: ONE });
  let dearest = mix[0];
  for (const entry of mix.slice(1)) {
    if (cmp(requestCost(tokens, bare(entry)).total, requestCost(tokens, bare(dearest)).total) > 0) dearest = entry;
  }
  const baselineConfig = bare(dearest);

  const duplicateRate = workload.responseCache ? fromNumber(workload.responseCache.duplicateRate) : ZERO;
  const cacheFor = (shares: ReadonlyArray<PricedShare>, duplicates: Ratio): CacheConfig | undefined => {
    const pc = workload.promptCache;
    if (!pc) return undefined;
    const writeShares = shares.map((entry) => {
      if (pc.cacheWriteShare !== undefined) return fromNumber(pc.cacheWriteShare);
      // Steady traffic keeps each prefix warm: one write per TTL window per prefix, the other calls read.
      const windows = mul(div(mul(daysPerMonth(workload), ratio(24n * 60n)), ratio(TTL_MINUTES[pc.ttl])), ratio(BigInt(pc.distinctPrefixes)));
      const calls = mul(mul(requestsPerMonth, sub(ONE, duplicates)), entry.share);
      if (isZero(calls) || cmp(windows, calls) >= 0) return ONE;
      return div(windows, calls);
    });
    return { parts: pc.parts, ttl: pc.ttl, writeShares };
  };

  const leverConfigs: Record<Lever, { configured: boolean; setting: string; config: LeverConfig }> = {
    routing: {
      configured: mix.length > 1,
      setting: mix.length > 1 ? mix.map((t) => `${t.price.name} ${pct(toNumber(t.share))}`).join(', ') : 'one model',
      config: { ...baselineConfig, traffic: mix },
    },
    promptCaching: {
      configured: workload.promptCache !== undefined,
      setting: workload.promptCache
        ? `${workload.promptCache.parts.join(' + ')}, TTL ${workload.promptCache.ttl}, ${workload.promptCache.cacheWriteShare !== undefined ? `write share ${workload.promptCache.cacheWriteShare}` : 'write share from the TTL'}`
        : 'off',
      config: { ...baselineConfig, promptCache: cacheFor(baselineConfig.traffic, ZERO) },
    },
    responseCaching: {
      configured: workload.responseCache !== undefined,
      setting: workload.responseCache ? `${pct(workload.responseCache.duplicateRate)} duplicates` : 'off',
      config: { ...baselineConfig, duplicateRate },
    },
    outputCap: {
      configured: workload.outputCap !== undefined,
      setting: workload.outputCap !== undefined ? `max ${workload.outputCap} tokens` : 'uncapped',
      config: { ...baselineConfig, outputTokens: outputCapped },
    },
    batch: {
      configured: workload.batchShare > 0,
      setting: workload.batchShare > 0 ? `${pct(workload.batchShare)} of calls` : 'off',
      config: { ...baselineConfig, batchShare: fromNumber(workload.batchShare) },
    },
    serviceTier: {
      configured: workload.serviceTier.tier !== 'standard',
      setting: workload.serviceTier.tier === 'standard' ? 'standard'
        : tierPriced ? `${workload.serviceTier.tier} (catalog prices)` : `${workload.serviceTier.tier} (x${workload.serviceTier.priceMultiplier})`,
      config: { ...baselineConfig, tierMultiplier, traffic: tierPriced ? baselineConfig.traffic.map(withTierPrice(workload)) : baselineConfig.traffic },
    },
  };
  const optimizedConfig: LeverConfig = {
    traffic: tierMix,
    promptCache: cacheFor(tierMix, duplicateRate),
    duplicateRate,
    outputTokens: outputCapped,
    batchShare: fromNumber(workload.batchShare),
    tierMultiplier,
  };

  const perDay = workload.requests.per === 'day' ? fromNumber(workload.requests.count) : undefined;
  const figures = (cost: RequestCost): CostFigures => ({
    perRequestUsd: attoRatioToUsd(cost.total),
    perMonthUsd: attoRatioToUsd(mul(cost.total, requestsPerMonth)),
    ...(perDay ? { perDayUsd: attoRatioToUsd(mul(cost.total, perDay)) } : {}),
    monthly: {
      inputUsd: attoRatioToUsd(mul(cost.input, requestsPerMonth)),
      cacheReadUsd: attoRatioToUsd(mul(cost.cacheRead, requestsPerMonth)),
      cacheWriteUsd: attoRatioToUsd(mul(cost.cacheWrite, requestsPerMonth)),
      outputUsd: attoRatioToUsd(mul(cost.output, requestsPerMonth)),
    },
    modelCallsPerMonth: toNumber(mul(cost.modelCalls, requestsPerMonth)),
  });
  const baselineCost = requestCost(tokens, baselineConfig);
  const optimizedCost = requestCost(tokens, optimizedConfig);
  const saving = (cost: RequestCost) => {
    const perRequest = sub(baselineCost.total, cost.total);
    return {
      savingUsd: attoRatioToUsd(mul(perRequest, requestsPerMonth)),
      ...(perDay ? { savingPerDayUsd: attoRatioToUsd(mul(perRequest, perDay)) } : {}),
      savingFraction: isZero(baselineCost.total) ? 0 : toNumber(div(perRequest, baselineCost.total)),
    };
  };

  const levers: LeverSaving[] = LEVERS.map((lever) => {
    const { configured, setting, config } = leverConfigs[lever];
    const cost = requestCost(tokens, config);
    return { lever, configured, setting, perMonthUsd: attoRatioToUsd(mul(cost.total, requestsPerMonth)), ...saving(cost) };
  });

  // The waterfall: the levers added one at a time, with the optimized configuration's arithmetic (the prompt cache's
  // write share follows the traffic and duplicates in place at that point), ending at the optimized configuration.
  const cumulative = (applied: ReadonlySet<Lever>): LeverConfig => {
    const stepTraffic = applied.has('routing') ? mix : baselineConfig.traffic;
    const duplicates = applied.has('responseCaching') ? duplicateRate : ZERO;
    return {
      traffic: stepTraffic,
      ...(applied.has('promptCaching') ? { promptCache: cacheFor(stepTraffic, duplicates) } : {}),
      duplicateRate: duplicates,
      outputTokens: applied.has('outputCap') ? outputCapped : tokens.output,
      batchShare: applied.has('batch') ? fromNumber(workload.batchShare) : ZERO,
      tierMultiplier: applied.has('serviceTier') ? tierMultiplier : ONE,
    };
  };
  const monthAtto = (cost: RequestCost): bigint => roundToInteger(mul(cost.total, requestsPerMonth));
  const applied = new Set<Lever>();
  let previousAtto = monthAtto(baselineCost);
  const waterfall: WaterfallStep[] = LEVERS.map((lever) => {
    const { configured } = leverConfigs[lever];
    if (configured) applied.add(lever);
    const atto = monthAtto(requestCost(tokens, cumulative(applied)));
    const step = { lever, configured, perMonthUsd: attoToUsd(atto), savingUsd: attoToUsd(previousAtto - atto) };
    previousAtto = atto;
    return step;
  });

  // SageMaker serves the same model calls (response-cache hits call no model on either side).
  let sagemaker: SageMakerComparison | undefined;
  if (workload.sagemaker) {
    const calls = mul(optimizedCost.modelCalls, requestsPerMonth);
    const perCall = isZero(optimizedCost.modelCalls) ? ZERO : div(optimizedCost.total, optimizedCost.modelCalls);
    sagemaker = compareSageMaker(workload.sagemaker, perCall, calls, inputTokens(tokens) + outputCapped);
  }

  const modelCalls = mul(optimizedCost.modelCalls, requestsPerMonth);
  const { monthlyAtto: libraryAtto, ...library } = libraryCostExact({
    requestsPerMonth,
    modelCallsPerMonth: modelCalls,
    responseCache: workload.responseCache !== undefined,
    outputTokens: outputCapped,
    daysPerMonth: daysPerMonth(workload),
    models: new Set(mix.map((t) => t.modelId)).size,
  }, workload.library);
  const combinedSavingAtto = mul(sub(baselineCost.total, optimizedCost.total), requestsPerMonth);
  const optimizedMonthAtto = mul(optimizedCost.total, requestsPerMonth);

  addNotes(notes, workload, mix, dearest, levers, tokens.output);
  const pricing = pricingOf(workload, mix, options.catalogSource ?? 'catalog', tierPriced !== undefined);
  if (pricing.serviceTier && workload.promptCache) notes.push(`Prompt caching in the ${pricing.serviceTier.tier} tier: ${pricing.serviceTier.cacheAssumption}`);
  const budgeted = estimateBudget({ workload, config: optimizedConfig, requestsPerMonth, daysPerMonth: daysPerMonth(workload) });
  if (budgeted) notes.push(...budgeted.notes);

  return {
    ...(workload.description !== undefined ? { description: workload.description } : {}),
    requestsPerMonth: toNumber(requestsPerMonth),
    ...(perDay ? { requestsPerDay: workload.requests.count } : {}),
    tokens: { input: inputTokens(tokens), output: tokens.output, outputCapped },
    traffic: mix.map((t, i) => ({ tier: workload.traffic[i].tier, modelId: t.modelId, name: t.price.name, share: toNumber(t.share) })),
    baseline: { modelId: dearest.modelId, name: dearest.price.name, ...figures(baselineCost) },
    optimized: figures(optimizedCost),
    levers,
    waterfall,
    combined: saving(optimizedCost),
    ...(sagemaker ? { sagemaker } : {}),
    library: {
      ...library,
      ...(roundToInteger(combinedSavingAtto) > 0n ? { shareOfSavings: toNumber(div(libraryAtto, combinedSavingAtto)) } : {}),
      ...(roundToInteger(optimizedMonthAtto) > 0n ? { shareOfBedrockCost: toNumber(div(libraryAtto, optimizedMonthAtto)) } : {}),
    },
    pricing,
    ...(budgeted ? { budget: budgeted.budget } : {}),
    notes,
  };
}

/** Which prices priced each traffic model, and what the service tier's cache tokens are assumed to cost. */
function pricingOf(workload: Workload, mix: ReadonlyArray<PricedShare>, base: 'catalog' | 'price file', tierPriced: boolean): EstimatePricing {
  const models = mix.map((t) => {
    const key = Object.keys(workload.prices).find((k) => k === t.modelId || baseModelId(k) === baseModelId(t.modelId));
    const override = key !== undefined ? workload.prices[key] : undefined;
    const source: PriceSource = override === undefined ? base
      : override.inputPerMillion !== undefined && override.outputPerMillion !== undefined ? 'workload' : `workload over ${base}`;
    return { modelId: t.modelId, name: t.price.name, source };
  });
  const { tier, priceMultiplier } = workload.serviceTier;
  if (tier === 'standard') return { models };
  return {
    models,
    serviceTier: tierPriced
      ? {
        tier,
        basis: 'catalog tier prices',
        // AWS lists input and output prices per tier, no cache prices (Bedrock pricing page, "Service tiers").
        cacheAssumption: `AWS publishes no ${tier} cache prices, so cache reads and writes are charged at the ${tier} input price here (never less): caching saves nothing in this tier. If your price sheet has ${tier} cache prices, give the tier as a multiplier instead ("serviceTier": {"tier": "${tier}", "priceMultiplier": N}), which scales the standard cache prices.`,
      }
      : {
        tier,
        basis: `multiplier x${priceMultiplier}`,
        cacheAssumption: `cache reads and writes are the standard cache prices times the workload's multiplier (x${priceMultiplier}), like every other token.`,
      },
  };
}

function daysPerMonth(workload: Workload): Ratio {
  const days = workload.requests.daysPerMonth;
  return days === DEFAULT_DAYS_PER_MONTH ? ratio(365n, 12n) : fromNumber(days);
}

/**
 * The traffic with each model's on-demand price in the workload's tier, when the tier is not standard, no multiplier
 * is given (a multiplier from the user's price sheet wins) and the catalog prices the tier for every model.
 */
function tierPricedTraffic(workload: Workload, mix: ReadonlyArray<PricedShare>): PricedShare[] | undefined {
  const { tier, priceMultiplier } = workload.serviceTier;
  if (tier === 'standard' || priceMultiplier !== undefined) return undefined;
  if (!mix.every((t) => serviceTierPrice(t.price, tier) !== undefined)) return undefined;
  return mix.map(withTierPrice(workload));
}

const withTierPrice = (workload: Workload) => (entry: PricedShare): PricedShare =>
  ({ ...entry, onDemandPrice: serviceTierPrice(entry.price, workload.serviceTier.tier) ?? entry.price });

function serviceTierMultiplier(workload: Workload, source: string): Ratio {
  const { tier, priceMultiplier } = workload.serviceTier;
  if (tier === 'standard') {
    if (priceMultiplier !== undefined && priceMultiplier !== 1) {
      throw new WorkloadError(`${source}: serviceTier.priceMultiplier: the standard tier is the list price itself, got ${priceMultiplier}. Fix: leave priceMultiplier out for "standard"`, 'serviceTier.priceMultiplier');
    }
    return ONE;
  }
  if (priceMultiplier === undefined) {
    throw new WorkloadError(
      `${source}: serviceTier: the prices have no "${tier}" tier prices for every model (the catalog has them for the models Bedrock serves in that tier, such as Amazon Nova Pro; price files list the standard tier only). Fix: route to such models, or give the tier's price relative to standard from your price sheet: "serviceTier": {"tier": "${tier}", "priceMultiplier": ${tier === 'flex' ? '0.5' : '1.75'}}`,
      'serviceTier',
    );
  }
  return fromNumber(priceMultiplier);
}

function withOverrides(base: ModelCatalog, workload: Workload, source: string): ModelCatalog {
  for (const [modelId, override] of Object.entries(workload.prices)) {
    if (!lookupModel(modelId, base).known) {
      for (const field of ['inputPerMillion', 'outputPerMillion'] as const) {
        if (override[field] === undefined) {
          const path = `prices[${JSON.stringify(modelId)}].${field}`;
          throw new WorkloadError(`${source}: ${path}: a model the prices do not know needs both inputPerMillion and outputPerMillion, got nothing for ${field}. Fix: add "${field}" (USD per 1M tokens)`, path);
        }
      }
    }
  }
  try {
    return applyPriceOverrides(base, workload.prices);
  } catch (e) {
    const message = (e as Error).message;
    const model = /"([^"]+)"/.exec(message)?.[1];
    const path = model !== undefined ? `prices[${JSON.stringify(model)}]` : 'prices';
    throw new WorkloadError(`${source}: ${path}: ${message}`, path);
  }
}

function addNotes(notes: string[], workload: Workload, mix: ReadonlyArray<PricedShare>, dearest: PricedShare, levers: ReadonlyArray<LeverSaving>, output: number): void {
  const byLever = Object.fromEntries(levers.map((l) => [l.lever, l])) as Record<Lever, LeverSaving>;
  notes.push(`Baseline: every request on ${dearest.price.name} (the dearest configured model for these tokens), no prompt or response caching, uncapped output, on demand, standard tier.`);
  const pc = workload.promptCache;
  if (pc) {
    for (const entry of mix) {
      if (entry.price.cacheReadPerMillion === undefined) { notes.push(`${entry.price.name} has no prompt-cache prices: its cached parts are priced as ordinary input.`); } else if (cachedTokens(workload.tokens, pc.parts, entry.price) === 0 && entry.price.minCacheTokens !== undefined) {
        notes.push(`${entry.price.name} caches prefixes of at least ${entry.price.minCacheTokens} tokens: the cached parts are shorter, so they are priced as ordinary input.`);
      }
    }
    if (byLever.promptCaching.savingUsd < 0) notes.push('Prompt caching costs more than it saves at this write share: a cache write costs more than ordinary input, so it pays only when enough calls read what was written.');
  }
  if (workload.batchShare > 0) {
    for (const entry of mix) if (!entry.price.batchDiscount) notes.push(`${entry.price.name} has no batch discount in these prices: its batch share is priced on demand.`);
  }
  if (workload.outputCap !== undefined && workload.outputCap >= output) notes.push(`The output cap (${workload.outputCap}) is above the average output (${output}): it bounds the worst case, not the average.`);
  if (workload.outputCap !== undefined && workload.outputCap < output) notes.push(`The output cap truncates every response to ${workload.outputCap} tokens (the average output, ${output}, is treated as every response's length).`);
  if (workload.serviceTier.tier === 'priority') notes.push('The priority tier is a premium for latency: it shows as a negative saving.');
  if (workload.batchShare > 0 && workload.serviceTier.tier !== 'standard') notes.push('Batch calls are priced at the batch discount, not at the service tier.');
  const configured = levers.filter((l) => l.configured);
  if (configured.length > 1) notes.push('Each lever is measured alone against the baseline; together they save less than the sum (a cheaper routed model leaves less to cache, cap or batch).');
}

const pct = (fraction: number): string => `${Math.round(fraction * 1000) / 10} %`;


