import { MAX_PROMPT_CHARS } from '../../../../lambda/core';
import { PipelineError } from '../../../../lambda/pipeline/errors';
import { capOutputTokens, checkPromptLimit, enforcePromptLimit } from '../../../../lambda/pipeline/stages/enforce-limits';
import { estimateRequestTokens } from '../../../../lambda/pipeline/stages/estimate-tokens';
import { estimateOf, testRequest } from '../support';

const limits = { maxInputTokens: 1_000, maxOutputTokens: 512 };

/** A counter that records its calls and answers `tokens` (or throws it, when it is an Error). */
function counter(tokens: number | undefined | Error) {
  const calls: number[] = [];
  const count = async () => {
    calls.push(1);
    if (tokens instanceof Error) throw tokens;
    return tokens;
  };
  return { count, calls };
}

async function rejectionOf(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a PipelineError, nothing was thrown');
}

function thrownBy(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a PipelineError, nothing was thrown');
}

describe('checkPromptLimit', () => {
  test('passes a prompt whose bound is within the limit, without counting', async () => {
    // Given an estimate of 600 and a bound of exactly 1,000 tokens
    const { count, calls } = counter(5_000);
    const estimate = estimateOf({ system: 400, message: 200 }, { system: 500, message: 500 });

    // Then it passes and nothing is counted
    await expect(checkPromptLimit(estimate, limits, 'chat', count)).resolves.toBeUndefined();
    expect(calls).toHaveLength(0);
  });

  test('rejects a prompt whose estimate is above the limit with 413, without counting', async () => {
    // Given an estimate of 1,001 tokens (and a bound above it)
    const { count, calls } = counter(10);
    const estimate = estimateOf({ system: 400, message: 601 }, { system: 800, message: 1_200 });

    // When the limit is checked
    const error = await rejectionOf(checkPromptLimit(estimate, limits, 'chat', count));

    // Then it is a 413 on the estimate, and Bedrock was not asked
    expect(error.status).toBe(413);
    expect(error.code).toBe('PROMPT_TOO_LARGE');
    expect(error.details).toMatchObject({ measure: 'estimate', estimatedInputTokens: 1_001, boundInputTokens: 2_000, maxInputTokens: 1_000 });
    expect(error.message).toContain('about 1001 tokens');
    expect(error.message).toContain("feature 'chat' accepts at most 1000");
    expect(calls).toHaveLength(0);
  });

  test('passes a prompt between estimate and bound when Bedrock counts it within the limit', async () => {
    // Given an estimate of 900, a bound of 1,800, and a count of 950
    const { count, calls } = counter(950);
    const estimate = estimateOf({ context: 900 }, { context: 1_800 });

    // Then it passes with the counted number, after one count
    await expect(checkPromptLimit(estimate, limits, 'chat', count)).resolves.toBe(950);
    expect(calls).toHaveLength(1);
  });

  test('rejects a prompt between estimate and bound when Bedrock counts it above the limit', async () => {
    // Given an estimate of 900 and a count of 1,200
    const estimate = estimateOf({ context: 900 }, { context: 1_800 });

    const error = await rejectionOf(checkPromptLimit(estimate, limits, 'chat', counter(1_200).count));

    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'count', countedInputTokens: 1_200, estimatedInputTokens: 900, maxInputTokens: 1_000 });
    expect(error.message).toContain('1200 tokens as Bedrock counts them');
  });

  test.each([
    ['no counter is given', undefined],
    ['the model cannot be counted', counter(undefined).count],
    ['the counter throws', counter(new Error('socket hang up')).count],
  ])('fails closed between estimate and bound when %s: 413 on the bound', async (_, count) => {
    // Given an estimate within the limit and a bound above it
    const estimate = estimateOf({ context: 900 }, { context: 1_800 });

    const error = await rejectionOf(checkPromptLimit(estimate, limits, 'chat', count));

    // Then it is rejected, and the caller is told that the bound decided
    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'bound', boundInputTokens: 1_800, estimatedInputTokens: 900 });
    expect(error.message).toContain('may be up to 1800 tokens (about 900 by estimate)');
    expect(error.message).toContain('its upper bound was used');
  });

  test('rejects a prompt over the character cap first, whatever its tokens, without counting', async () => {
    // Given a prompt one character over the cap, with token figures well within the limit
    const { count, calls } = counter(1);
    const estimate = estimateOf({ message: 10 }, { message: 10 }, MAX_PROMPT_CHARS + 1);

    const error = await rejectionOf(checkPromptLimit(estimate, { ...limits, maxInputTokens: 10_000_000 }, 'chat', count));

    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'characters', characters: MAX_PROMPT_CHARS + 1, maxCharacters: MAX_PROMPT_CHARS });
    expect(calls).toHaveLength(0);
  });

  test("rejects the issue's 172,000 punctuation characters under a 50,000-token limit", async () => {
    // Given a message of punctuation the central estimate puts under the limit
    const message = Array.from({ length: 172_000 }, (_, i) => '.,!?-~^'[(i * 7919) % 7]).join('');
    const estimate = estimateRequestTokens(testRequest({ message }), undefined);
    expect(estimate.total).toBeLessThan(50_000);

    // When the limit is checked without a counter
    const error = await rejectionOf(checkPromptLimit(estimate, { maxInputTokens: 50_000, maxOutputTokens: 512 }, 'chat'));

    // Then the bound rejects it
    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'bound' });
  });
});

describe('enforcePromptLimit (no counting)', () => {
  test('lets a prompt whose bound is exactly at the limit through', () => {
    expect(() => enforcePromptLimit(estimateOf({ system: 400, message: 600 }), limits, 'chat')).not.toThrow();
  });

  test('rejects a prompt whose bound is over the limit even when the estimate is within it', () => {
    const error = thrownBy(() => enforcePromptLimit(estimateOf({ message: 900 }, { message: 1_001 }), limits, 'chat'));

    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'bound', estimatedInputTokens: 900, boundInputTokens: 1_001 });
  });

  test('tells the caller the estimate, the bound, the limit and the size of each part', () => {
    // Given a prompt of 1,500 tokens, most of it context
    const estimate = estimateOf({ system: 100, context: 1_200, history: 150, message: 50 });

    const error = thrownBy(() => enforcePromptLimit(estimate, limits, 'chat'));

    expect(error.details).toEqual({
      measure: 'estimate',
      estimatedInputTokens: 1_500,
      boundInputTokens: 1_500,
      maxInputTokens: 1_000,
      parts: estimate,
    });
    expect(error.message).toContain('about 1500 tokens');
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
