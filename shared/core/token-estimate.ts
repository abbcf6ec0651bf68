/**
 * Fast central token estimates, for figures that must exist before Bedrock counts (budget pre-checks, cost
 * prediction, cache-point placement, routing by length, display). Limits do not use it: dense text can be far above
 * it, so they use {@link boundTokens} (`token-bound.ts`), which is never below the real count.
 *
 * Assumptions (there is no tokenizer in the Lambda bundle, on purpose: it is large and model-specific):
 * - Byte-pair tokenizers of current models average about 4 characters per token on English prose, 3 to 3.5 on
 *   source code, 2.5 to 3 on JSON (quotes, braces and short keys split often), and 1 to 1.5 on CJK text (kana and
 *   common kanji/hanzi are often one token each, rarer ones two or more). Anthropic's tokenizer is somewhat less
 *   efficient than OpenAI's on all of these, which is why the rates below sit at or under the low end.
 * - Every UTF-16 code unit at or above U+0080 is charged at the non-Latin rate, whatever the kind: accented Latin
 *   letters, symbols and emoji (two code units each) cost more than ASCII letters in every tokenizer.
 * - The rate of the detected (or given) kind applies to ASCII characters, whitespace included: runs of spaces in
 *   indented code are usually merged into one token, so code is over- rather than under-estimated.
 *
 * Measured against the public Claude tokenizer (`npm run bench`, estimate over real count, median): English prose
 * 1.37, code 1.30, JSON 1.45, French/German/Spanish about 1.05, CJK prose about 1.0; but dense text is under:
 * base64 0.41, hex 0.57, digit lists 0.6, punctuation runs 0.55, random CJK 0.5, emoji 0.75. Short strings (under ~20 characters) can be off by a token or two either way. Callers that
 * need the exact count use Bedrock's `CountTokens` API or the usage returned after the call; this module is for the
 * decision before it.
 *
 * Speed: one pass over the UTF-16 code units with two table lookups per ASCII character and no regular expressions,
 * so the cost is linear and allocation-free (about 0.05-0.1 ms for 32K characters on a Lambda-class core).
 */

/** What a text mostly is; each kind has its own characters-per-token rate. */
export type ContentKind = 'prose' | 'code' | 'json' | 'non-latin';

/**
 * Characters (UTF-16 code units) per token, with a safety margin: each is at or below what real tokenizers average,
 * so dividing by it over-estimates.
 */
export const CHARS_PER_TOKEN: Readonly<Record<ContentKind, number>> = Object.freeze({
  'prose': 3.5, // real: ~4 (English)
  'code': 2.75, // real: ~3 to 3.5
  'json': 2.5, // real: ~2.5 to 3
  'non-latin': 1, // real: ~1 to 1.5 (CJK); applies to every code unit >= U+0080
});

// Per-ASCII-character weights, added unconditionally in the hot loop (no branches per class).
const JSON_WEIGHT: Uint8Array = asciiSet('"{}[]:,'); // quotes and JSON separators
const CODE_WEIGHT: Uint8Array = asciiSet('{}()[];=<>|&*/\\`$#'); // operators and brackets

function asciiSet(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

/** Counts gathered in one pass, shared by detection and estimation. */
interface TextStats {
  readonly length: number;
  readonly nonAscii: number;
  readonly jsonPunct: number;
  readonly codePunct: number;
  readonly first: number;
  readonly last: number;
}

function isBlank(c: number): boolean {
  return c <= 32 || c === 0xa0 || c === 0x3000 || c === 0xfeff;
}

/** Counts only what `kind` needs: the hot loop is a load, a compare and two table additions per character. */
function scan(text: string, countKinds: boolean): TextStats {
  const length = text.length;
  // First and last visible characters, from both ends (usually one step each).
  let start = 0;
  while (start < length && isBlank(text.charCodeAt(start))) start++;
  let end = length - 1;
  while (end > start && isBlank(text.charCodeAt(end))) end--;
  const first = start < length ? text.charCodeAt(start) : -1;
  const last = start < length ? text.charCodeAt(end) : -1;

  if (length > FULL_SCAN_LIMIT) return scanLarge(text, countKinds, first, last);
  const counts = countRange(text, 0, length, countKinds);
  return { length, ...counts, first, last };
}

// Texts longer than this are measured natively and sampled for their kind: a JS loop over every character of a
// 30K-character prompt costs more than the rest of the pipeline together.
const FULL_SCAN_LIMIT = 2048;
const SAMPLE_WINDOWS = 8;
const SAMPLE_WINDOW_CHARS = 128;

function countRange(text: string, from: number, to: number, countKinds: boolean) {
  let nonAscii = 0;
  let jsonPunct = 0;
  let codePunct = 0;
  if (countKinds) {
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) {
        nonAscii++;
      } else {
        jsonPunct += JSON_WEIGHT[c];
        codePunct += CODE_WEIGHT[c];
      }
    }
  } else {
    for (let i = from; i < to; i++) {
      if (text.charCodeAt(i) >= 128) nonAscii++;
    }
  }
  return { nonAscii, jsonPunct, codePunct };
}

