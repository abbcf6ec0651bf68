import type { ModelTier } from './pipeline-config';

/**
 * Degrading before refusing: what a feature does as one of its token or USD limits nears (the `nearLimit` prop of a
 * workflow, `nearLimit` of its {@link FeatureLimits}). Pure: the constructs write it, the pipeline applies it, the
 * estimator prices it.
 */

/**
 * What a feature does near a limit. The one list of actions: the public `NearLimitAction` enum is checked against it
 * at compile time.
 * - `cheaperTier`: route no higher than a cheaper tier (the simple one by default).
 * - `flex`: ask Bedrock's Flex service tier (discounted, slower) where the routed model has a Flex price.
 * - `cacheOnly`: answer from the response cache; a miss is refused (429) without a model call.
 * - `defer`: accept the work as a record for the scheduled workflow (202 with where its result will be), answered in
 *   its next run.
 */
export const NEAR_LIMIT_ACTIONS = Object.freeze(['cheaperTier', 'flex', 'cacheOnly', 'defer'] as const);

/** One near-limit action. */
export type NearLimitActionName = (typeof NEAR_LIMIT_ACTIONS)[number];

/**
 * What happens when the limit itself refuses a call: `degrade` tries the same action (a cheaper tier or Flex may still
 * fit what is left; `cacheOnly` serves hits, as every limit does; `defer` accepts the work), `refuse` answers 429.
 * The public `AtLimit` enum is checked against this list.
 */
export const AT_LIMIT_BEHAVIOURS = Object.freeze(['degrade', 'refuse'] as const);

/** One at-limit behaviour. */
export type AtLimitBehaviour = (typeof AT_LIMIT_BEHAVIOURS)[number];

/** What a policy does at the limit when it names nothing: the limit's 429, as without a policy. */
export const DEFAULT_AT_LIMIT: AtLimitBehaviour = 'refuse';

/** A feature's near-limit policy, as the constructs write it (`FeatureLimits.nearLimit`). */
export interface NearLimitConfig {
  readonly action: NearLimitActionName;
  /**
   * The share of a token or USD limit, used once this call's reservation is counted, from which the action applies
   * (0 < share ≤ 1). Request-rate limits never degrade a call: a cheaper answer is still a request.
   */
  readonly atShare: number;
  /** `cheaperTier`: the highest tier a degraded call is routed to. */
  readonly tier?: ModelTier;
  readonly atLimit: AtLimitBehaviour;
}

/** The share of a limit from which a feature degrades when its policy names none. */
export const DEFAULT_NEAR_LIMIT_SHARE = 0.8;

/** The tier `cheaperTier` routes to when its policy names none. */
export const DEFAULT_NEAR_LIMIT_TIER: ModelTier = 'simple';

/**
 * The response header a degraded answer carries: the action's wire name (`cheaper-tier`, `flex`, `cache-only`,
 * `deferred`), then the limit that caused it (`; limit=tenant/month/costUsd; used=0.83`).
 */
export const DEGRADED_HEADER = 'x-genai-degraded';

/** The wire name of each action, in the header, the record and the metric's `Action` dimension. */
export const DEGRADED_ACTION_NAMES: Readonly<Record<NearLimitActionName, string>> = Object.freeze({
  cheaperTier: 'cheaper-tier',
  flex: 'flex',
  cacheOnly: 'cache-only',
  defer: 'deferred',
});
