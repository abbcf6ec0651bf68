/**
 * An upper bound on the number of tokens in a text, for limits that must hold whatever the text is (prompt size):
 * `boundTokens(text)` is never below what the public Claude tokenizer (`@anthropic-ai/tokenizer`) counts, for any
 * string, dense or not. {@link estimateTokens} stays the central figure for display and cost prediction.
 *
 * Why it holds. The tokenizer NFKC-normalizes the text, cuts it into pre-tokens with a fixed pattern (letter runs
 * with one optional leading space, digit runs, punctuation runs, whitespace runs, English contractions) and runs
 * byte-pair merges inside each pre-token until no two neighbouring pieces form a vocabulary token. So in the final
 * pieces of a pre-token of `n` bytes, two single-byte pieces are never neighbours unless their byte pair is not a
 * token. With `s` single-byte and `m` longer pieces and `q` such pair-less positions, the single-byte pieces form at
 * most `m + 1 + q` separate blocks... precisely: `s <= m + 1 + q` and `s + 2m <= n`, hence
 * `s + m <= (2n + 1 + q) / 3`. Summed over pre-tokens, the count is at most `(2N + 1 + B) / 3`, where `N` is the UTF-8
 * length and `B` the number of byte positions that are a pre-token boundary or a byte pair that is not a token. Any
 * position marked as a possible boundary when it is not one only raises the bound, so boundaries are found by cheap,
 * conservative ASCII rules: every position next to a non-ASCII or control character, next to an apostrophe, or
 * after a possible contraction is treated as a boundary. Finally, a pre-token that is exactly a vocabulary token is
 * one token (the tokenizer looks whole pre-tokens up first), so the common English words of the vocabulary, found
 * only where the pattern certainly makes them whole pre-tokens, count 1 instead of their share of the formula.
 *
 * The facts it uses (which byte pairs are tokens, the 12,000 most frequent whole-word tokens) are generated from the
 * tokenizer's vocabulary into `token-bound-data.ts`, and a test checks them against it. Newer Claude models use
 * tokenizers that are not published; for them the bound is the same argument applied to the public vocabulary, and
 * the prompt-limit stage asks Bedrock's `CountTokens` near the limit rather than trusting any local figure alone.
 *
 * How high it is: about 1.3-1.6× the real count on English prose, 1.0-1.5× on dense text (base64, hex, digits,
 * punctuation), and up to about 3× on text outside ASCII, where every character costs close to its UTF-8 length
 * (see `npm run bench`, `tokenEstimateError`). Speed: one pass over the UTF-16 code units, table lookups only.
 */
import { TOKEN_BYTE_PAIRS, WORD_TOKENS } from './token-bound-data';

// Character classes of ASCII code units, as the pre-token pattern sees them.
const OTHER = 0; // control characters (conservatively: unknown to the pattern) and everything above ASCII
const LETTER = 1;
const DIGIT = 2;
const SPACE = 3; // U+0020 only: the one whitespace character a letter, digit or punctuation run may start with
const BLANK = 4; // \t \n \v \f \r
const PUNCT = 5;
const APOSTROPHE = 6; // starts the contractions 's 't 'm 'd 're 've 'll, which cut letter runs

const ASCII_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) table[c] = LETTER;
    else if (c >= 48 && c <= 57) table[c] = DIGIT;
    else if (c === 32) table[c] = SPACE;
    else if (c >= 9 && c <= 13) table[c] = BLANK;
    else if (c === 39) table[c] = APOSTROPHE;
    else if (c > 32 && c < 127) table[c] = PUNCT;
    else table[c] = OTHER;
  }
  return table;
})();


interface BoundTables {
  /** Bit `a * 256 + b`: the byte pair is a token. */
  readonly pairs: Uint8Array;
  /**
   * For two ASCII bytes, `a * 128 + b`: their {@link JOIN} value when the pair is a token, else SPLIT (a pair that is
   * not a token counts like a boundary). One lookup per character in the hot loop.
   */
  readonly asciiPairs: Uint8Array;
  /** Open-addressing table of word indexes + 1, keyed by {@link wordHash}. */
  readonly slots: Int32Array;
  /** The words, one after the other, and where each starts (word `w` is `[starts[w], starts[w + 1])`). */
  readonly joined: string;
  readonly starts: Int32Array;
}

let tables: BoundTables | undefined;

const SLOT_BITS = 15; // 32,768 slots for 12,000 words: short probe chains

