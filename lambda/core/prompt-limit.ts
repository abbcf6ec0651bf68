import { estimateTokens } from './token-estimate';

// Converse (and the native formats batch records are written in) wrap every message in a few tokens of role
// markers; the same overhead the pipeline's estimate adds to a message.
const PER_MESSAGE_OVERHEAD = 4;

/** Token figures of a prompt made of instructions and one text: the central estimate and an upper bound. */
export interface TextPromptTokens {
  /** The central estimate (for display and cost prediction). */
  readonly total: number;
  /** At least the true count: what limits and reservations use. */
  readonly bound: number;
}

/** A text refused because its prompt would exceed the input limit, with the code the pipeline gives. */
export interface TextPromptRejection {
  readonly code: 'PROMPT_TOO_LARGE';
  readonly reason: string;
  readonly estimatedInputTokens: number;
  readonly maxInputTokens: number;
}

/**
 * The tokens of a one-message prompt: the instructions (system prompt) and the text, for callers that have no
 * request to estimate (a batch record is written straight into the model's native format).
 *
 * The bound is the central estimate for now, exactly as the request pipeline's estimate stage gives it today, so a
 * record is accepted for batch exactly when the pipeline would accept it on demand.
 */
export function textPromptTokens(systemPrompt: string | undefined, text: string): TextPromptTokens {
  const system = systemPrompt ? estimateTokens(systemPrompt) : 0;
  const total = system + estimateTokens(text) + PER_MESSAGE_OVERHEAD;
  return { total, bound: total };
}

/**
 * Why a one-message prompt exceeds `maxInputTokens` (the pipeline's PROMPT_TOO_LARGE, with the same numbers), or
 * undefined when it fits. Checked before anything is paid for.
 *
 * @param feature named in the reason, as the pipeline names it. @default - the reason names no feature
 */
export function checkTextPromptLimit(systemPrompt: string | undefined, text: string, maxInputTokens: number, feature?: string): TextPromptRejection | undefined {
  const { total } = textPromptTokens(systemPrompt, text);
  if (total <= maxInputTokens) return undefined;
  const who = feature === undefined ? 'this workflow' : `feature '${feature}'`;
  return {
    code: 'PROMPT_TOO_LARGE',
    reason: `The prompt is about ${total} tokens; ${who} accepts at most ${maxInputTokens}. Shorten the record.`,
    estimatedInputTokens: total,
    maxInputTokens,
  };
}