/**
 * Large texts: whether there is any non-ASCII character at all comes from the UTF-8 byte length (native, a few
 * microseconds); pure-ASCII text, the common case, then needs no character loop for its count, and its kind comes
 * from evenly spread windows of the text. Text with non-ASCII characters is counted exactly, character by character.
 */
function scanLarge(text: string, countKinds: boolean, first: number, last: number): TextStats {
  const length = text.length;
  if (Buffer.byteLength(text, 'utf8') !== length) return { length, ...countRange(text, 0, length, countKinds), first, last };
  const nonAscii = 0;
  if (!countKinds) return { length, nonAscii, jsonPunct: 0, codePunct: 0, first, last };
  let sampled = 0;
  let jsonPunct = 0;
  let codePunct = 0;
  const stride = Math.floor(length / SAMPLE_WINDOWS);
  for (let w = 0; w < SAMPLE_WINDOWS; w++) {
    const from = w * stride;
    const counts = countRange(text, from, Math.min(length, from + SAMPLE_WINDOW_CHARS), true);
    jsonPunct += counts.jsonPunct;
    codePunct += counts.codePunct;
    sampled += Math.min(length, from + SAMPLE_WINDOW_CHARS) - from;
  }
  // Scale the sampled punctuation to the whole text so the kind thresholds apply unchanged.
  const scale = length / sampled;
  return { length, nonAscii, jsonPunct: Math.round(jsonPunct * scale), codePunct: Math.round(codePunct * scale), first, last };
}


const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function classify(stats: TextStats): ContentKind {
  const { length } = stats;
  if (length === 0) {
    return 'prose';
  }
  // Mostly non-ASCII: CJK, Cyrillic, Arabic, Thai... Latin text with accents stays well under 30%.
  if (stats.nonAscii * 10 >= length * 3) {
    return 'non-latin';
  }
  const wrapped =
    (stats.first === OPEN_BRACE && stats.last === CLOSE_BRACE) ||
    (stats.first === OPEN_BRACKET && stats.last === CLOSE_BRACKET);
  // A JSON document starts and ends with braces/brackets and is dense in quotes and separators.
  if (wrapped && stats.jsonPunct * 10 >= length) {
    return 'json';
  }
  // Source code is dense in operators and brackets (~5-15% of characters); prose has ~1% or less.
  if (stats.codePunct * 1000 >= length * 35) {
    return 'code';
  }
  return 'prose';
}

/**
 * What a text mostly is: `non-latin` when 30% or more of its code units are non-ASCII, `json` when it is wrapped in
 * braces or brackets and dense in quotes and separators, `code` when operators and brackets make up 3.5% or more of
 * it, otherwise `prose`. One linear pass.
 */
export function detectContentKind(text: string): ContentKind {
  return classify(scan(text, true));
}

/**
 * An estimate of the number of tokens in `text`: rather over than under on prose, code and JSON, under on dense text
 * (see the module notes). Not a bound: for limits use `boundTokens`.
 *
 * ASCII characters are divided by the rate of `kind` (detected when not given), every other code unit by the
 * non-Latin rate, and the result is rounded up. The empty string is 0 tokens. See the module notes for the expected
 * error band.
 *
 * @param kind the content kind, when the caller knows it (e.g. a JSON tool result). @default detected
 */
export function estimateTokens(text: string, kind?: ContentKind): number {
  if (typeof text !== 'string') {
    throw new TypeError(`text must be a string, got ${typeof text}`);
  }
  if (text.length === 0) {
    return 0;
  }
  if (kind !== undefined && !Object.prototype.hasOwnProperty.call(CHARS_PER_TOKEN, kind)) {
    throw new TypeError(`kind must be one of ${Object.keys(CHARS_PER_TOKEN).join(', ')}, got ${String(kind)}`);
  }
  const stats = scan(text, kind === undefined);
  const effective = kind ?? classify(stats);
  const rate = CHARS_PER_TOKEN[effective];
  const ascii = stats.length - stats.nonAscii;
  const estimate = ascii / rate + stats.nonAscii / CHARS_PER_TOKEN['non-latin'];
  // The epsilon keeps an exact quotient (7 / 3.5) from being pushed up a token by binary rounding.
  return Math.max(1, Math.ceil(estimate - 1e-9));
}
