import { FeatureLimits } from '../config';
import { PipelineError } from '../errors';
import { GenAiRequest, TokenEstimate } from '../types';

/**
 * Stage 3 — prompt-size limit: a request estimated above the feature's input limit is rejected with 413 and the
 * numbers, before any model call, so it costs nothing.
 */
export function enforcePromptLimit(estimate: TokenEstimate, limits: FeatureLimits, feature: string): void {
  if (estimate.total <= limits.maxInputTokens) return;
  throw new PipelineError(413, 'PROMPT_TOO_LARGE',
    `The prompt is about ${estimate.total} tokens; feature '${feature}' accepts at most ${limits.maxInputTokens}. Shorten the context or history.`,
    { estimatedInputTokens: estimate.total, maxInputTokens: limits.maxInputTokens, parts: estimate });
}

/** Stage 4 — output cap: the feature's cap, lowered by the caller's hint, never raised. */
export function capOutputTokens(request: GenAiRequest, limits: FeatureLimits): number {
  const asked = request.hints.maxOutputTokens;
  return asked === undefined ? limits.maxOutputTokens : Math.min(asked, limits.maxOutputTokens);
}
