import { estimatePromptTokens, MAX_PROMPT_CHARS } from './prompt-tokens';

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
 * The same figures the request pipeline's estimate stage gives a prompt of these parts.
 */
export function textPromptTokens(systemPrompt: string | undefined, text: string): TextPromptTokens & { readonly chars: number } {
  const tokens = estimatePromptTokens({ system: systemPrompt, history: [], message: text });
  return { total: tokens.estimate.total, bound: tokens.bound.total, chars: tokens.chars };
}

/**
 * Why a one-message prompt exceeds `maxInputTokens` (the pipeline's PROMPT_TOO_LARGE, with the same numbers), or
 * undefined when it fits. Checked before anything is paid for, on the upper bound and failing closed: a batch job
 * cannot ask CountTokens per record, so a record whose bound is over the limit stays out of the batch even where the
 * on-demand pipeline, which can count, might accept it.
 *
 * @param feature named in the reason, as the pipeline names it. @default - the reason names no feature
 */
export function checkTextPromptLimit(systemPrompt: string | undefined, text: string, maxInputTokens: number, feature?: string): TextPromptRejection | undefined {
  const { total, bound, chars } = textPromptTokens(systemPrompt, text);
  if (chars <= MAX_PROMPT_CHARS && bound <= maxInputTokens) return undefined;
  const who = feature === undefined ? 'this workflow' : `feature '${feature}'`;
  return {
    code: 'PROMPT_TOO_LARGE',
    reason: chars > MAX_PROMPT_CHARS
      ? `The prompt has ${chars} characters; at most ${MAX_PROMPT_CHARS} are sent to a model. Shorten the record.`
      : `The prompt is about ${total} tokens and may be up to ${bound}; ${who} accepts at most ${maxInputTokens}. Shorten the record.`,
    estimatedInputTokens: total,
    maxInputTokens,
  };
}
