import { boundTokens, estimateTokens, MESSAGE_OVERHEAD_BOUND, MESSAGE_OVERHEAD_TOKENS } from '../../../../shared/core';
import { buildPrompt } from '../../../../lambda/pipeline/stages/prompt-cache';
import { CONTEXT_FRAMING_BOUND, estimateRequestTokens } from '../../../../lambda/pipeline/stages/estimate-tokens';
import { estimateOf, testRequest } from '../support';

// Expected numbers by hand for the estimate: plain ASCII prose is estimated at 3.5 characters per token, rounded up
// (lambda/core/token-estimate.ts), and Converse adds 4 tokens of role markers per message.

describe('estimate-tokens stage', () => {
  const request = testRequest({
    context: 'c'.repeat(70),
    history: [{ role: 'user', content: 'u'.repeat(7) }, { role: 'assistant', content: 'a'.repeat(7) }],
    message: 'm'.repeat(14),
  });

  test('estimates each part of the prompt and sums them', () => {
    // Given a 35-char system prompt, a 70-char context, one exchange of 7-char turns and a 14-char message
    const estimate = estimateRequestTokens(request, 's'.repeat(35));

    // Then system 35/3.5 = 10, context 70/3.5 = 20, history 2 x (7/3.5 + 4) = 12, message 14/3.5 + 4 = 8
    expect(estimate).toMatchObject({ system: 10, context: 20, history: 12, message: 8, total: 50, chars: 35 + 70 + 7 + 7 + 14 });
  });

  test('bounds each part, with the role markers and the context framing, and sums them', () => {
    const estimate = estimateRequestTokens(request, 's'.repeat(35));

    expect(estimate.bound).toEqual({
      system: boundTokens('s'.repeat(35)),
      context: boundTokens('c'.repeat(70)) + CONTEXT_FRAMING_BOUND,
      history: boundTokens('u'.repeat(7)) + boundTokens('a'.repeat(7)) + 2 * MESSAGE_OVERHEAD_BOUND,
      message: boundTokens('m'.repeat(14)) + MESSAGE_OVERHEAD_BOUND,
      total: estimate.bound.system + estimate.bound.context + estimate.bound.history + estimate.bound.message,
    });
    expect(estimate.bound.total).toBeGreaterThanOrEqual(estimate.total);
  });

  test('allows enough for the tags the prompt stage wraps the context in', () => {
    // Given the system block buildPrompt writes for a context
    const context = 'Refunds are issued within 14 days.';
    const prompt = buildPrompt(testRequest({ context }), undefined, estimateOf({ context: 10 }), undefined);
    const wrapped = prompt.system.map((block) => block.text ?? '').join('');

    // Then the wrapper adds no more than the allowance to the context's bound
    expect(wrapped).toContain(context);
    expect(boundTokens(wrapped) - boundTokens(context)).toBeLessThanOrEqual(CONTEXT_FRAMING_BOUND);
  });

  test('counts nothing for a missing system prompt, context and history', () => {
    // Given only a 7-character message
    const estimate = estimateRequestTokens(testRequest({ message: 'm'.repeat(7) }), undefined);

    // Then only the message counts: 7/3.5 + 4 = 6
    expect(estimate).toMatchObject({ system: 0, context: 0, history: 0, message: 6, total: 6 });
    expect(estimate.bound).toEqual({ system: 0, context: 0, history: 0, message: boundTokens('m'.repeat(7)) + MESSAGE_OVERHEAD_BOUND, total: estimate.bound.message });
  });

  test('rounds a partial token up, so the estimate errs high', () => {
    // Given an 8-character message: 8/3.5 = 2.29 tokens
    const estimate = estimateRequestTokens(testRequest({ message: 'm'.repeat(8) }), undefined);

    // Then it counts as 3 tokens plus the 4 of the role markers
    expect(estimate.message).toBe(3 + MESSAGE_OVERHEAD_TOKENS);
  });

  test('charges non-Latin characters one token each in the estimate, their UTF-8 worst case in the bound', () => {
    // Given a Japanese message of 6 characters
    const estimate = estimateRequestTokens(testRequest({ message: 'パスワード？' }), undefined);

    // Then 6 tokens plus the role markers, and a bound above the estimate
    expect(estimate.message).toBe(estimateTokens('パスワード？') + MESSAGE_OVERHEAD_TOKENS);
    expect(estimate.message).toBe(10);
    expect(estimate.bound.message).toBeGreaterThan(estimate.message);
  });
});
