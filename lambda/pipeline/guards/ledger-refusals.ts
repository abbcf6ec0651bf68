import type { UsageLimitConfig } from '../../../shared/contract';
import { PipelineError } from '../errors';
import { limitExceeded } from './container-usage-guard';
import { attoAttribute, CounterShare, Item, numberAttribute } from './ledger-expressions';
import { bucketEndMs } from './ledger-hold';
import type { CounterGroup } from './ledger-limits';
import type { LimitStatus, SpendAmount, SpendContext } from './spend-guard';
import { windowOf } from './usage-windows';

/** What the ledger tells a caller: a refusal true to what may stay counted, and the limit status of a reservation. */

/** A reservation write whose outcome could not be confirmed undone: what it may have left counted. */
export interface UnconfirmedWrite {
  readonly group: CounterGroup;
  readonly key: string;
  readonly expiresAt: number;
  readonly counted: Counted;
  /** A container allowance's grant: its amounts are not held in its bucket's sums (see `withdrawUpdate`). */
  readonly allowance?: boolean;
}

/** What a group's update added: the request, and the reservation's amounts when it reserved spend. */
export interface Counted {
  readonly requests: number;
  readonly spend: boolean;
  readonly tokens: number;
  readonly costAtto: bigint;
}

/** A counter a reservation wrote, with the item it returned (for the limit status). */
export interface CounterSeen {
  readonly group: CounterGroup;
  readonly item?: Item;
  readonly share?: CounterShare;
}

/**
 * The 429 of a counter that refused, with the shard's usage scaled to the whole limit (exact when the limit is not
 * sharded): whole requests and tokens, dollars to the micro-dollar (never rounded to a whole dollar).
 */
export function limitRefusal(
  group: CounterGroup, context: SpendContext, countRequest: boolean, estimate: SpendAmount | undefined,
  seen: { readonly item: Item | undefined; readonly share: CounterShare }, endsAtMs: number,
): PipelineError {
  const error = counterRefusal(group, context, countRequest, estimate, seen, endsAtMs);
  if (group.runId === undefined) return error;
  // A run's refusal names the run whose budget is spent: the request's own, or an ancestor's.
  return new PipelineError(error.status, error.code, `Run ${JSON.stringify(group.runId)}: ${error.message}`, { ...error.details, runId: group.runId });
}

function counterRefusal(
  group: CounterGroup, context: SpendContext, countRequest: boolean, estimate: SpendAmount | undefined,
  seen: { readonly item: Item | undefined; readonly share: CounterShare }, endsAtMs: number,
): PipelineError {
  const { item, share } = seen;
  const limit: Pick<UsageLimitConfig, 'scope' | 'window'> = { scope: group.scope, window: group.window };
  const scaled = (used: number, part: number, whole: number, unit = 1) => (part > 0 ? Math.min(whole, Math.round((used * whole * unit) / part) / unit) : whole);
  if (countRequest && share.requests !== undefined && (numberAttribute(item?.requests) + 1 > share.requests)) {
    return limitExceeded(limit, 'requests', scaled(numberAttribute(item?.requests), share.requests, group.maxRequests!), group.maxRequests!, endsAtMs, context.nowMs);
  }
  if (estimate && share.tokens !== undefined && numberAttribute(item?.tokens) + estimate.tokens > share.tokens) {
    return limitExceeded(limit, 'tokens', scaled(numberAttribute(item?.tokens), share.tokens, group.maxTokens!), group.maxTokens!, endsAtMs, context.nowMs, estimate.tokens);
  }
  const usedAtto = attoAttribute(item?.costAtto);
  const costShare = Number(share.costAtto ?? 0n) / 1e18;
  return limitExceeded(limit, 'costUsd', scaled(Number(usedAtto) / 1e18, costShare, group.maxCostUsd ?? 0, 1e6), group.maxCostUsd ?? 0, endsAtMs, context.nowMs, Number(estimate?.costAtto ?? 0n) / 1e18);
}

