import { MAX_PROMPT_CHARS } from '../../core';
import { FeatureLimits } from '../config';
import { PipelineError } from '../errors';
import { GenAiRequest, TokenEstimate } from '../types';

/** Asks Bedrock for the exact input tokens of the prompt; undefined when it cannot say (see `countTokensFor`). */
export type CountPromptTokens = () => Promise<number | undefined>;

/**
 * Stage 3 — prompt-size limit, decided before any model call so a rejection costs nothing. In order:
 *
 * 1. more than `MAX_PROMPT_CHARS` characters: 413, whatever the tokens;
 * 2. the upper bound within the limit: passes, nothing asked (the usual case);
 * 3. the central estimate above the limit: 413, nothing asked (the real count is at least about that);
 * 4. in between, where the bound says "maybe": Bedrock's `CountTokens` (free) decides, if `countTokens` is given.
 *    A count within the limit passes; above it, 413. When there is no counter, it throws, or it cannot count this
 *    model (undefined), the check fails closed: 413 on the bound, and the message says the bound was used.
 *
 * @returns the counted input tokens when `CountTokens` was asked and the prompt passed, else undefined.
 */
export async function checkPromptLimit(
  estimate: TokenEstimate,
  limits: FeatureLimits,
  feature: string,
  countTokens?: CountPromptTokens,
): Promise<number | undefined> {
  if (withinWithoutCounting(estimate, limits, feature)) return undefined;
  let counted: number | undefined;
  if (countTokens) {
    try {
      counted = await countTokens();
    } catch {
      counted = undefined; // fail closed below: an unavailable counter never lets an unproven prompt through
    }
  }
  if (counted === undefined || !Number.isFinite(counted)) throw overBound(estimate, limits, feature);
  if (counted <= limits.maxInputTokens) return counted;
  throw tooLarge(`The prompt is ${counted} tokens as Bedrock counts them`, estimate, limits, feature, 'count', { countedInputTokens: counted });
}

/**
 * The same limit without `CountTokens`, for callers that cannot wait on Bedrock: a prompt whose bound is above the
 * limit is rejected even when the estimate is within it (fail closed).
 */
export function enforcePromptLimit(estimate: TokenEstimate, limits: FeatureLimits, feature: string): void {
  if (!withinWithoutCounting(estimate, limits, feature)) throw overBound(estimate, limits, feature);
}

/** Steps 1-3: true when the bound passes, throws when the size or the estimate rejects, false when only a count can tell. */
function withinWithoutCounting(estimate: TokenEstimate, limits: FeatureLimits, feature: string): boolean {
  if (estimate.chars > MAX_PROMPT_CHARS) {
    throw new PipelineError(413, 'PROMPT_TOO_LARGE',
      `The prompt is ${estimate.chars} characters; requests accept at most ${MAX_PROMPT_CHARS}. Shorten the context or history.`,
      { measure: 'characters', characters: estimate.chars, maxCharacters: MAX_PROMPT_CHARS, feature });
  }
  if (estimate.bound.total <= limits.maxInputTokens) return true;
  if (estimate.total > limits.maxInputTokens) throw tooLarge(`The prompt is about ${estimate.total} tokens`, estimate, limits, feature, 'estimate');
  return false;
}

function overBound(estimate: TokenEstimate, limits: FeatureLimits, feature: string): PipelineError {
  return tooLarge(`The prompt may be up to ${estimate.bound.total} tokens (about ${estimate.total} by estimate) and could not be counted exactly, so its upper bound was used`,
    estimate, limits, feature, 'bound');
}

function tooLarge(what: string, estimate: TokenEstimate, limits: FeatureLimits, feature: string, measure: string, extra: Record<string, unknown> = {}): PipelineError {
  return new PipelineError(413, 'PROMPT_TOO_LARGE',
    `${what}; feature '${feature}' accepts at most ${limits.maxInputTokens}. Shorten the context or history.`,
    {
      measure,
      estimatedInputTokens: estimate.total,
      boundInputTokens: estimate.bound.total,
      ...extra,
      maxInputTokens: limits.maxInputTokens,
      parts: estimate,
    });
}

/** Stage 4 — output cap: the feature's cap, lowered by the caller's hint, never raised. */
export function capOutputTokens(request: GenAiRequest, limits: FeatureLimits): number {
  const asked = request.hints.maxOutputTokens;
  return asked === undefined ? limits.maxOutputTokens : Math.min(asked, limits.maxOutputTokens);
}
