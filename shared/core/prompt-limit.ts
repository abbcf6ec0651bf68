import { estimatePromptTokens, floorPromptTokens, MAX_PROMPT_CHARS } from './prompt-tokens';

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

/** What the local bounds can say about a one-message prompt against a limit, before anything is paid for. */
export type TextPromptVerdict =
  /** The upper bound is within the limit. */
  | { readonly verdict: 'fits'; readonly bound: number }
  /** Too many characters, or the lower bound is over the limit: refused whatever a count would say. */
  | { readonly verdict: 'too-large'; readonly rejection: TextPromptRejection }
  /** Between the bounds: only Bedrock's `CountTokens` can tell ({@link countedTextPrompt} then decides). */
  | { readonly verdict: 'count'; readonly bound: number };

/**
 * Where a one-message prompt stands against `maxInputTokens` on the local bounds alone, with the pipeline's rules:
 * within on the upper bound, refused on the character cap or the lower bound (`floorTokens`, stated as "at least"),
 * and otherwise undecided. The central estimate decides nothing: it can be 1.5x the real count.
 *
 * @param feature named in the reason, as the pipeline names it. @default - the reason names no feature
 */
export function classifyTextPrompt(systemPrompt: string | undefined, text: string, maxInputTokens: number, feature?: string): TextPromptVerdict {
  const { total, bound, chars } = textPromptTokens(systemPrompt, text);
  if (chars <= MAX_PROMPT_CHARS && bound <= maxInputTokens) return { verdict: 'fits', bound };
  if (chars > MAX_PROMPT_CHARS) {
    return { verdict: 'too-large', rejection: rejection(`The prompt has ${chars} characters; at most ${MAX_PROMPT_CHARS} are sent to a model.`, total, maxInputTokens) };
  }
  const floor = floorPromptTokens({ system: systemPrompt, history: [], message: text });
  if (floor > maxInputTokens) {
    return { verdict: 'too-large', rejection: rejection(`The prompt is at least ${floor} tokens; ${who(feature)} accepts at most ${maxInputTokens}.`, total, maxInputTokens) };
  }
  return { verdict: 'count', bound };
}

/**
 * The verdict on a prompt between the bounds once Bedrock was asked: undefined when `counted` is within the limit, a
 * rejection stating the count when it is over, and a rejection saying the size could not be confirmed when there is
 * no count (the model cannot be counted, the call failed): fail closed.
 */
export function countedTextPrompt(counted: number | undefined, text: { readonly total: number }, maxInputTokens: number, feature?: string): TextPromptRejection | undefined {
  if (counted === undefined || !Number.isFinite(counted)) {
    return rejection(`The prompt's size could not be confirmed: ${who(feature)} accepts at most ${maxInputTokens} tokens, the local bound `
      + "cannot rule out more, and Bedrock's CountTokens did not count it.", text.total, maxInputTokens);
  }
  if (counted <= maxInputTokens) return undefined;
  return rejection(`The prompt is ${counted} tokens as Bedrock counts them; ${who(feature)} accepts at most ${maxInputTokens}.`, text.total, maxInputTokens);
}

/**
 * Why a one-message prompt exceeds `maxInputTokens` (the pipeline's PROMPT_TOO_LARGE), or undefined when it fits,
 * without asking `CountTokens`: a prompt between the bounds is refused as unconfirmed (fail closed). Callers that can
 * count use {@link classifyTextPrompt} and {@link countedTextPrompt} instead.
 *
 * @param feature named in the reason, as the pipeline names it. @default - the reason names no feature
 */
export function checkTextPromptLimit(systemPrompt: string | undefined, text: string, maxInputTokens: number, feature?: string): TextPromptRejection | undefined {
  const verdict = classifyTextPrompt(systemPrompt, text, maxInputTokens, feature);
  if (verdict.verdict === 'fits') return undefined;
  if (verdict.verdict === 'too-large') return verdict.rejection;
  return countedTextPrompt(undefined, textPromptTokens(systemPrompt, text), maxInputTokens, feature);
}

function who(feature: string | undefined): string {
  return feature === undefined ? 'this workflow' : `feature '${feature}'`;
}

function rejection(what: string, estimatedInputTokens: number, maxInputTokens: number): TextPromptRejection {
  return { code: 'PROMPT_TOO_LARGE', reason: `${what} Shorten the record.`, estimatedInputTokens, maxInputTokens };
}