/** The 503 of a fail-closed group, true to what may stay counted (see {@link whatMayStayCounted}). */
export function ledgerUnavailable(group: CounterGroup, unconfirmed: ReadonlyArray<UnconfirmedWrite>, bucket: string): PipelineError {
  const parts = whatMayStayCounted(unconfirmed, bucket);
  const given = parts.length === 0 ? 'nothing was charged' : `nothing was billed, but ${parts.join('; and ')}`;
  return new PipelineError(503, 'USAGE_LEDGER_UNAVAILABLE',
    `The usage ledger cannot be reached, and the ${group.scope} limit per ${group.window} fails closed; ${given}. Retry in a few seconds.`,
    { scope: group.scope, window: group.window, retryAfterSeconds: 5, charged: parts.length > 0 });
}

/** A 429 whose other writes could not all be confirmed withdrawn says so, as the 503 does (`charged: true`). */
export function withWhatMayStayCounted(error: PipelineError, unconfirmed: ReadonlyArray<UnconfirmedWrite>, bucket: string): PipelineError {
  const parts = whatMayStayCounted(unconfirmed, bucket);
  if (parts.length === 0) return error;
  return new PipelineError(error.status, error.code, `${error.message} Nothing was billed, but ${parts.join('; and ')}.`, { ...error.details, charged: true });
}

/**
 * What a refused request may leave counted, as phrases: nothing; a reservation's tokens and cost until its expiry
 * bucket ends (then swept back); a request counted on a request limit, which nothing gives back in its window.
 */
function whatMayStayCounted(unconfirmed: ReadonlyArray<UnconfirmedWrite>, bucket: string): string[] {
  const parts: string[] = [];
  if (unconfirmed.some((u) => u.counted.spend)) {
    parts.push(`a reservation the ledger may have recorded could not be confirmed withdrawn; its tokens and cost are given back once it expires (${new Date(bucketEndMs(bucket)).toISOString()})`);
  }
  const requests = unconfirmed.filter((u) => u.counted.requests > 0);
  if (requests.length > 0) {
    const windows = [...new Set(requests.map((u) => `${u.group.scope} limit per ${u.group.window}`))].join(', ');
    parts.push(`this request may stay counted as one request in this window of the ${windows}`);
  }
  return parts;
}

/** The tightest limit the reserved counters left, from the items the updates returned. */
export function tightestLimit(counters: ReadonlyArray<CounterSeen>, nowMs: number, measures: ReadonlyArray<LimitStatus['measure']> = ALL_MEASURES): LimitStatus | undefined {
  let best: LimitStatus | undefined;
  let bestShare = Infinity;
  for (const { group, item, share } of counters) {
    if (!item || !share) continue;
    const resetsAt = new Date(windowOf(group.window, nowMs).endsAtMs).toISOString();
    const candidates: Array<[LimitStatus['measure'], number | undefined, number | undefined, number]> = [
      ['requests', group.maxRequests, share.requests, numberAttribute(item.requests)],
      ['tokens', group.maxTokens, share.tokens, numberAttribute(item.tokens)],
      ['costUsd', group.maxCostUsd, share.costAtto !== undefined ? Number(share.costAtto) / 1e18 : undefined, Number(attoAttribute(item.costAtto)) / 1e18],
    ];
    for (const [measure, limit, part, used] of candidates) {
      if (limit === undefined || part === undefined || !measures.includes(measure)) continue;
      // A sharded limit shows this shard's room, scaled to the whole: an estimate.
      const left = Math.max(0, part - used) * group.shards;
      // Dollars stay exact (the ledger's attodollars as a number): a settlement adds what it gave back to them, and
      // only the presentation (the headers, the page) rounds, once.
      const remaining = measure === 'costUsd' ? Math.min(limit, left) : Math.min(limit, Math.floor(left));
      const fraction = limit > 0 ? remaining / limit : 0;
      if (fraction < bestShare) {
        bestShare = fraction;
        best = { scope: group.scope, window: group.window, measure, limit, remaining, resetsAt };
      }
    }
  }
  return best;
}

const ALL_MEASURES: ReadonlyArray<LimitStatus['measure']> = ['requests', 'tokens', 'costUsd'];
