import type { ModelTier, SpendPath, UsageScope, UsageWindow } from '../../../shared/contract';

/** Who is spending, on which path: what every guard is told. */
export interface SpendContext {
  readonly requestId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly feature: string;
  readonly path: SpendPath;
  /** Epoch milliseconds of the decision (windows are taken from it). */
  readonly nowMs: number;
  /**
   * Epoch milliseconds (same clock as the guard's) when the caller stops waiting: a guard's confirmations and
   * settlement tries are bounded by it, so a slow store never outlives the function. Absent: no deadline.
   */
  readonly deadlineMs?: number;
  /** The agent run the call belongs to (a caller's label, scoped to the tenant); run limits count only calls with one. */
  readonly runId?: string;
  /** The run's parent, named on the run's first call (the link is kept, immutable, in the ledger). */
  readonly parentRunId?: string;
}

/**
 * An amount of usage: before a call, the most it can use (the input-token upper bound plus the output cap, priced
 * at the dearest price that can apply); after it, what Bedrock billed.
 */
export interface SpendAmount {
  /** Tokens that count against token limits: fresh input, cache writes and output. */
  readonly tokens: number;
  /** Tokens read from the prompt cache; counted apart (they cost a tenth of fresh input). */
  readonly cacheReadTokens: number;
  /** Exact cost in attodollars (1e-18 USD), the pricing core's integer unit. */
  readonly costAtto: bigint;
}

/** Nothing used: what a refused or unbilled call settles to. */
export const NO_SPEND: SpendAmount = Object.freeze({ tokens: 0, cacheReadTokens: 0, costAtto: 0n });

/** Where a request stands against one limit after its reservation: what the API's rate-limit headers show. */
export interface LimitStatus {
  readonly scope: UsageScope;
  readonly window: UsageWindow;
  readonly measure: 'requests' | 'tokens' | 'costUsd';
  readonly limit: number;
  /** What is left in the window after this reservation (at least 0). */
  readonly remaining: number;
  /** When the window ends (ISO 8601). */
  readonly resetsAt: string;
  /** Under a run limit: what the run may still use, the least left on it and on each of its ancestors. */
  readonly run?: RunRemaining;
}

/** A run's remaining budget after a reservation, per measure its limits set (the API's `x-genai-run-remaining-*`). */
export interface RunRemaining {
  readonly runId: string;
  readonly requests?: number;
  readonly tokens?: number;
  readonly costUsd?: number;
}

/**
 * What `admit` may return instead of refusing: let the request through, but route it no higher than `maxTier` (a
 * tripped breaker downgrading a feature). When several guards cap, the lowest cap applies.
 */
export interface AdmitDecision {
  /** The most expensive tier the request may be routed to (and fall back to). */
  readonly maxTier?: ModelTier;
  /** Why, for the route's reasons. */
  readonly reason?: string;
}

/**
 * A guard in the spend path: a circuit breaker, a rate limit, a quota or a budget.
 *
 * - `admit` runs before the response-cache lookup, with no token figures: breakers and request-rate limits. A free
 *   cache hit needs nothing more, so an exhausted token quota never blocks it.
 * - `reserve` runs on a cache miss only, before the model call, with the most the call can use. It refuses by
 *   throwing a `PipelineError` (429 with `retryAfterSeconds` in its details, or 503), and otherwise returns a
 *   token that `settle` gets back.
 * - `settle` runs once the call's outcome is known, with what was billed, and must settle each hold once: a hold
 *   stands for one reservation, and a retried request (Lambda's retry keeps the request id) reserves anew, so its
 *   billed call is settled on its own hold. `idempotencyKey` names the request, for logs; it must not be what
 *   deduplicates, or a throttled attempt's settlement would swallow the billed retry's.
 *
 * Each method is optional: a breaker has only `admit`, a quota only `reserve` and `settle`. `admit` may also return
 * an {@link AdmitDecision} capping the routed tier: the one way a guard changes a request without refusing it.
 */
export interface SpendGuard {
  /** Names the guard in logs and in the reasons of a refusal. */
  readonly name: string;
  /**
   * Whether `reserve` with `admits` true also does the work of `admit` (counts the request) in the same write. The
   * spend port may then skip this guard's `admit` and reserve instead, before it knows whether the response cache
   * answers; on a hit it settles that hold to nothing (the request stays counted, the tokens go back), and when that
   * reservation was refused and the cache answers, it calls `admit` after all, so an exhausted token quota still
   * never blocks a hit.
   */
  readonly admitsWhenReserving?: boolean;
  admit?(context: SpendContext): Promise<AdmitDecision | void>;
  reserve?(context: SpendContext, estimate: SpendAmount, admits?: boolean): Promise<string | undefined>;
  settle?(context: SpendContext, hold: string | undefined, reserved: SpendAmount, actual: SpendAmount, idempotencyKey: string): Promise<void>;
  /** The tightest limit a hold of this guard left, for the rate-limit headers. */
  statusOf?(hold: string): LimitStatus | undefined;
  /**
   * The tightest token or USD limit a hold of this guard left (request-rate limits left out): what a feature's
   * `nearLimit` policy compares with its share.
   */
  spendStatusOf?(hold: string): LimitStatus | undefined;
}
