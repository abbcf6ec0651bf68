import { PipelineError } from '../../../../lambda/pipeline/errors';
import { capOutputTokens, enforcePromptLimit } from '../../../../lambda/pipeline/stages/enforce-limits';
import { estimateOf, testRequest } from '../support';

const limits = { maxInputTokens: 1_000, maxOutputTokens: 512 };

function thrownBy(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a PipelineError, nothing was thrown');
}

describe('enforce-limits stage: prompt size', () => {
  test('lets a prompt exactly at the limit through', () => {
    // Given an estimate of exactly 1,000 tokens
    const estimate = estimateOf({ system: 400, message: 600 });

    // Then nothing is thrown
    expect(() => enforcePromptLimit(estimate, limits, 'chat')).not.toThrow();
  });

  test('rejects a prompt one token over the limit with 413', () => {
    const error = thrownBy(() => enforcePromptLimit(estimateOf({ system: 400, message: 601 }), limits, 'chat'));

    expect(error.status).toBe(413);
    expect(error.code).toBe('PROMPT_TOO_LARGE');
  });

  test('tells the caller the estimate, the limit and the size of each part', () => {
    // Given a prompt of 1,500 tokens, most of it context
    const estimate = estimateOf({ system: 100, context: 1_200, history: 150, message: 50 });

    // When the limit is enforced
    const error = thrownBy(() => enforcePromptLimit(estimate, limits, 'chat'));

    // Then the numbers are in the details and the message
    expect(error.details).toEqual({
      estimatedInputTokens: 1_500,
      maxInputTokens: 1_000,
      parts: { system: 100, context: 1_200, history: 150, message: 50, total: 1_500 },
    });
    expect(error.message).toContain('about 1500 tokens');
    expect(error.message).toContain("feature 'chat' accepts at most 1000");
  });
});

describe('enforce-limits stage: output cap', () => {
  test("uses the feature's cap when the caller gives no hint", () => {
    expect(capOutputTokens(testRequest(), limits)).toBe(512);
  });

  test('lowers the cap to a smaller hint', () => {
    expect(capOutputTokens(testRequest({ hints: { maxOutputTokens: 100 } }), limits)).toBe(100);
  });

  test('never raises the cap above the feature limit, whatever the hint', () => {
    expect(capOutputTokens(testRequest({ hints: { maxOutputTokens: 4_096 } }), limits)).toBe(512);
  });
});
