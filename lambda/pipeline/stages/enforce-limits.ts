import { MAX_PROMPT_CHARS } from '../../../shared/core';
import { FeatureLimits } from '../config';
import { PipelineError } from '../errors';
import { GenAiRequest, TokenEstimate } from '../types';
import { TokenCount } from './count-tokens';

/**
 * Asks Bedrock for the exact input tokens of the prompt (see `countTokensFor`). A bare number is a count and
 * undefined is "cannot count this model", for counters that do not tell the cases apart.
 */
export type CountPromptTokens = () => Promise<TokenCount | number | undefined>;

/** How long a caller is told to wait after CountTokens was unavailable: Bedrock's throttling clears in seconds. */
export const COUNT_UNAVAILABLE_RETRY_SECONDS = 2;

/** How the prompt-limit check may learn more than the estimate's upper bound, each only asked when needed. */
export interface PromptSizeProbes {
  /** A lower bound on the prompt's real count (`floorPromptTokens`); without it, nothing is refused uncounted. */
  readonly floor?: () => number;
  /** Bedrock's `CountTokens` for the routed model; without it, a prompt between the bounds is refused (fail closed). */
  readonly count?: CountPromptTokens;
}

/**
 * Stage 3 — prompt-size limit, decided before any model call so a rejection costs nothing. In order:
 *
 * 1. more than `MAX_PROMPT_CHARS` characters: 413, whatever the tokens;
 * 2. the upper bound within the limit: passes, nothing asked (the usual case);
 * 3. the lower bound (`floor`) above the limit: 413, nothing asked; the only local figure that proves a prompt too
 *    large (the central estimate does not: it is up to 1.5× the real count on prose, and the upper bound 1.4-3.2×);
 * 4. between the bounds: Bedrock's `CountTokens` for the routed model (free, one round trip) decides. A count within
 *    the limit passes; above it, 413. When there is no counter or it cannot count this model (`unsupported`: no
 *    token counting for it, not allowed), the check fails closed: 413 saying the size could not be confirmed. When
 *    Bedrock could not answer now (`unavailable`: throttled, 5xx, a timeout) or the counter throws, 503 with
 *    `retryAfterSeconds`: nothing was charged, and the same prompt may pass in seconds, so it is not told to shrink.
 *    Never a size taken from a bound or estimate: a message states only the count, or a lower bound as "at least".
 *
 * @returns the counted input tokens when `CountTokens` was asked and the prompt passed, else undefined.
 */
export async function checkPromptLimit(
  estimate: TokenEstimate,
  limits: FeatureLimits,
  feature: string,
  probes: PromptSizeProbes = {},
): Promise<number | undefined> {
  if (withinWithoutCounting(estimate, limits, feature, probes.floor)) return undefined;
  if (!probes.count) throw unconfirmed(estimate, limits, feature);
  const count = await askCounter(probes.count);
  // Fail closed either way: an unavailable counter never lets an unproven prompt through.
  if (count.kind === 'unavailable') throw countUnavailable(count.reason, limits, feature);
  if (count.kind === 'unsupported') throw unconfirmed(estimate, limits, feature);
  const counted = count.inputTokens;
  if (counted <= limits.maxInputTokens) return counted;
  throw tooLarge(`The prompt is ${counted} tokens as Bedrock counts them`, estimate, limits, feature, 'count', { countedInputTokens: counted });
}

/**
 * The same limit without `CountTokens`, for callers that cannot wait on Bedrock: a prompt between the bounds is
 * refused as unconfirmed (fail closed).
 */
export function enforcePromptLimit(estimate: TokenEstimate, limits: FeatureLimits, feature: string, floor?: () => number): void {
  if (!withinWithoutCounting(estimate, limits, feature, floor)) throw unconfirmed(estimate, limits, feature);
}

/** Steps 1-3: true when the bound passes, throws when the size or the floor rejects, false when only a count can tell. */
function withinWithoutCounting(estimate: TokenEstimate, limits: FeatureLimits, feature: string, floor: (() => number) | undefined): boolean {
  if (estimate.chars > MAX_PROMPT_CHARS) {
    throw new PipelineError(413, 'PROMPT_TOO_LARGE',
      `The prompt is ${estimate.chars} characters; requests accept at most ${MAX_PROMPT_CHARS}. Shorten the context or history.`,
      { measure: 'characters', characters: estimate.chars, maxCharacters: MAX_PROMPT_CHARS, feature });
  }
  if (estimate.bound.total <= limits.maxInputTokens) return true;
  // Computed only here, past the bound: most prompts never pay for the second pass over their text.
  const lowerBound = floor?.() ?? 0;
  if (lowerBound > limits.maxInputTokens) {
    throw tooLarge(`The prompt is at least ${lowerBound} tokens`, estimate, limits, feature, 'floor', { floorInputTokens: lowerBound });
  }
  return false;
}

/** The counter's answer as a {@link TokenCount}; a counter that throws is taken as unavailable (it may be a blip). */
export async function askCounter(count: CountPromptTokens): Promise<TokenCount> {
  let answer: TokenCount | number | undefined;
  try {
    answer = await count();
  } catch (error) {
    return { kind: 'unavailable', reason: String(error) };
  }
  if (answer === undefined) return { kind: 'unsupported', reason: 'no count' };
  if (typeof answer === 'number') return Number.isFinite(answer) && answer >= 0 ? { kind: 'counted', inputTokens: answer } : { kind: 'unsupported', reason: `not a count: ${answer}` };
  return answer;
}

/** 503: Bedrock's CountTokens could not answer now; nothing was charged, and a retry may pass. */
export function countUnavailable(reason: string, limits: FeatureLimits, feature: string): PipelineError {
  return new PipelineError(503, 'TOKEN_COUNT_UNAVAILABLE',
    `The prompt's size must be counted by Bedrock (feature '${feature}' accepts at most ${limits.maxInputTokens} tokens, `
      + `and the local bound cannot rule out more), and CountTokens did not answer (${reason}). Nothing was charged. `
      + `Retry after ${COUNT_UNAVAILABLE_RETRY_SECONDS} s.`,
    { measure: 'unavailable', maxInputTokens: limits.maxInputTokens, retryAfterSeconds: COUNT_UNAVAILABLE_RETRY_SECONDS, charged: false });
}

function unconfirmed(estimate: TokenEstimate, limits: FeatureLimits, feature: string): PipelineError {
  return new PipelineError(413, 'PROMPT_TOO_LARGE',
    `The prompt's size could not be confirmed: feature '${feature}' accepts at most ${limits.maxInputTokens} tokens, `
      + "the local bound cannot rule out more, and Bedrock's CountTokens does not count it for the routed model "
      + '(not supported for this model, or not allowed). Shorten the context or history.',
    {
      measure: 'unconfirmed',
      estimatedInputTokens: estimate.total,
      boundInputTokens: estimate.bound.total,
      maxInputTokens: limits.maxInputTokens,
      parts: estimate,
    });
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
