/**
 * A monthly budget and the near-limit policy (the workflows' `nearLimit` prop, issue 18's "degrade before refusing")
 * priced over the month: full price until `atShare` of the budget is spent, the rest of the month degraded (a
 * cheaper tier, Flex, cache only, deferred to the next day), and what the limit refuses once the budget is spent.
 *
 * The month is a fluid model of the estimate's expected costs: traffic spread evenly over the month, every request
 * costing the expected cost of the configuration that serves it, exact fractions of attodollars rounded once for
 * display. The runtime decides on a call's reservation (its upper bound) before the call, so it degrades a little
 * earlier than this; the difference is at most one reservation.
 */
import { DEGRADED_ACTION_NAMES, NearLimitConfig } from '../shared/contract';
import { serviceTierPrice } from '../shared/core/model-catalog';
import { ATTO_PER_USD } from '../shared/core/pricing';
import { add, attoRatioToUsd, cmp, div, fromNumber, isZero, mul, ONE, Ratio, ratio, sub, sum, toNumber, ZERO } from './exact';
import { LeverConfig, PricedShare, requestCost } from './request-cost';
import type { Workload } from './workload';

/** When, in the month, a share of the budget is spent. */
export interface BudgetReached {
  /** The share of the month's requests sent before it. */
  readonly trafficShare: number;
  /** The day of the month it happens on (traffic spread evenly), e.g. 24.3 of 30.4. */
  readonly day: number;
}

/** The month under the budget, with or without the policy. Its requests add up to the month's. */
export interface BudgetedMonth {
  readonly spendUsd: number;
  /** When `atShare` of the budget is spent (with the policy); absent when it never is. */
  readonly nearLimitReached?: BudgetReached;
  /** When the whole budget is spent; absent when it never is. */
  readonly limitReached?: BudgetReached;
  /** Requests answered as configured: at full price, and every response-cache hit (free, never refused). */
  readonly asConfigured: { readonly requests: number; readonly usd: number };
  /** Model calls the policy changed: routed to the cheaper tier, sent to Flex, or deferred to the next day. */
  readonly degraded: { readonly requests: number; readonly usd: number };
  /** Requests refused: cache misses once the budget is spent, or (cacheOnly) past the share. */
  readonly refusedRequests: number;
}

/** A workload's budget, priced. */
export interface BudgetEstimate {
  readonly usdPerMonth: number;
  /** The month's days, which {@link BudgetReached.day} counts in. */
  readonly daysPerMonth: number;
  readonly policy?: NearLimitConfig;
  /** The month as configured without any budget (the estimate's optimized month). */
  readonly unlimitedUsd: number;
  /** The expected cost of a request at full price, and of one past the near-limit share (with the policy). */
  readonly perRequestUsd: { readonly full: number; readonly nearLimit?: number };
  /** The budget alone: full price until it is spent, then the limit's 429 (cache hits still answered). */
  readonly withoutPolicy: BudgetedMonth;
  readonly withPolicy?: BudgetedMonth;
  /** How requests past the limit are refused, in words. */
  readonly refusal: string;
}

/** What the budget estimate needs from the workload's estimate. */
export interface BudgetInputs {
  readonly workload: Workload;
  /** The optimized configuration: what serves a request at full price. */
  readonly config: LeverConfig;
  readonly requestsPerMonth: Ratio;
  readonly daysPerMonth: Ratio;
}

/** Per request past the near-limit share: its expected cost, split by whether the policy changed the call. */
interface NearLimitRequest {
  readonly asConfiguredAtto: Ratio;
  readonly degradedAtto: Ratio;
  /** Requests per request answered as configured (cache hits and calls the policy leaves alone). */
  readonly asConfiguredShare: Ratio;
  readonly degradedShare: Ratio;
  /** Requests per request refused (cacheOnly's misses). */
  readonly refusedShare: Ratio;
}

/**
 * Prices the workload's budget and its near-limit policy for the month.
 *
 * @returns undefined when the workload declares no budget; else the figures and the notes they need
 */
