import { GenAiRequest, RouteDecision, Usage } from '../types';

/** What a guard is told before the model call: the routed model and the output cap are known by then. */
export interface GuardCheck {
  readonly request: GenAiRequest;
  readonly route: RouteDecision;
  readonly estimatedInputTokens: number;
  readonly maxOutputTokens: number;
}

/** What was really used, to settle a reservation. A response-cache hit settles with zero tokens. */
export interface GuardSettlement {
  readonly usage: Usage;
  readonly costUsd: number;
  readonly cacheHit: boolean;
}

/** A reservation taken before the call; settled (or released on failure) after it. */
export interface GuardReservation {
  settle(settlement: GuardSettlement): Promise<void>;
  release(): Promise<void>;
}

/**
 * Stage 5 — the place for circuit breakers, rate limits and quotas: `reserve` may throw a PipelineError (429, 503)
 * to refuse the request before any tokens are spent.
 */
export interface RequestGuard {
  reserve(check: GuardCheck): Promise<GuardReservation>;
}

const NOTHING_RESERVED: GuardReservation = { settle: async () => undefined, release: async () => undefined };

/** No breaker, no quota: every request passes. */
export const OPEN_GUARD: RequestGuard = { reserve: async () => NOTHING_RESERVED };
