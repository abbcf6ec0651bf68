import type { AtLimitBehaviour, NearLimitActionName } from '../../shared/contract';
import type { MatchesContract } from '../private/matches-contract';
import type { RoutingTier } from './genai-workflow-props';

/**
 * What a feature does as one of its token or USD usage limits nears (`nearLimit`): the answer costs less, or waits,
 * instead of being refused once the limit is reached. Request-rate limits never trigger it.
 */
export enum NearLimitAction {
  /** Route no higher than a cheaper tier (`tier`, the simple one by default); fallbacks never go above it. */
  CHEAPER_TIER = 'cheaperTier',
  /** Ask Bedrock's Flex service tier (discounted, slower) where the routed model has a Flex price. */
  FLEX = 'flex',
  /** Answer from the response cache only; a miss is refused (429 `NEAR_LIMIT_CACHE_ONLY`) without a model call. */
  CACHE_ONLY = 'cacheOnly',
  /** Accept the work for the scheduled workflow (202 with where its result will be); only an ApiWorkflow with `deferTo`. */
  DEFER = 'defer',
}
// The runtime and the estimator read the contract's NEAR_LIMIT_ACTIONS: this stops compiling when they and the enum disagree.
const NEAR_LIMIT_ACTION_IS_CONTRACT: MatchesContract<`${NearLimitAction}`, NearLimitActionName> = true;
void NEAR_LIMIT_ACTION_IS_CONTRACT;

/** What happens when the limit itself refuses a call. */
export enum AtLimit {
  /**
   * Try the action there too: a cheaper tier reserves again on the cheaper model's bound (it may fit what a USD limit
   * has left), a cache-only miss is refused as cache-only, a deferral is accepted. Flex reserves at the standard
   * price (Bedrock may serve a Flex request at standard), so it fits nothing more: the 429 stands.
   */
  DEGRADE = 'degrade',
  /** The limit's 429 (`USAGE_LIMIT_EXCEEDED`) stands. */
  REFUSE = 'refuse',
}
const AT_LIMIT_IS_CONTRACT: MatchesContract<`${AtLimit}`, AtLimitBehaviour> = true;
void AT_LIMIT_IS_CONTRACT;

/** A feature's near-limit policy (the workflows' `nearLimit`). */
export interface NearLimitPolicy {
  /** What the feature does near the limit. */
  readonly action: NearLimitAction;
  /**
   * The share of a token or USD limit, used once the call's reservation is counted, from which the action applies
   * (more than 0, at most 1).
   * @default 0.8
   */
  readonly atShare?: number;
  /**
   * With `NearLimitAction.CHEAPER_TIER`: the highest tier a degraded call is routed to; it must be routed and cheaper
   * than the dearest routed tier.
   * @default RoutingTier.SIMPLE
   */
  readonly tier?: RoutingTier;
  /**
   * When the limit itself refuses the call.
   * @default AtLimit.REFUSE
   */
  readonly atLimit?: AtLimit;
}