export function estimateBudget(inputs: BudgetInputs): { readonly budget: BudgetEstimate; readonly notes: string[] } | undefined {
  const { workload, config, requestsPerMonth } = inputs;
  if (!workload.budget) return undefined;
  const notes: string[] = [];
  const policy = workload.nearLimit;
  const budgetAtto = mul(fromNumber(workload.budget.usdPerMonth), ratio(ATTO_PER_USD));
  const fullAtto = requestCost(workload.tokens, config).total;
  const hitShare = config.duplicateRate;

  const withoutPolicy = month(inputs, fullAtto, budgetAtto, budgetAtto, undefined);
  let withPolicy: BudgetedMonth | undefined;
  let nearLimitAtto: Ratio | undefined;
  if (policy) {
    const near = nearLimitRequest(inputs, policy, notes);
    nearLimitAtto = add(near.asConfiguredAtto, near.degradedAtto);
    if (cmp(nearLimitAtto, fullAtto) > 0) notes.push(`Past the share a request costs more than as configured: "${policy.action}" makes this workload dearer, so the budget is spent sooner than without the policy.`);
    withPolicy = month(inputs, fullAtto, mul(fromNumber(policy.atShare), budgetAtto), budgetAtto, near);
  }
  const requests = isZero(hitShare) ? 'requests' : 'cache misses';
  // A deferral is reserved when it is accepted (lambda/pipeline/pipeline.ts, deferredAnswer): once the budget is
  // spent no deferral fits, so `defer` refuses at the limit whether `atLimit` is `refuse` or `degrade`.
  const refusal = `past the limit, ${requests} are refused (429)` + (policy?.action === 'defer' ? ': a deferral is reserved when it is accepted (202), so none is accepted once the budget is spent' : '')
    + (isZero(hitShare) ? '' : '; response-cache hits are still answered');
  if (policy && (policy.action === 'cheaperTier' || policy.action === 'flex') && policy.atLimit === 'degrade') {
    notes.push(`At the limit, "atLimit": "degrade" retries a refused call on its ${policy.action === 'flex' ? 'Flex' : 'cheaper'} bound, which still needs budget: once the budget is spent no call fits, so past the limit the misses are refused as with "refuse" (the last calls whose cheaper bound still fits are within the budget counted here).`);
  }
  if (!isZero(hitShare) && cmp(mul(requestsPerMonth, fullAtto), budgetAtto) > 0) {
    notes.push(`Response-cache hits (${pct(hitShare)} of requests) are answered at every share of the budget, the limit included: they call no model and cost nothing.`);
  }
  return {
    budget: {
      usdPerMonth: workload.budget.usdPerMonth,
      daysPerMonth: toNumber(inputs.daysPerMonth),
      ...(policy ? { policy } : {}),
      unlimitedUsd: attoRatioToUsd(mul(requestsPerMonth, fullAtto)),
      perRequestUsd: { full: attoRatioToUsd(fullAtto), ...(nearLimitAtto ? { nearLimit: attoRatioToUsd(nearLimitAtto) } : {}) },
      withoutPolicy,
      ...(withPolicy ? { withPolicy } : {}),
      refusal,
    },
    notes,
  };
}

/**
 * The month in three stretches: full price until `thresholdAtto` is spent; then (with a policy) `near`'s cost until
 * the budget is spent; then cache hits only. Without a policy the threshold is the budget itself.
 */
function month(inputs: BudgetInputs, fullAtto: Ratio, thresholdAtto: Ratio, budgetAtto: Ratio, near: NearLimitRequest | undefined): BudgetedMonth {
  const total = inputs.requestsPerMonth;
  const hitShare = inputs.config.duplicateRate;
  const reachedAfter = (requests: Ratio): BudgetReached => ({
    trafficShare: isZero(total) ? 0 : toNumber(div(requests, total)),
    day: isZero(total) ? 0 : toNumber(mul(inputs.daysPerMonth, div(requests, total))),
  });

  // Full price until the threshold.
  if (cmp(mul(total, fullAtto), thresholdAtto) <= 0) {
    return { spendUsd: attoRatioToUsd(mul(total, fullAtto)), asConfigured: { requests: toNumber(total), usd: attoRatioToUsd(mul(total, fullAtto)) }, degraded: { requests: 0, usd: 0 }, refusedRequests: 0 };
  }
  const atFull = div(thresholdAtto, fullAtto); // fullAtto > 0: the month costs more than a positive threshold
  const rest = sub(total, atFull);

  // Past the share: the policy's cost until the budget is spent (cacheOnly spends nothing more).
  let nearRequests = ZERO;
  if (near) {
    const nearLimitAtto = add(near.asConfiguredAtto, near.degradedAtto);
    const left = sub(budgetAtto, thresholdAtto);
    nearRequests = isZero(nearLimitAtto) || cmp(mul(rest, nearLimitAtto), left) <= 0 ? rest : div(left, nearLimitAtto);
  }
  const pastLimit = sub(rest, nearRequests);

  const asConfiguredRequests = sum([atFull, mul(nearRequests, near?.asConfiguredShare ?? ZERO), mul(pastLimit, hitShare)]);
  const asConfiguredAtto = add(mul(atFull, fullAtto), mul(nearRequests, near?.asConfiguredAtto ?? ZERO));
  const degradedAtto = mul(nearRequests, near?.degradedAtto ?? ZERO);
  const refused = add(mul(nearRequests, near?.refusedShare ?? ZERO), mul(pastLimit, sub(ONE, hitShare)));
  return {
    spendUsd: attoRatioToUsd(add(asConfiguredAtto, degradedAtto)),
    ...(near ? { nearLimitReached: reachedAfter(atFull) } : {}),
    ...(isZero(pastLimit) ? {} : { limitReached: reachedAfter(add(atFull, nearRequests)) }),
    asConfigured: { requests: toNumber(asConfiguredRequests), usd: attoRatioToUsd(asConfiguredAtto) },
    degraded: { requests: toNumber(mul(nearRequests, near?.degradedShare ?? ZERO)), usd: attoRatioToUsd(degradedAtto) },
    refusedRequests: toNumber(refused),
  };
}

