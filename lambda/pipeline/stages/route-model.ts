import { classifyComplexity, MODEL_TIERS, ModelTier } from '../../core';
import { PipelineConfig } from '../config';
import { GenAiRequest, RouteDecision } from '../types';

/**
 * Stage 6 — route by complexity to the configured tiers. A hint wins, then the rule-based classifier. When the
 * chosen tier has no model, the nearest cheaper configured tier is used, else the nearest more expensive one.
 */
export function routeModel(request: GenAiRequest, config: PipelineConfig, messageTokens: number): RouteDecision {
  const configured = MODEL_TIERS.filter((t) => config.tiers[t]);
  if (configured.length === 1) {
    const only = configured[0];
    return { tier: only, ...config.tiers[only]!, reasons: ['single model configured'] };
  }
  const decision = classifyComplexity({ message: request.message, hint: request.hints.complexity, messageTokens });
  const tier = nearestConfigured(decision.tier, configured);
  const reasons = tier === decision.tier ? decision.reasons : [...decision.reasons, `tier ${decision.tier} not configured, using ${tier}`];
  return { tier, ...config.tiers[tier]!, reasons };
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
