import { checkTextPromptLimit, estimateTokens, textPromptTokens } from '../../../lambda/core';
import { estimateRequestTokens } from '../../../lambda/pipeline/stages/estimate-tokens';
import type { GenAiRequest } from '../../../lambda/pipeline/types';

const request = (message: string): GenAiRequest => ({ requestId: 'r', tenantId: 't', userId: 'u', feature: 'digest', history: [], message, hints: {} });

describe('text-level prompt limit', () => {
  test.each([
    ['prose', 'Customer 7 asked about invoice 1007 and a refund for order 49.'],
    ['json', '{"order": 49, "items": [{"sku": "A-1", "qty": 2}], "note": "refund"}'],
    ['non-latin', '注文番号49の返金について問い合わせがありました。'],
  ])('estimates a one-message %s prompt as the pipeline estimates the same request', (_kind, text) => {
    const pipeline = estimateRequestTokens(request(text), 'Summarise.');
    expect(textPromptTokens('Summarise.', text)).toEqual({ total: pipeline.total, bound: pipeline.bound.total, chars: pipeline.chars });
  });

  test('counts the instructions, the text and the message\'s role markers', () => {
    expect(textPromptTokens('Summarise.', 'Hello there.').total).toBe(estimateTokens('Summarise.') + estimateTokens('Hello there.') + 4);
    expect(textPromptTokens(undefined, 'Hello there.').total).toBe(estimateTokens('Hello there.') + 4);
  });

  test('accepts a prompt whose bound is at the limit and refuses one above it (batch cannot count: it fails closed)', () => {
    const text = 'word '.repeat(200);
    const { total, bound } = textPromptTokens('Summarise.', text);
    expect(checkTextPromptLimit('Summarise.', text, bound, 'digest')).toBeUndefined();
    expect(checkTextPromptLimit('Summarise.', text, bound - 1, 'digest')).toEqual({
      code: 'PROMPT_TOO_LARGE',
      reason: `The prompt is about ${total} tokens and may be up to ${bound}; feature 'digest' accepts at most ${bound - 1}. Shorten the record.`,
      estimatedInputTokens: total,
      maxInputTokens: bound - 1,
    });
  });
});
