import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { DEFAULT_AT_LIMIT, DEFAULT_NEAR_LIMIT_SHARE, DEFAULT_NEAR_LIMIT_TIER, MODEL_TIERS, ModelTier, NearLimitConfig } from '../../shared/contract';
import { lookupModel, serviceTiersOf } from '../../shared/core';
import type { BedrockModel } from '../inference';
import { oneOf, PropKinds } from '../private/prop-check';
import type { GenAiWorkflowProps } from './genai-workflow-props';
import { RoutingTier } from './genai-workflow-props';
import { AtLimit, NearLimitAction, NearLimitPolicy } from './near-limit-policy';

/** The keys of {@link NearLimitPolicy} and what each holds (lib/private/prop-check.ts). */
export const NEAR_LIMIT_KINDS = {
  action: oneOf(NearLimitAction, 'NearLimitAction'),
  atShare: 'number',
  tier: oneOf(RoutingTier, 'RoutingTier'),
  atLimit: oneOf(AtLimit, 'AtLimit'),
} as const satisfies PropKinds<NearLimitPolicy>;

/** What the workflow offers a near-limit policy. */
export interface NearLimitContext {
  /** The model of each routed tier. */
  readonly routed: Partial<Record<ModelTier, BedrockModel>>;
  /** Whether the workflow can defer work (an ApiWorkflow with `deferTo`). */
  readonly canDefer: boolean;
  /** Whether the workflow has a response cache (its own, or `responseCache`). */
  readonly hasResponseCache: boolean;
}

/**
 * The `nearLimit` prop checked against the workflow it is given to, and written as the runtime reads it (defaults
 * filled from the contract): undefined without one. Every check that can only fail at run time fails here instead,
 * naming the construct, the value and the fix.
 */
export function checkNearLimit(scope: IConstruct, props: GenAiWorkflowProps, context: NearLimitContext): NearLimitConfig | undefined {
  const policy = props.nearLimit;
  if (policy === undefined) return undefined;
  const where = `${scope.node.path}: nearLimit`;
  const atShare = policy.atShare ?? DEFAULT_NEAR_LIMIT_SHARE;
  if (!Token.isUnresolved(atShare) && !(atShare > 0 && atShare <= 1)) {
    throw new Error(`${where}.atShare is ${atShare}. Fix: use the share of a limit from which to degrade, more than 0 and at most 1 (e.g. 0.8, the default).`);
  }
  if (policy.tier !== undefined && policy.action !== NearLimitAction.CHEAPER_TIER) {
    throw new Error(`${where}.tier is '${policy.tier}', but the action is '${policy.action}'; only NearLimitAction.CHEAPER_TIER routes to a tier. Fix: remove tier, or use NearLimitAction.CHEAPER_TIER.`);
  }
  const spendLimits = (props.usageLimits ?? []).filter((l) => l.maxTokens !== undefined || l.maxCostUsd !== undefined);
  if (spendLimits.length === 0) {
    throw new Error(`${where} is set, but no usageLimits entry has maxTokens or maxCostUsd, so it could never apply (request-rate limits never degrade a call: a cheaper answer is still a request). Fix: add a token or USD limit to usageLimits, or remove nearLimit.`);
  }
  const tier = policy.action === NearLimitAction.CHEAPER_TIER ? checkCheaperTier(where, policy.tier ?? DEFAULT_NEAR_LIMIT_TIER, context.routed) : undefined;
  if (policy.action === NearLimitAction.FLEX) checkFlex(where, context.routed);
  if (policy.action === NearLimitAction.CACHE_ONLY && !context.hasResponseCache) {
    throw new Error(`${where}.action is NearLimitAction.CACHE_ONLY, but this workflow has no response cache, so from the share on every call would miss and be refused (429 NEAR_LIMIT_CACHE_ONLY). Fix: give the workflow a responseCache (a ResponseCacheTable; an ApiWorkflow has one unless responseCaching is false), or use another action (CHEAPER_TIER, FLEX).`);
  }
  if (policy.action === NearLimitAction.DEFER && !context.canDefer) {
    throw new Error(`${where}.action is NearLimitAction.DEFER, but this workflow cannot defer work: only an ApiWorkflow with deferTo (a ScheduledWorkflow that runs the deferred calls) can. Fix: give the ApiWorkflow deferTo, or use another action (CHEAPER_TIER, FLEX, CACHE_ONLY).`);
  }
  return { action: policy.action, atShare, ...(tier ? { tier } : {}), atLimit: policy.atLimit ?? DEFAULT_AT_LIMIT };
}

// The tier must be routed, and cheaper than the dearest routed one: otherwise degrading changes nothing.
function checkCheaperTier(where: string, tier: ModelTier, routed: Partial<Record<ModelTier, BedrockModel>>): ModelTier {
  const model = routed[tier];
  const routedTiers = MODEL_TIERS.filter((t) => routed[t]);
  if (!model) {
    throw new Error(`${where}.tier is '${tier}', but this workflow routes no model to that tier (it routes ${routedTiers.join(', ')}). Fix: use one of those tiers, or route a model to '${tier}'.`);
  }
  const dearestTier = routedTiers[routedTiers.length - 1];
  const dearest = routed[dearestTier]!;
  if (MODEL_TIERS.indexOf(tier) >= MODEL_TIERS.indexOf(dearestTier) || !cheaper(model, dearest)) {
    throw new Error(`${where}.tier is '${tier}' ('${model.modelId}'), which is not cheaper than the dearest routed tier, '${dearestTier}' ('${dearest.modelId}'): degrading to it would save nothing. Fix: use a cheaper routed tier (e.g. RoutingTier.SIMPLE), route a dearer model above it, or use another action.`);
  }
  return tier;
}

// Cheaper by the catalog's output price (the larger part of a call's bound); a model the catalog does not know is
// taken as cheaper when its tier is lower (it is priced at the fallback price, so limits see it as dearer anyway).
function cheaper(model: BedrockModel, than: BedrockModel): boolean {
  if (model === than || model.invocationId === than.invocationId) return false;
  const a = lookupModel(model.invocationId);
  const b = lookupModel(than.invocationId);
  return !(a.known && b.known) || a.price.outputPerMillion + a.price.inputPerMillion < b.price.outputPerMillion + b.price.inputPerMillion;
}

function checkFlex(where: string, routed: Partial<Record<ModelTier, BedrockModel>>): void {
  const models = Object.values(routed).filter((m): m is BedrockModel => m !== undefined);
  const withFlex = models.filter((m) => {
    const found = lookupModel(m.invocationId);
    return found.known && serviceTiersOf(found.price).includes('flex');
  });
  if (withFlex.length === 0) {
    throw new Error(`${where}.action is NearLimitAction.FLEX, but no routed model (${[...new Set(models.map((m) => m.modelId))].join(', ')}) has a Flex price in the catalog, so no call could be degraded. Fix: route a model Bedrock offers in Flex (e.g. amazon.nova-pro-v1:0), or use NearLimitAction.CHEAPER_TIER.`);
  }
}
