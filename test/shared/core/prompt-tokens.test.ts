import { boundTokens, estimatePromptTokens, estimateTokens, MESSAGE_OVERHEAD_BOUND, MESSAGE_OVERHEAD_TOKENS } from '../../../shared/core';

describe('estimatePromptTokens', () => {
  test('estimates and bounds every part from plain text, role markers on history and message', () => {
    // Given a prompt as the batch planner has it: strings, no request
    const prompt = { system: 'You summarise invoices.', context: 'Invoice 42: $1,200.', history: ['Hi', 'Hello!'], message: 'Summarise it.' };

    // When it is estimated
    const { estimate, bound, chars } = estimatePromptTokens(prompt);

    // Then each part is its text's figure, with the markers where Converse adds them
    expect(estimate).toEqual({
      system: estimateTokens(prompt.system),
      context: estimateTokens(prompt.context),
      history: estimateTokens('Hi') + estimateTokens('Hello!') + 2 * MESSAGE_OVERHEAD_TOKENS,
      message: estimateTokens('Summarise it.') + MESSAGE_OVERHEAD_TOKENS,
      total: estimate.system + estimate.context + estimate.history + estimate.message,
    });
    expect(bound).toEqual({
      system: boundTokens(prompt.system),
      context: boundTokens(prompt.context),
      history: boundTokens('Hi') + boundTokens('Hello!') + 2 * MESSAGE_OVERHEAD_BOUND,
      message: boundTokens('Summarise it.') + MESSAGE_OVERHEAD_BOUND,
      total: bound.system + bound.context + bound.history + bound.message,
    });
    expect(chars).toBe(prompt.system.length + prompt.context.length + 2 + 6 + prompt.message.length);
  });

  test('counts absent parts as zero', () => {
    const { estimate, bound } = estimatePromptTokens({ history: [], message: 'ok' });

    expect([estimate.system, estimate.context, estimate.history, bound.system, bound.context, bound.history]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('long texts are bounded once and remembered', () => {
  test('a remembered bound is the computed one, before and after older texts are evicted', () => {
    const long = (i: number) => `Policy ${i}: refunds within 30 days, exchanges within 14, gift cards never expire. `.repeat(40);
    const first = estimatePromptTokens({ system: long(0), history: [], message: 'Hi' }).bound.system;
    // More long texts than are remembered, so the first is evicted and bounded again
    for (let i = 1; i <= 80; i++) estimatePromptTokens({ system: long(i), history: [], message: 'Hi' });
    const again = estimatePromptTokens({ system: long(0), history: [], message: 'Hi' }).bound.system;

    expect(first).toBe(boundTokens(long(0)));
    expect(again).toBe(first);
    expect(estimatePromptTokens({ system: long(7), history: [], message: 'Hi' }).bound.system).toBe(boundTokens(long(7)));
  });
});
