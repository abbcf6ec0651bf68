import { estimatePromptTokens, floorPromptTokens } from '../../../shared/core';
import { GenAiRequest, TokenEstimate } from '../types';

/**
 * Tokens allowed in the bound for the tags the prompt stage wraps the context in (`buildPrompt`): about 15 tokens
 * of text and two joins. A test bounds the wrapper `buildPrompt` really writes against this allowance.
 */
export const CONTEXT_FRAMING_BOUND = 32;

/**
 * Stage 2 — estimate the tokens of each part of the prompt (central figure) and bound them (never below the real
 * count). A thin adapter from the request to `estimatePromptTokens`.
 */
export function estimateRequestTokens(request: GenAiRequest, systemPrompt: string | undefined): TokenEstimate {
  const { estimate, bound, chars } = estimatePromptTokens({
    system: systemPrompt,
    context: request.context,
    history: request.history.map((turn) => turn.content),
    message: request.message,
  });
  if (!request.context) return { ...estimate, bound, chars };
  const context = bound.context + CONTEXT_FRAMING_BOUND;
  return { ...estimate, bound: { ...bound, context, total: bound.total + CONTEXT_FRAMING_BOUND }, chars };
}

/** A lower bound on the request's input tokens, for refusing without `CountTokens` (see `checkPromptLimit`). */
export function floorRequestTokens(request: GenAiRequest, systemPrompt: string | undefined): number {
  return floorPromptTokens({
    system: systemPrompt,
    context: request.context,
    history: request.history.map((turn) => turn.content),
    message: request.message,
  });
}
