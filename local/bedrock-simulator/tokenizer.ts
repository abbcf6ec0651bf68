// A deterministic stand-in for a model's BPE tokenizer. It is not any real vocabulary: it only needs to
// behave like one (cost grows with text length, words are cheaper than punctuation, non-Latin scripts
// cost about one token per character) and to be stable, so that prompt-cache thresholds, context windows
// and usage figures in tests are predictable.

// Whitespace, Latin words, digit runs, or any single other code point (punctuation, symbols, non-Latin
// letters, emoji). The `u` flag makes `[\s\S]` consume whole code points, never half a surrogate pair.
const SEGMENT = /(\s+)|([A-Za-z\u00C0-\u024F]+)|(\p{Nd}+)|([\s\S])/gu;

const LETTERS_PER_TOKEN = 4;
const DIGITS_PER_TOKEN = 3;

type SegmentKind = 'space' | 'word' | 'number' | 'other';

function kindOf(match: RegExpMatchArray): SegmentKind {
  if (match[1] !== undefined) return 'space';
  if (match[2] !== undefined) return 'word';
  if (match[3] !== undefined) return 'number';
  return 'other';
}

function chunk(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/**
 * Splits `text` into the simulator's tokens. Joining the result gives back `text` exactly.
 *
 * Rules: a Latin word costs one token per 4 letters, a digit run one token per 3 digits, every other code
 * point (punctuation, symbols, non-Latin characters) one token. A single space before a token is folded
 * into that token, as BPE vocabularies do; any other whitespace run is one token of its own.
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let pendingSpace = '';
  for (const match of text.matchAll(SEGMENT)) {
    const segment = match[0];
    const kind = kindOf(match);
    if (kind === 'space') {
      if (pendingSpace) tokens.push(pendingSpace);
      pendingSpace = '';
      if (segment === ' ') pendingSpace = segment;
      else tokens.push(segment);
      continue;
    }
    const pieces = kind === 'word' ? chunk(segment, LETTERS_PER_TOKEN) : kind === 'number' ? chunk(segment, DIGITS_PER_TOKEN) : [segment];
    pieces[0] = pendingSpace + pieces[0];
    pendingSpace = '';
    tokens.push(...pieces);
  }
  if (pendingSpace) tokens.push(pendingSpace);
  return tokens;
}

/** Number of simulator tokens in `text`; always equals `tokenize(text).length`, without building the tokens. */
export function countTokens(text: string): number {
  let count = 0;
  for (const match of text.matchAll(SEGMENT)) {
    const segment = match[0];
    switch (kindOf(match)) {
      case 'space': {
        // A lone space is free when a token follows it (it is folded into that token).
        const isLast = (match.index ?? 0) + segment.length === text.length;
        count += segment === ' ' && !isLast ? 0 : 1;
        break;
      }
      case 'word':
        count += Math.ceil(segment.length / LETTERS_PER_TOKEN);
        break;
      case 'number':
        count += Math.ceil(segment.length / DIGITS_PER_TOKEN);
        break;
      case 'other':
        count += 1;
        break;
    }
  }
  return count;
}
