import { classifyComplexity, ComplexityDecision, MODEL_TIERS, ModelTier } from '../../../shared/core';
import { PipelineConfig } from '../config';
import { GenAiRequest, RouteDecision } from '../types';

/**
 * Stage — route by complexity to the configured tiers: the rule-based classifier decides, and a caller's hint may
 * lower that tier; it may raise it only up to the feature's `maxHintedTier` (by default not at all), so no caller
 * can send a one-line question to the dearest model. When the chosen tier has no model, the nearest cheaper
 * configured tier is used, else the nearest more expensive one.
 *
 * @param messageTokens the upper bound of the message's tokens (routing by length must not be fooled by dense text)
 */
export function routeModel(request: GenAiRequest, config: PipelineConfig, messageTokens: number): RouteDecision {
  const configured = MODEL_TIERS.filter((t) => config.tiers[t]);
  if (configured.length === 1) {
    const only = configured[0];
    return { tier: only, ...config.tiers[only]!, reasons: ['single model configured'] };
  }
  const decision = applyHint(classifyComplexity({ message: request.message, messageTokens }), request.hints.complexity, config.features[request.feature]?.maxHintedTier);
  const tier = nearestConfigured(decision.tier, configured);
  const reasons = tier === decision.tier ? decision.reasons : [...decision.reasons, `tier ${decision.tier} not configured, using ${tier}`];
  return { tier, ...config.tiers[tier]!, reasons };
}

/** A hint lowers the classifier's tier freely; it raises it no higher than `maxHintedTier`. */
export function applyHint(decision: ComplexityDecision, hint: ModelTier | undefined, maxHintedTier: ModelTier | undefined): ComplexityDecision {
  if (hint === undefined || hint === decision.tier) return decision;
  const rank = (t: ModelTier) => MODEL_TIERS.indexOf(t);
  if (rank(hint) < rank(decision.tier)) return { tier: hint, reasons: [...decision.reasons, `hint: caller asked for the cheaper ${hint} tier`] };
  const ceiling = maxHintedTier !== undefined && rank(maxHintedTier) > rank(decision.tier) ? maxHintedTier : decision.tier;
  const tier = rank(hint) <= rank(ceiling) ? hint : ceiling;
  if (tier === decision.tier) {
    return { tier, reasons: [...decision.reasons, `hint ${hint} ignored: this feature lets hints raise the tier ${maxHintedTier ? `up to ${maxHintedTier}` : 'not at all'}`] };
  }
  return { tier, reasons: [...decision.reasons, `hint: caller asked for the ${hint} tier${tier !== hint ? `, capped at ${tier}` : ''}`] };
}

/** The tiers to fall back to after `tier` fails, cheapest-first among those below, then (if allowed) above. */
export function fallbackTiers(tier: ModelTier, config: PipelineConfig): ModelTier[] {
  const index = MODEL_TIERS.indexOf(tier);
  const cheaper = MODEL_TIERS.slice(0, index).reverse().filter((t) => config.tiers[t]);
  const dearer = config.retry.fallbackUpward ? MODEL_TIERS.slice(index + 1).filter((t) => config.tiers[t]) : [];
  return [...cheaper, ...dearer];
}

function nearestConfigured(tier: ModelTier, configured: ModelTier[]): ModelTier {
  if (configured.includes(tier)) return tier;
  const index = MODEL_TIERS.indexOf(tier);
  const cheaper = configured.filter((t) => MODEL_TIERS.indexOf(t) < index);
  if (cheaper.length > 0) return cheaper[cheaper.length - 1];
  return configured[0];
}

/**
 * A route capped at `maxTier` (a guard's admit decision, e.g. a tripped breaker downgrading the feature): the
 * routed tier when it is no dearer, else the nearest configured tier at or below the cap (the cheapest configured
 * one if none is). Unchanged without a cap.
 */
export function capRoute(route: RouteDecision, maxTier: ModelTier | undefined, config: PipelineConfig, reason?: string): RouteDecision {
  if (maxTier === undefined || MODEL_TIERS.indexOf(route.tier) <= MODEL_TIERS.indexOf(maxTier)) return route;
  const configured = MODEL_TIERS.filter((t) => config.tiers[t]);
  const tier = nearestConfigured(maxTier, configured);
  if (MODEL_TIERS.indexOf(tier) >= MODEL_TIERS.indexOf(route.tier)) return route;
  return { tier, ...config.tiers[tier]!, reasons: [...route.reasons, `capped at ${tier}${reason ? ` (${reason})` : ''}`] };
}
