import { checkTextPromptLimit, classifyTextPrompt, countedTextPrompt, estimateTokens, textPromptTokens } from '../../../shared/core';
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

  test('accepts a prompt whose bound is at the limit; above it, without a count, refuses it as unconfirmed (fail closed)', () => {
    const text = 'word '.repeat(200);
    const { total, bound } = textPromptTokens('Summarise.', text);
    expect(checkTextPromptLimit('Summarise.', text, bound, 'digest')).toBeUndefined();
    expect(checkTextPromptLimit('Summarise.', text, bound - 1, 'digest')).toEqual({
      code: 'PROMPT_TOO_LARGE',
      reason: `The prompt's size could not be confirmed: feature 'digest' accepts at most ${bound - 1} tokens, the local bound cannot rule out more, `
        + "and Bedrock's CountTokens did not count it. Shorten the record.",
      estimatedInputTokens: total,
      maxInputTokens: bound - 1,
    });
  });

  test('refuses a prompt whose lower bound is over the limit, stating it as "at least"', () => {
    // Given 200 words and a one-word instruction: at least 201 tokens
    const text = 'word '.repeat(200);

    expect(classifyTextPrompt('Summarise.', text, 150, 'digest')).toEqual({
      verdict: 'too-large',
      rejection: expect.objectContaining({ reason: "The prompt is at least 202 tokens; feature 'digest' accepts at most 150. Shorten the record." }),
    });
    expect(classifyTextPrompt('Summarise.', text, 210, 'digest')).toMatchObject({ verdict: 'count' });
  });

  test('judges a counted prompt on its count, and an uncounted one as unconfirmed', () => {
    expect(countedTextPrompt(150, { total: 400 }, 150, 'digest')).toBeUndefined();
    expect(countedTextPrompt(151, { total: 100 }, 150, 'digest')?.reason).toBe("The prompt is 151 tokens as Bedrock counts them; feature 'digest' accepts at most 150. Shorten the record.");
    expect(countedTextPrompt(undefined, { total: 100 }, 150)?.reason).toContain('could not be confirmed: this workflow accepts at most 150 tokens');
  });
});
