import { countTokens as referenceCount } from '@anthropic-ai/tokenizer';
import * as fc from 'fast-check';
import { samplesOf } from '../../../bench/text-samples';
import { countTokens, tokenize, truncateToTokens } from '../../../packages/local/src/bedrock-simulator';

describe('simulator tokenizer', () => {
  test('counts exactly what the public Claude tokenizer counts', () => {
    // Given prose, code, base64, punctuation, CJK and emoji samples
    const samples = ['prose', 'code', 'base64', 'punctuation', 'commonCjk', 'emoji', 'randomUnicode']
      .flatMap((kind, i) => samplesOf(kind === 'prose' ? 'englishProse' : kind, 5, 400, 100 + i));

    // Then every count equals the reference library's (which builds a fresh encoder per call)
    for (const text of samples) expect(countTokens(text)).toBe(referenceCount(text));
  });

  test('counts the empty string as 0 tokens', () => {
    expect(countTokens('')).toBe(0);
    expect(tokenize('')).toEqual([]);
  });

  test('bills dense text more tokens per character than prose', () => {
    // Given 2,000 characters of English prose and of base64
    const english = samplesOf('englishProse', 1, 2000, 7)[0];
    const base64 = samplesOf('base64', 1, 2000, 7)[0];

    // Then base64 costs at least twice as many tokens per character
    expect(countTokens(base64) / base64.length).toBeGreaterThan((2 * countTokens(english)) / english.length);
  });

  test('splits text into pieces that join back to its NFKC form, one piece per token for ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const pieces = tokenize(text);
        // A lone surrogate reaches the tokenizer as U+FFFD, as UTF-8 encoding makes it.
        expect(pieces.join('')).toBe(Buffer.from(text.normalize('NFKC'), 'utf8').toString('utf8'));
        expect(pieces.length).toBeLessThanOrEqual(countTokens(text));
        expect(pieces.every((piece) => piece.length > 0)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 200 }), (text) => {
        expect(tokenize(text).length).toBe(countTokens(text));
      }),
    );
  });

  test('truncates to a prefix of exactly the given number of tokens', () => {
    // Given a prose answer and a cap below its length
    const text = 'Hello world, this answer is longer than the cap allows it to be.';
    const cap = countTokens(text) - 3;

    // When it is truncated
    const cut = truncateToTokens(text, cap);

    // Then it is a prefix of that many tokens
    expect(text.startsWith(cut.text)).toBe(true);
    expect(cut.tokens).toBe(cap);
    expect(countTokens(cut.text)).toBe(cap);
  });

  test('never truncates inside a character', () => {
    // Given emoji, several bytes and usually several tokens each
    const text = '👩‍👩‍👧‍👦 🇫🇷 𠀀𠀁';
    for (let cap = 1; cap < countTokens(text); cap++) {
      const cut = truncateToTokens(text, cap);
      // Then every prefix is valid text at most the cap long
      expect(Buffer.from(cut.text, 'utf8').toString('utf8')).toBe(cut.text);
      expect(text.startsWith(cut.text)).toBe(true);
      expect(countTokens(cut.text)).toBeLessThanOrEqual(cap);
    }
  });

  test('leaves a text within the cap whole', () => {
    expect(truncateToTokens('short', 10)).toEqual({ text: 'short', tokens: countTokens('short') });
  });
});