/** Built on first use, not at import: a cold start that never bounds a prompt does not pay for it. */
function boundTables(): BoundTables {
  if (tables) return tables;
  const pairs = new Uint8Array(Buffer.from(TOKEN_BYTE_PAIRS, 'base64'));
  const words = WORD_TOKENS.split('|');
  const slots = new Int32Array(1 << SLOT_BITS);
  const mask = slots.length - 1;
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    const spaced = word.charCodeAt(0) === 32;
    let hash = HASH_SEED;
    for (let i = spaced ? 1 : 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), HASH_PRIME);
    let slot = wordHash(hash, spaced) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = w + 1;
  }
  const starts = new Int32Array(words.length + 1);
  for (let w = 0; w < words.length; w++) starts[w + 1] = starts[w] + words[w].length;
  const asciiPairs = new Uint8Array(128 * 128);
  for (let a = 0; a < 128; a++) {
    for (let b = 0; b < 128; b++) {
      const isToken = ((pairs[(a << 5) | (b >> 3)] >> (b & 7)) & 1) === 1;
      asciiPairs[(a << 7) | b] = isToken ? JOIN[ASCII_CLASS[a] * 8 + ASCII_CLASS[b]] : SPLIT;
    }
  }
  tables = { pairs, asciiPairs, slots, joined: words.join(''), starts };
  return tables;
}

const HASH_SEED = 0x811c9dc5 | 0; // FNV-1a, kept in int32 range
const HASH_PRIME = 0x01000193;

function wordHash(letters: number, spaced: boolean): number {
  return spaced ? letters ^ 0x5bd1e995 : letters;
}

/** True when the pre-token `text[start, end)` is one of the whole-word tokens (exact bytes, leading space included). */
function isWordToken(t: BoundTables, text: string, start: number, end: number, letters: number, spaced: boolean): boolean {
  const mask = t.slots.length - 1;
  for (let slot = wordHash(letters, spaced) & mask; t.slots[slot] !== 0; slot = (slot + 1) & mask) {
    // Compared code unit by code unit: cheaper than a builtin call for words this short.
    const w = t.slots[slot] - 1;
    const from = t.starts[w];
    if (t.starts[w + 1] - from !== end - start) continue;
    let k = 0;
    while (k < end - start && t.joined.charCodeAt(from + k) === text.charCodeAt(start + k)) k++;
    if (k === end - start) return true;
  }
  return false;
}

// What the position between an ASCII character of class `a` and one of class `b` can be, as `JOIN[a * 8 + b]`.
const JOINED = 0; // certainly inside one pre-token
const SPLIT = 1; // possibly a boundary
const LETTERS = 2; // inside a letter run, unless a contraction ('s 't 'm 'd 're 've 'll) ended just before
const BLANKS = 3; // inside a whitespace run, unless it is the last blank before something else

const JOIN: Uint8Array = (() => {
  const table = new Uint8Array(64).fill(SPLIT);
  table[LETTER * 8 + LETTER] = LETTERS;
  table[DIGIT * 8 + DIGIT] = JOINED;
  table[PUNCT * 8 + PUNCT] = JOINED;
  // U+0020 is the one optional leading character of letter, digit and punctuation pre-tokens.
  table[SPACE * 8 + LETTER] = JOINED;
  table[SPACE * 8 + DIGIT] = JOINED;
  table[SPACE * 8 + PUNCT] = JOINED;
  for (const a of [SPACE, BLANK]) for (const b of [SPACE, BLANK]) table[a * 8 + b] = BLANKS;
  return table;
})();

/** Whether a whitespace run is about to end at `i + 1`, leaving its last blank (at `i`) to what follows. */
function blankRunEndsAfter(text: string, i: number): boolean {
  if (i + 1 >= text.length) return false;
  const next = text.charCodeAt(i + 1);
  return !(next === 32 || (next >= 9 && next <= 13));
}

/**
 * An upper bound on the tokens of `text` under the public Claude tokenizer: never below its count, for any string
 * (see the module notes for why). The empty string is 0. Linear in the length, no allocation for ASCII text.
 */
export function boundTokens(text: string): number {
  if (typeof text !== 'string') {
    throw new TypeError(`text must be a string, got ${typeof text}`);
  }
  if (text.length === 0) return 0;
  const t = boundTables();
  const result = scanBound(t, text, false);
  // Non-ASCII seen: the tokenizer works on the NFKC form, which can be longer (U+FDFA becomes 18 characters).
  return result >= 0 ? result : scanBound(t, text.normalize('NFKC'), true);
}

