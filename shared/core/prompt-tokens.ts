import { createHash } from 'node:crypto';
import { boundTokens as computeBound } from './token-bound';
import { floorTokens } from './token-floor';
import { estimateTokens } from './token-estimate';

/**
 * The most UTF-16 code units one request's prompt may hold, whatever its token count: checked before any token
 * figure, so that no text is too large to bound quickly. One million characters is above what any Claude context
 * window takes in English (about 250K tokens) and, at most 3 UTF-8 bytes per code unit, stays under Lambda's 6 MB
 * synchronous payload.
 */
export const MAX_PROMPT_CHARS = 1_000_000;

/** Tokens of role markers Converse adds around each message, in the central estimate. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/**
 * Tokens allowed for the role markers around each message in the bound: twice the central figure, because the
 * template a model wraps turns in is not published; `CountTokens` near the limit measures it exactly.
 */
export const MESSAGE_OVERHEAD_BOUND = 8;

/** The text of a prompt, by part, as a caller has it (no request object needed). */
export interface PromptText {
  readonly system?: string;
  /** Retrieved documents, sent after the system prompt. */
  readonly context?: string;
  /** The contents of the earlier turns, oldest first. */
  readonly history: ReadonlyArray<string>;
  readonly message: string;
}

/** Tokens per part of a prompt; `total` is their sum. History and message include their role markers. */
export interface PromptTokenParts {
  readonly system: number;
  readonly context: number;
  readonly history: number;
  readonly message: number;
  readonly total: number;
}

/** The central estimate and the upper bound of a prompt, by part, and its length. */
export interface PromptTokens {
  /** Central estimate ({@link estimateTokens}): for display, routing and cost prediction. */
  readonly estimate: PromptTokenParts;
  /** Upper bound ({@link boundTokens}): never below the real count; for limits. */
  readonly bound: PromptTokenParts;
  /** UTF-16 code units of all parts, for {@link MAX_PROMPT_CHARS}. */
  readonly chars: number;
}

/**
 * Estimates and bounds every part of a prompt in one call. The pipeline's estimate stage wraps it; callers without a
 * request (the batch planner) use it directly.
 */
export function estimatePromptTokens(prompt: PromptText): PromptTokens {
  const boundTokens = rememberedBound;
  const system = prompt.system ?? '';
  const context = prompt.context ?? '';
  let chars = system.length + context.length + prompt.message.length;
  let historyEstimate = 0;
  let historyBound = 0;
  for (const turn of prompt.history) {
    chars += turn.length;
    historyEstimate += estimateTokens(turn) + MESSAGE_OVERHEAD_TOKENS;
    historyBound += boundTokens(turn) + MESSAGE_OVERHEAD_BOUND;
  }
  const estimate = parts(estimateTokens(system), estimateTokens(context), historyEstimate, estimateTokens(prompt.message) + MESSAGE_OVERHEAD_TOKENS);
  const bound = parts(boundTokens(system), boundTokens(context), historyBound, boundTokens(prompt.message) + MESSAGE_OVERHEAD_BOUND);
  return { estimate, bound, chars };
}

/**
 * A lower bound on the input tokens of a prompt: the sum of its parts' floors ({@link floorTokens}). Each part is a
 * content block of its own, so no token spans two parts, and role markers only add tokens. Not remembered like the
 * bound: it is computed only for prompts whose bound is over a limit.
 */
export function floorPromptTokens(prompt: PromptText): number {
  let floor = floorTokens(prompt.system ?? '') + floorTokens(prompt.context ?? '') + floorTokens(prompt.message);
  for (const turn of prompt.history) floor += floorTokens(turn);
  return floor;
}

function parts(system: number, context: number, history: number, message: number): PromptTokenParts {
  return { system, context, history, message, total: system + context + history + message };
}

// The bound of a long text costs about 10 µs per 1,000 characters; the same long texts come back request after
// request (a workflow's system prompt, popular knowledge-base chunks), so the bounds of the last few are remembered.
// They are remembered by SHA-256 digest, never by the text: a memo keyed by text pinned up to 64 prompts of a million
// characters each, refused ones included (+113 MB after 64 refused requests, enough to crash a 256 MB function).
// A digest is about three times cheaper than the bound and keeps each entry under 200 bytes whatever the text.
const REMEMBER_FROM_CHARS = 2_048;
const REMEMBERED_TEXTS = 64;
const remembered = new Map<string, number>();

function rememberedBound(text: string): number {
  if (text.length < REMEMBER_FROM_CHARS) return computeBound(text);
  const digest = createHash('sha256').update(text, 'utf8').digest('base64');
  const known = remembered.get(digest);
  if (known !== undefined) return known;
  const bound = computeBound(text);
  if (remembered.size >= REMEMBERED_TEXTS) remembered.delete(remembered.keys().next().value as string);
  remembered.set(digest, bound);
  return bound;
}

/**
 * What the memo of long texts' bounds holds: its entries and the UTF-16 code units its keys retain. For tests and
 * diagnostics; the keys are digests, so the second figure stays at 44 per entry whatever texts were bounded.
 */
export function rememberedBoundFootprint(): { readonly entries: number; readonly keyChars: number } {
  let keyChars = 0;
  for (const key of remembered.keys()) keyChars += key.length;
  return { entries: remembered.size, keyChars };
}
