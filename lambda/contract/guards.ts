/** The guard chain's configuration: what the constructs write under `guards` and the guards read. */

import type { BreakerConfig } from './breaker';

/** Who a usage limit counts for. */
export type UsageScope = 'user' | 'tenant' | 'feature' | 'workflow';

/** Calendar-aligned windows (UTC): a window resets when the calendar says so, not a fixed time after first use. */
export type UsageWindow = 'minute' | 'hour' | 'day' | 'month';

/** One limit: requests, tokens (fresh input + output + cache writes; cache reads count apart) and/or USD per window. */
export interface UsageLimitConfig {
  readonly scope: UsageScope;
  readonly window: UsageWindow;
  readonly maxRequests?: number;
  readonly maxTokens?: number;
  readonly maxCostUsd?: number;
}

/** Where usage limits are counted. */
export type UsageStore = 'container';

/** The guard chain every spend path passes: admit before the cache lookup, reserve and settle around a model call. */
export interface GuardsConfig {
  /** Limits, checked in order; all of them must have room for a call to be reserved. */
  readonly usageLimits: ReadonlyArray<UsageLimitConfig>;
  /**
   * `container`: counted in the Lambda container's memory. It holds exactly within one container and bounds the
   * whole workflow at (containers × limit): pair it with reserved concurrency. A shared ledger comes with the
   * guardrails constructs.
   */
  readonly store: UsageStore;
  /**
   * The circuit breaker (CircuitBreaker construct): read at `admit`, before the cache lookup; a tripped breaker
   * pauses (503) or downgrades non-critical features. Absent: no breaker.
   */
  readonly breaker?: BreakerConfig;
}