/** The bound of `text`, or -1 when it has non-ASCII code units and is not `normalized` (NFKC) yet. */
function scanBound(t: BoundTables, text: string, normalized: boolean): number {
  const { pairs, asciiPairs } = t;
  // Locals: module constants cost a context load and a hole check per use in the loop.
  const classes = ASCII_CLASS;
  const prime = HASH_PRIME;
  let lastApostrophe = -4;
  const length = text.length;
  let bytes = 0; // N
  let breaks = 0; // B
  let discount = 0; // what whole-word pre-tokens give back
  let prevByte = -1;
  let prevClass = OTHER; // only read once prevByte is set
  // The letter run being read: where its pre-token starts, its hash, and the breaks counted inside it.
  let runStart = -1;
  let runSpaced = false;
  let runHash = HASH_SEED;
  let runBreaks = 0;
  let runEligible = false;

  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      const cls = classes[c];
      let broken = false;
      if (prevByte >= 128) {
        broken = true; // after a non-ASCII character
        breaks++;
      } else if (prevByte >= 0) {
        const join = asciiPairs[(prevByte << 7) | c];
        if (join === SPLIT) broken = true;
        // A contraction ends two or three characters after its apostrophe, possibly mid-letters.
        else if (join === LETTERS) broken = i - lastApostrophe <= 3;
        else if (join === BLANKS) broken = blankRunEndsAfter(text, i);
        if (broken) breaks++;
      }
      if (cls === LETTER) {
        if (runStart < 0) {
          // A new letter run; it can be a whole-word pre-token only when what precedes it is certain.
          runSpaced = prevClass === SPACE;
          runStart = runSpaced ? i - 1 : i;
          runEligible = i === 0 || (prevClass !== OTHER && prevClass !== APOSTROPHE);
          runHash = HASH_SEED;
          // Inside the pre-token: the position after its leading space; before an unspaced run, its boundary.
          runBreaks = runSpaced && broken ? 1 : 0;
        } else if (broken) {
          runBreaks++;
        }
        runHash = Math.imul(runHash ^ c, prime);
      } else if (runStart >= 0) {
        if (runEligible && cls !== OTHER) discount += wordDiscount(t, text, runStart, i, runSpaced, runHash, runBreaks);
        runStart = -1;
      }
      if (cls === APOSTROPHE) lastApostrophe = i;
      bytes++;
      prevByte = c;
      prevClass = cls;
      continue;
    }

    // Above ASCII: the bound must be taken on the NFKC form the tokenizer encodes; the caller rescans that.
    if (!normalized) return -1;
    // A letter run followed by a non-ASCII character may continue into it (accented letters): no word discount.
    runStart = -1;
    // UTF-8 bytes of the code point; a lone surrogate is sent as U+FFFD (EF BF BD).
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    let b0: number;
    let b1: number;
    let b2 = -1;
    let b3 = -1;
    if (cp < 0x800) {
      b0 = 0xc0 | (cp >> 6);
      b1 = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      b0 = 0xe0 | (cp >> 12);
      b1 = 0x80 | ((cp >> 6) & 0x3f);
      b2 = 0x80 | (cp & 0x3f);
    } else {
      b0 = 0xf0 | (cp >> 18);
      b1 = 0x80 | ((cp >> 12) & 0x3f);
      b2 = 0x80 | ((cp >> 6) & 0x3f);
      b3 = 0x80 | (cp & 0x3f);
    }
    // Between code points: always a possible boundary (the class of a non-ASCII character is not looked up).
    if (prevByte >= 0) breaks++;
    // Inside the code point: never a boundary, so only a byte pair that is not a token counts.
    if (((pairs[(b0 << 5) | (b1 >> 3)] >> (b1 & 7)) & 1) === 0) breaks++;
    let last = b1;
    bytes += 2;
    if (b2 >= 0) {
      if (((pairs[(b1 << 5) | (b2 >> 3)] >> (b2 & 7)) & 1) === 0) breaks++;
      last = b2;
      bytes++;
    }
    if (b3 >= 0) {
      if (((pairs[(b2 << 5) | (b3 >> 3)] >> (b3 & 7)) & 1) === 0) breaks++;
      last = b3;
      bytes++;
    }
    prevByte = last;
    prevClass = OTHER;
  }
  if (runStart >= 0 && runEligible) discount += wordDiscount(t, text, runStart, length, runSpaced, runHash, runBreaks);
  return Math.floor((2 * bytes + 1 + breaks - discount) / 3);
}

/**
 * A letter run ends at `end`, certainly as a whole pre-token. When that pre-token is a vocabulary token it is exactly
 * one token: its share of the sum, `2n` plus the breaks counted inside it, is replaced by the 2 that with its
 * boundary makes 3 (one token).
 */
function wordDiscount(t: BoundTables, text: string, start: number, end: number, spaced: boolean, letters: number, inside: number): number {
  return isWordToken(t, text, start, end, letters, spaced) ? 2 * (end - start) + inside - 2 : 0;
}
