/**
 * A lower bound on the number of tokens in a text, for the one decision that needs it: refusing a prompt as too large
 * without asking Bedrock's `CountTokens`. `floorTokens(text)` is never above what the public Claude tokenizer
 * (`@anthropic-ai/tokenizer`) counts, for any string; {@link boundTokens} is the matching upper bound.
 *
 * Why it holds. The tokenizer NFKC-normalizes the text, splits out special tokens, cuts the rest into pre-tokens with
 * the pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` and encodes each pre-token
 * into one or more tokens; no token spans two pre-tokens. So the count is at least the number of pre-tokens with
 * something in them, and it is enough to count places that certainly start a new one:
 * - a character that is not whitespace right after whitespace (or at the start): a pre-token holds whitespace only as
 *   its one leading space or as a whole, so two runs of visible characters never share a pre-token;
 * - inside a run, an ASCII letter followed by an ASCII digit or punctuation mark, a digit followed by a letter or
 *   punctuation mark, and a punctuation mark followed by a digit: the letter, digit and punctuation alternatives
 *   cannot hold both sides. An apostrophe (contractions), a control or non-ASCII character, and punctuation followed
 *   by a letter are never counted as a start: the first two are not classified, and the last is not a boundary in
 *   tokenizers (cl100k/o200k-style) that let one punctuation mark lead a word.
 * Only ASCII space, tab, LF, VT, FF and CR are taken as whitespace (they are White_Space in every tokenizer's `\s`);
 * any other character is taken as visible, which can only join runs and lower the count. A special token's text
 * (`<EOT>`, `<META>`, `<META_START>`, `<META_END>`, `<SOS>`) is one token while its characters count up to 2 starts
 * inside it, so 2 is taken off per occurrence.
 *
 * The same argument holds for any tokenizer whose pre-tokenizer keeps whitespace-separated words and letter/digit/
 * punctuation runs apart (GPT-2, cl100k, o200k and Llama 3 patterns do), which is why the pipeline may refuse on it
 * without asking the routed model's own (unpublished) tokenizer.
 *
 * How low it is, against the public tokenizer on 20,000-character samples: about 0.95× the real count on English
 * prose, 0.7× on code, 0.55-0.65× on French, German and Spanish, 0.3× on Russian (a word there is several tokens),
 * near 0 on CJK (no spaces). So a prompt is refused without counting only when it is clearly over the limit; between
 * the bounds, `CountTokens` decides. `test/lambda/core/token-floor.test.ts` holds it to the tokenizer on every kind of
 * text of `bench/text-samples.ts` and on arbitrary strings.
 * Speed: one pass over the UTF-16 code units, a table lookup per character.
 */

// Character classes, as far as the floor needs them.
const OTHER = 0; // control, DEL, non-ASCII, apostrophe: never a counted boundary inside a run
const LETTER = 1;
const DIGIT = 2;
const PUNCT = 3;
const SPACE = 4; // space, \t, \n, \v, \f, \r

const CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) table[c] = LETTER;
    else if (c >= 48 && c <= 57) table[c] = DIGIT;
    else if (c === 32 || (c >= 9 && c <= 13)) table[c] = SPACE;
    else if (c > 32 && c < 127 && c !== 39) table[c] = PUNCT;
    else table[c] = OTHER;
  }
  return table;
})();

// STARTS[a * 8 + b]: 1 when a character of class b after one of class a certainly starts a new pre-token.
const STARTS: Uint8Array = (() => {
  const table = new Uint8Array(64);
  for (const b of [OTHER, LETTER, DIGIT, PUNCT]) table[SPACE * 8 + b] = 1;
  table[LETTER * 8 + DIGIT] = 1;
  table[LETTER * 8 + PUNCT] = 1;
  table[DIGIT * 8 + LETTER] = 1;
  table[DIGIT * 8 + PUNCT] = 1;
  table[PUNCT * 8 + DIGIT] = 1;
  return table;
})();

const SPECIAL_TOKENS = ['<EOT>', '<META>', '<META_START>', '<META_END>', '<SOS>'];
/** The most starts the floor counts inside one special token's text (`<META_START>`: `_` and `>`). */
const STARTS_INSIDE_SPECIAL = 2;

/**
 * A lower bound on the tokens of `text` under the public Claude tokenizer: never above its count, for any string (see
 * the module notes for why). The empty string is 0.
 */
export function floorTokens(text: string): number {
  if (typeof text !== 'string') {
    throw new TypeError(`text must be a string, got ${typeof text}`);
  }
  if (text.length === 0) return 0;
  const ascii = scanFloor(text, false);
  // Non-ASCII seen: the tokenizer works on the NFKC form (U+00A0 and U+3000 become spaces there, for instance).
  const normalized = ascii >= 0 ? text : text.normalize('NFKC');
  const starts = ascii >= 0 ? ascii : scanFloor(normalized, true);
  return Math.max(0, starts - STARTS_INSIDE_SPECIAL * specialTokensIn(normalized));
}

/** The starts counted in `text`, or -1 when it has a non-ASCII code unit and `normalized` is false. */
function scanFloor(text: string, normalized: boolean): number {
  const classes = CLASS;
  const starts = STARTS;
  let count = 0;
  let prev = SPACE; // the start of the text starts a pre-token, as whitespace before it would
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let cls = OTHER;
    if (c < 128) cls = classes[c];
    else if (!normalized) return -1;
    count += starts[prev * 8 + cls];
    prev = cls;
  }
  return count;
}

function specialTokensIn(text: string): number {
  if (text.indexOf('<') < 0) return 0;
  let found = 0;
  for (const special of SPECIAL_TOKENS) {
    for (let at = text.indexOf(special); at >= 0; at = text.indexOf(special, at + special.length)) found++;
  }
  return found;
}
