import { estimateTokens } from '../../core';
import { GenAiRequest, TokenEstimate } from '../types';

// Converse wraps every message in a few tokens of role markers.
const PER_MESSAGE_OVERHEAD = 4;

/** Stage 2 — estimate the tokens of each part of the prompt, conservatively (over rather than under). */
export function estimateRequestTokens(request: GenAiRequest, systemPrompt: string | undefined): TokenEstimate {
  const system = systemPrompt ? estimateTokens(systemPrompt) : 0;
  const context = request.context ? estimateTokens(request.context) : 0;
  let history = 0;
  for (const turn of request.history) history += estimateTokens(turn.content) + PER_MESSAGE_OVERHEAD;
  const message = estimateTokens(request.message) + PER_MESSAGE_OVERHEAD;
  const parts = { system, context, history, message, total: system + context + history + message };
  return { ...parts, bound: parts };
}
