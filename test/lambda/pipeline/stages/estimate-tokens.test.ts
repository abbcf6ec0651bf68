import { estimateRequestTokens } from '../../../../lambda/pipeline/stages/estimate-tokens';
import { testRequest } from '../support';

// Expected numbers by hand: plain ASCII prose is estimated at 3.5 characters per token, rounded up
// (lambda/core/token-estimate.ts), and Converse adds 4 tokens of role markers per message.

describe('estimate-tokens stage', () => {
  test('estimates each part of the prompt and sums them', () => {
    // Given a 35-char system prompt, a 70-char context, one exchange of 7-char turns and a 14-char message
    const request = testRequest({
      context: 'c'.repeat(70),
      history: [{ role: 'user', content: 'u'.repeat(7) }, { role: 'assistant', content: 'a'.repeat(7) }],
      message: 'm'.repeat(14),
    });

    // When the request is estimated
    const estimate = estimateRequestTokens(request, 's'.repeat(35));

    // Then system 35/3.5 = 10, context 70/3.5 = 20, history 2 x (7/3.5 + 4) = 12, message 14/3.5 + 4 = 8
    expect(estimate).toEqual({ system: 10, context: 20, history: 12, message: 8, total: 50 });
  });

  test('counts nothing for a missing system prompt, context and history', () => {
    // Given only a 7-character message
    const estimate = estimateRequestTokens(testRequest({ message: 'm'.repeat(7) }), undefined);

    // Then only the message counts: 7/3.5 + 4 = 6
    expect(estimate).toEqual({ system: 0, context: 0, history: 0, message: 6, total: 6 });
  });

  test('rounds a partial token up, so the estimate errs high', () => {
    // Given an 8-character message: 8/3.5 = 2.29 tokens
    const estimate = estimateRequestTokens(testRequest({ message: 'm'.repeat(8) }), undefined);

    // Then it counts as 3 tokens plus the 4 of the role markers
    expect(estimate.message).toBe(7);
  });

  test('charges non-Latin characters one token each', () => {
    // Given a Japanese message of 6 characters
    const estimate = estimateRequestTokens(testRequest({ message: 'パスワード？' }), undefined);

    // Then 6 tokens plus the role markers
    expect(estimate.message).toBe(10);
  });
});
