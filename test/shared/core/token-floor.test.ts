/**
 * The token floor against the public Claude tokenizer: never above its count for any kind of text (it may refuse a
 * prompt without asking CountTokens), and high enough on prose to refuse what is far over a limit.
 */
import { getTokenizer } from '@anthropic-ai/tokenizer';
import * as fc from 'fast-check';
import { ENGLISH_PROSE, samplesOf, TEXT_KINDS } from '../../../bench/text-samples';
import { seededRandom } from '../../../packages/local/src/bedrock-simulator/random';
import { boundTokens, floorTokens } from '../../../shared/core';

const tokenizer = getTokenizer();
afterAll(() => tokenizer.free());

/** What the tokenizer counts, exactly as the Bedrock simulator does it (special-token text included). */
const realCount = (text: string): number => tokenizer.encode(text.normalize('NFKC'), 'all').length;

describe('floorTokens: never above the real count', () => {
  test.each(Object.keys(TEXT_KINDS))('holds on generated %s', (kind) => {
    // Given 120 samples of the kind, from a few characters to 3,000
    for (const text of samplesOf(kind, 120, 3_000, 23)) {
      // Then the floor is at most the tokenizer's count (and never above the upper bound)
      expect({ kind, text, floor: floorTokens(text) }).toEqual({ kind, text, floor: Math.min(floorTokens(text), realCount(text)) });
      expect(floorTokens(text)).toBeLessThanOrEqual(boundTokens(text));
    }
  });

  test('holds on any mixture of the kinds, cut anywhere', () => {
    const kinds = Object.keys(TEXT_KINDS);
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), seed: fc.integer(), chars: fc.integer({ min: 1, max: 300 }) }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom('', ' ', '\n', '  ', "'", "'s ", '\t', '. ', '<EOT>', '<META_START>'), { minLength: 6, maxLength: 6 }),
        (parts, joins) => {
          const text = parts.map((p, i) => TEXT_KINDS[p.kind](seededRandom(p.seed), p.chars) + joins[i]).join('');
          expect(floorTokens(text)).toBeLessThanOrEqual(realCount(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('holds on arbitrary strings: any code unit, NFKC spaces and special-token text included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(floorTokens(text)).toBeLessThanOrEqual(realCount(text));
      }),
      { numRuns: 500 },
    );
    // Small alphabets make the boundary cases frequent: contractions, class changes, specials glued to anything.
    const units = [...'ab Z9\'s\n\t.,-_"{}<>é\u00a0\u3000\uff1c\uff1e', 'll', 're', '<EOT>', '<META>', '<META_START>', '<META_END>', '<SOS>', 'EOT', 'META'];
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...units), maxLength: 200 }), (text) => {
        expect(floorTokens(text)).toBeLessThanOrEqual(realCount(text));
      }),
      { numRuns: 2_000 },
    );
  });

  test('takes a special token as one token, even glued to words on both sides', () => {
    // Given the special tokens the simulator's tokenizer recognises, between letters and digits
    const text = 'x<META_START>y<EOT>1<META_END>z<SOS>.<META>a';

    // Then the floor stays at or under the count
    expect(floorTokens(text)).toBeLessThanOrEqual(realCount(text));
  });

  test('counts the empty string as 0, a word as 1, and words and numbers apart', () => {
    expect(floorTokens('')).toBe(0);
    expect(floorTokens('hello')).toBe(1);
    expect(floorTokens('hello world')).toBe(2);
    expect(floorTokens('abc123')).toBe(2);
    expect(floorTokens('end, 42.')).toBe(4);
  });

  test('rejects what is not a string', () => {
    expect(() => floorTokens(42 as never)).toThrow(/text must be a string, got number/);
  });
});

describe('floorTokens: high enough on prose to refuse what is far over a limit', () => {
  test('is at least 0.6x the real count on English prose', () => {
    const corpus = TEXT_KINDS.englishProse(seededRandom(5), 40_000);

    expect(floorTokens(corpus) / realCount(corpus)).toBeGreaterThanOrEqual(0.6);
    for (const paragraph of ENGLISH_PROSE) expect(floorTokens(paragraph) / realCount(paragraph)).toBeGreaterThanOrEqual(0.6);
  });

  test('is at least 0.25x the real count on German, French, Spanish and Russian prose', () => {
    for (const kind of ['german', 'french', 'spanish', 'russian']) {
      const text = TEXT_KINDS[kind](seededRandom(6), 20_000);
      expect({ kind, ratio: floorTokens(text) / realCount(text) >= 0.25 }).toEqual({ kind, ratio: true });
    }
  });
});
