// The simulator counts tokens with the public Claude tokenizer (@anthropic-ai/tokenizer), so that local runs bill
// dense text (base64, digits, punctuation, CJK, emoji) as heavily as a real model does. Newer Claude models use
// tokenizers that are not published; this one is the closest public stand-in, and deterministic.
import { getTokenizer } from '@anthropic-ai/tokenizer';

type Encoder = ReturnType<typeof getTokenizer>;

// One encoder per process: building it parses the whole vocabulary (tens of milliseconds), while an encode is
// microseconds. It is never freed, so no call can reach a freed WASM object.
let encoder: Encoder | undefined;

function encoderOf(): Encoder {
  encoder ??= getTokenizer();
  return encoder;
}

// The tokenizer normalizes first, as @anthropic-ai/tokenizer's own countTokens does; special-token text counts as
// the special token.
function encode(text: string): Uint32Array {
  return encoderOf().encode(text.normalize('NFKC'), 'all');
}

/** Number of tokens in `text`. */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : encode(text).length;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits `text` into its tokens as strings. Joining them gives back `text` in NFKC form (which is `text` itself for
 * ASCII and most text). A token that ends inside a multi-byte character is joined with the tokens that complete it,
 * so there can be fewer pieces than {@link countTokens} counts, never more.
 */
export function tokenize(text: string): string[] {
  if (text.length === 0) return [];
  const enc = encoderOf();
  const pieces: string[] = [];
  let pending: number[] = [];
  for (const token of encode(text)) {
    for (const byte of enc.decode_single_token_bytes(token)) pending.push(byte);
    const piece = decodeComplete(pending);
    if (piece !== undefined) {
      pieces.push(piece);
      pending = [];
    }
  }
  if (pending.length > 0) pieces.push(Buffer.from(pending).toString('utf8'));
  return pieces;
}

/** The first `maxTokens` tokens of `text` (NFKC form), without a trailing partial character, and how many they are. */
export function truncateToTokens(text: string, maxTokens: number): { readonly text: string; readonly tokens: number } {
  const tokens = encode(text);
  if (tokens.length <= maxTokens) return { text: text.normalize('NFKC'), tokens: tokens.length };
  const bytes = Buffer.from(encoderOf().decode(tokens.subarray(0, maxTokens)));
  // Drop an incomplete character at the end: a model's stream never ends mid-character.
  let end = bytes.length;
  while (end > 0 && decodeComplete(bytes.subarray(0, end)) === undefined) end--;
  return { text: bytes.subarray(0, end).toString('utf8'), tokens: maxTokens };
}

function decodeComplete(bytes: ArrayLike<number>): string | undefined {
  try {
    return decoder.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