/** One request past the near-limit share, by the policy's action, priced per traffic model. */
function nearLimitRequest(inputs: BudgetInputs, policy: NearLimitConfig, notes: string[]): NearLimitRequest {
  const { workload, config } = inputs;
  const hitShare = config.duplicateRate;
  const missShare = sub(ONE, hitShare);
  if (policy.action === 'cacheOnly') {
    return { asConfiguredAtto: ZERO, degradedAtto: ZERO, asConfiguredShare: hitShare, degradedShare: ZERO, refusedShare: missShare };
  }
  // The cost of one request on one traffic model (share 1), the response cache's hits included (they cost nothing).
  const alone = (i: number, entry: PricedShare, changes: Partial<LeverConfig> = {}): Ratio => {
    const pc = config.promptCache;
    return requestCost(workload.tokens, {
      ...config,
      ...changes,
      traffic: [{ ...entry, share: ONE }],
      ...(pc ? { promptCache: { ...pc, writeShares: [pc.writeShares[i]] } } : {}),
    }).total;
  };
  const changed = config.traffic.map((entry, i): Ratio | undefined => {
    switch (policy.action) {
      case 'cheaperTier': {
        // As the pipeline's capRoute: a call routed above the tier goes to the tier's model (the workload routes it).
        const tiers = workload.traffic.map((t) => t.tier);
        const target = tiers.indexOf(policy.tier!);
        return i > target ? alone(i, { ...config.traffic[target], share: entry.share }) : undefined;
      }
      case 'flex': {
        const flex = serviceTierPrice(entry.price, 'flex');
        if (workload.serviceTier.tier === 'flex' || flex === undefined) return undefined;
        return alone(i, { ...entry, onDemandPrice: flex }, { tierMultiplier: ONE });
      }
      default:
        // defer: the scheduled run answers deferred records on demand (lambda/scheduled/deferred-records.ts), never in
        // its batch job, so a deferred call costs what it would have now; it moves to the next day's window.
        return alone(i, entry, { batchShare: ZERO });
    }
  });
  addActionNotes(inputs, policy, changed, notes);
  let asConfiguredAtto = ZERO;
  let degradedAtto = ZERO;
  let degradedTraffic = ZERO;
  config.traffic.forEach((entry, i) => {
    const cost = changed[i];
    if (cost === undefined) {
      asConfiguredAtto = add(asConfiguredAtto, mul(entry.share, alone(i, entry)));
    } else {
      degradedAtto = add(degradedAtto, mul(entry.share, cost));
      degradedTraffic = add(degradedTraffic, entry.share);
    }
  });
  const degradedShare = mul(missShare, degradedTraffic);
  return { asConfiguredAtto, degradedAtto, asConfiguredShare: sub(ONE, degradedShare), degradedShare, refusedShare: ZERO };
}

function addActionNotes(inputs: BudgetInputs, policy: NearLimitConfig, changed: ReadonlyArray<Ratio | undefined>, notes: string[]): void {
  const { workload, config } = inputs;
  const action = `"${policy.action}" (${DEGRADED_ACTION_NAMES[policy.action]})`;
  if (policy.action === 'flex') {
    if (workload.serviceTier.tier === 'flex') {
      notes.push(`The workload already runs on Flex: ${action} changes nothing, so past the share requests cost what they did.`);
      return;
    }
    const without = config.traffic.filter((_, i) => changed[i] === undefined).map((t) => t.price.name);
    if (without.length === config.traffic.length) {
      notes.push(`No routed model has a Flex price in the prices: ${action} degrades nothing, and past the share requests are priced standard (Bedrock serves Flex for some models only).`);
    } else if (without.length > 0) {
      notes.push(`${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} no Flex price in the prices: ${without.length === 1 ? 'its' : 'their'} calls past the share stay standard (not degraded).`);
    }
    notes.push('Flex calls are priced at the catalog\'s Flex input and output prices; AWS publishes no Flex cache prices, so cached tokens are charged the Flex input price.');
  }
  if (policy.action === 'defer') {
    notes.push('Deferred work (a 202 past the share) runs in the next day\'s scheduled run, on demand at the price of the model it was routed to (the scheduled run answers deferred records one by one, never in its batch job, so each is charged to its own tenant), and counts against the same budget: it saves nothing, it moves the work to the next day\'s window. Each deferral is reserved at its upper bound when it is accepted (settled to what it billed when it runs), so deferrals stop up to the bounds of the day\'s deferred work before the budget is spent, earlier than this estimate counts. The scheduled workflow runs it on its own models and service tier. The last day\'s deferrals run in the next month\'s window, counted in this month here.');
  }
  if (policy.action === 'cheaperTier') {
    const tierEntry = config.traffic[workload.traffic.findIndex((t) => t.tier === policy.tier)];
    notes.push(`Past the share, calls routed above ${policy.tier} go to ${tierEntry.price.name}, with the workload's other levers (prompt cache, output cap, batch share) as configured.`);
  }
}

const pct = (share: Ratio): string => `${Math.round(toNumber(share) * 1000) / 10} %`;
