import * as fc from 'fast-check';
import { countTokens, tokenize } from '../../../local/bedrock-simulator';

describe('simulator tokenizer', () => {
  test.each([
    ['', []],
    ['Hi', ['Hi']],
    ['hello', ['hell', 'o']],
    ['hello world', ['hell', 'o', ' worl', 'd']],
    ['12345', ['123', '45']],
    ['a, b!', ['a', ',', ' b', '!']],
    ['a\n\nb', ['a', '\n\n', 'b']],
    ['x   y', ['x', '   ', 'y']],
    ['end ', ['end', ' ']],
    ['日本語', ['日', '本', '語']],
  ])('tokenizes %j as %j', (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
    expect(countTokens(text)).toBe(tokens.length);
  });

  test('costs one token per four letters of a word, at least one', () => {
    expect(countTokens('a')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('internationalization')).toBe(5);
  });

  test('is lossless and countTokens agrees with tokenize for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const tokens = tokenize(text);
        expect(tokens.join('')).toBe(text);
        expect(countTokens(text)).toBe(tokens.length);
        expect(tokens.every((t) => t.length > 0)).toBe(true);
      }),
    );
  });

  test('never costs less when text is appended', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (a, b) => {
        expect(countTokens(a + b)).toBeGreaterThanOrEqual(countTokens(a) - 1);
        expect(countTokens(a + b)).toBeLessThanOrEqual(countTokens(a) + countTokens(b) + 1);
      }),
    );
  });
});
