/**
 * The token bound against the public Claude tokenizer: never below its count for any kind of text, and not far above
 * it on English prose.
 */
import { getTokenizer } from '@anthropic-ai/tokenizer';
import * as fc from 'fast-check';
import { ENGLISH_PROSE, samplesOf, TEXT_KINDS } from '../../../bench/text-samples';
import { seededRandom } from '../../../packages/local/src/bedrock-simulator/random';
import { boundTokens, estimateTokens } from '../../../shared/core';
import { TOKEN_BYTE_PAIRS, WORD_TOKENS } from '../../../shared/core/token-bound-data';
import { readTokenizerFacts } from '../../support/tokenizer-facts';

const tokenizer = getTokenizer();
afterAll(() => tokenizer.free());

/** What the tokenizer counts, exactly as @anthropic-ai/tokenizer's countTokens does it. */
const realCount = (text: string): number => tokenizer.encode(text.normalize('NFKC'), 'all').length;

/** English prose may be bounded at most this many times its real count (measured: 1.40 on the corpus below). */
const PROSE_FACTOR = 1.5;
/** A single paragraph, whose rarer words weigh more (measured: 1.28 to 1.62). */
const PARAGRAPH_FACTOR = 1.7;

describe('boundTokens: data', () => {
  test('ships exactly the byte pairs and word tokens of the tokenizer vocabulary', () => {
    // Given the facts read from the tokenizer itself
    const facts = readTokenizerFacts();

    // Then the committed tables agree with them: regenerate with scripts/generate-token-bound-data.ts if not
    expect(Buffer.from(TOKEN_BYTE_PAIRS, 'base64').equals(Buffer.from(facts.bytePairs))).toBe(true);
    const words = WORD_TOKENS.split('|');
    expect(words).toEqual(facts.wordTokens.slice(0, words.length));
    for (const word of words) expect(facts.vocabulary.has(word)).toBe(true);
  });
});

describe('boundTokens: never below the real count', () => {
  test.each(Object.keys(TEXT_KINDS))('holds on generated %s', (kind) => {
    // Given 120 samples of the kind, from a few characters to 3,000
    for (const text of samplesOf(kind, 120, 3_000, 11)) {
      // Then the bound is at least the tokenizer's count
      expect({ kind, text, bound: boundTokens(text) }).toEqual({ kind, text, bound: Math.max(boundTokens(text), realCount(text)) });
    }
  });

  test('holds on any mixture of the kinds, cut anywhere', () => {
    const kinds = Object.keys(TEXT_KINDS);
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), seed: fc.integer(), chars: fc.integer({ min: 1, max: 300 }) }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom('', ' ', '\n', '  ', "'", "'s ", '\t', '. '), { minLength: 6, maxLength: 6 }),
        (parts, joins) => {
          const text = parts.map((p, i) => TEXT_KINDS[p.kind](seededRandom(p.seed), p.chars) + joins[i]).join('');
          expect(boundTokens(text)).toBeGreaterThanOrEqual(realCount(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('holds on arbitrary strings: any code unit, lone surrogates and NFKC expansions included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(boundTokens(text)).toBeGreaterThanOrEqual(realCount(text));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab Z9\'s\n\t.,-"{}ﷺ㍻é\u0301', 'll', 're'), maxLength: 200 }), (text) => {
        expect(boundTokens(text)).toBeGreaterThanOrEqual(realCount(text));
      }),
      { numRuns: 1_000 },
    );
  });

  test('holds on the dense texts that passed the old estimate', () => {
    // Given the case: 172,000 punctuation characters the estimate takes for prose (49,143 tokens)
    const random = seededRandom(172);
    const punctuation = Array.from({ length: 172_000 }, () => '.,!?-~^'[Math.floor(random() * 7)]).join('');
    expect(estimateTokens(punctuation)).toBeLessThan(50_000);

    // Then the bound is above both the real count and the 50,000-token limit it slipped under
    expect(boundTokens(punctuation)).toBeGreaterThanOrEqual(realCount(punctuation));
    expect(boundTokens(punctuation)).toBeGreaterThan(50_000);
  });

  test('counts the empty string as 0 and any other text as at least 1', () => {
    expect(boundTokens('')).toBe(0);
    expect(boundTokens('a')).toBe(1);
    expect(boundTokens(' ')).toBe(1);
  });

  test('rejects what is not a string', () => {
    expect(() => boundTokens(42 as never)).toThrow(/text must be a string, got number/);
  });
});

describe('boundTokens: tight on prose', () => {
  test(`stays within ${PROSE_FACTOR}x the real count on English prose, ${PARAGRAPH_FACTOR}x on any one paragraph`, () => {
    // Given the prose corpus
    const corpus = ENGLISH_PROSE.join('\n\n');

    // Then the bound is at most the factor above the count, whole and per paragraph
    expect(boundTokens(corpus) / realCount(corpus)).toBeLessThanOrEqual(PROSE_FACTOR);
    for (const paragraph of ENGLISH_PROSE) expect(boundTokens(paragraph) / realCount(paragraph)).toBeLessThanOrEqual(PARAGRAPH_FACTOR);
  });

  test('counts a common word as one token, with or without its leading space', () => {
    expect(boundTokens('the')).toBe(1);
    expect(boundTokens(' the')).toBe(1);
    expect(boundTokens('information')).toBe(realCount('information'));
  });
});
