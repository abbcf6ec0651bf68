import { MAX_PROMPT_CHARS } from '../../../../shared/core';
import { capOutputTokens, checkPromptLimit, enforcePromptLimit } from '../../../../lambda/pipeline/stages/enforce-limits';
import { estimateRequestTokens, floorRequestTokens } from '../../../../lambda/pipeline/stages/estimate-tokens';
import { estimateOf, pipelineErrorOf, pipelineErrorThrownBy, testRequest } from '../support';

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

describe('checkPromptLimit', () => {
  test('passes a prompt whose bound is within the limit, without counting or computing the floor', async () => {
    // Given an estimate of 600 and a bound of exactly 1,000 tokens
    const { count, calls } = counter(5_000);
    const floor = jest.fn(() => 5_000);
    const estimate = estimateOf({ system: 400, message: 200 }, { system: 500, message: 500 });

    // Then it passes and nothing is counted
    await expect(checkPromptLimit(estimate, limits, 'chat', { count, floor })).resolves.toBeUndefined();
    expect(calls).toHaveLength(0);
    expect(floor).not.toHaveBeenCalled();
  });

  test('rejects a prompt whose floor is above the limit with 413, without counting, stating the floor as "at least"', async () => {
    // Given a lower bound of 1,001 tokens (and a bound above it)
    const { count, calls } = counter(10);
    const estimate = estimateOf({ system: 400, message: 601 }, { system: 800, message: 1_200 });

    // When the limit is checked
    const error = await pipelineErrorOf(() => checkPromptLimit(estimate, limits, 'chat', { count, floor: () => 1_001 }));

    // Then it is a 413 on the floor, and Bedrock was not asked
    expect(error.status).toBe(413);
    expect(error.code).toBe('PROMPT_TOO_LARGE');
    expect(error.details).toMatchObject({ measure: 'floor', floorInputTokens: 1_001, boundInputTokens: 2_000, maxInputTokens: 1_000 });
    expect(error.message).toContain('at least 1001 tokens');
    expect(error.message).toContain("feature 'chat' accepts at most 1000");
    expect(calls).toHaveLength(0);
  });

  test('asks Bedrock, not the central estimate, when the estimate is over the limit but the floor is not', async () => {
    // Given the case: an estimate of 1,400 (prose the estimate over-counts), a floor of 700 and a count of 990
    const { count, calls } = counter(990);
    const estimate = estimateOf({ message: 1_400 }, { message: 2_000 });

    // Then it passes with the counted number, after one count
    await expect(checkPromptLimit(estimate, limits, 'chat', { count, floor: () => 700 })).resolves.toBe(990);
    expect(calls).toHaveLength(1);
  });

  test('passes a prompt between the bounds when Bedrock counts it within the limit', async () => {
    // Given an estimate of 900, a bound of 1,800, and a count of 950
    const { count, calls } = counter(950);
    const estimate = estimateOf({ context: 900 }, { context: 1_800 });

    // Then it passes with the counted number, after one count
    await expect(checkPromptLimit(estimate, limits, 'chat', { count, floor: () => 600 })).resolves.toBe(950);
    expect(calls).toHaveLength(1);
  });

  test('rejects a prompt between the bounds when Bedrock counts it above the limit', async () => {
    // Given an estimate of 900 and a count of 1,200
    const estimate = estimateOf({ context: 900 }, { context: 1_800 });

    const error = await pipelineErrorOf(() => checkPromptLimit(estimate, limits, 'chat', { count: counter(1_200).count, floor: () => 600 }));

    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'count', countedInputTokens: 1_200, estimatedInputTokens: 900, maxInputTokens: 1_000 });
    expect(error.message).toContain('1200 tokens as Bedrock counts them');
  });

  test.each([
    ['no counter is given', undefined],
    ['the model cannot be counted', counter(undefined).count],
    ['Bedrock says the model does not support counting', async () => ({ kind: 'unsupported' as const, reason: 'ValidationException: The provided model does not support counting tokens.' })],
  ])('fails closed between the bounds when %s: 413 saying the size could not be confirmed, with no size', async (_, count) => {
    // Given an estimate within the limit and a bound above it
    const estimate = estimateOf({ context: 900 }, { context: 1_800 });

    const error = await pipelineErrorOf(() => checkPromptLimit(estimate, limits, 'chat', { count, floor: () => 600 }));

    // Then it is rejected as unconfirmed, and the message states neither the bound nor the estimate as the size
    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'unconfirmed', boundInputTokens: 1_800, estimatedInputTokens: 900 });
    expect(error.message).toContain('could not be confirmed');
    expect(error.message).toContain("feature 'chat' accepts at most 1000 tokens");
    expect(error.message).not.toMatch(/1800|900|about/);
  });

  test.each([
    ['the counter throws', counter(new Error('socket hang up')).count],
    ['CountTokens was throttled', async () => ({ kind: 'unavailable' as const, reason: 'ThrottlingException: Too many requests' })],
  ])('answers 503 with a retry time, not 413, between the bounds when %s', async (_, count) => {
    // Given an estimate within the limit and a bound above it, and a counter that cannot answer now
    const estimate = estimateOf({ context: 900 }, { context: 1_800 });

    const error = await pipelineErrorOf(() => checkPromptLimit(estimate, limits, 'chat', { count, floor: () => 600 }));

    // Then the caller is told to retry (nothing charged), not to shorten the prompt, and no size is stated
    expect(error.status).toBe(503);
    expect(error.code).toBe('TOKEN_COUNT_UNAVAILABLE');
    expect(error.details).toMatchObject({ retryAfterSeconds: 2, charged: false, maxInputTokens: 1_000 });
    expect(error.message).not.toMatch(/[Ss]horten|1800|900/);
  });

  test('rejects a prompt over the character cap first, whatever its tokens, without counting', async () => {
    // Given a prompt one character over the cap, with token figures well within the limit
    const { count, calls } = counter(1);
    const estimate = estimateOf({ message: 10 }, { message: 10 }, MAX_PROMPT_CHARS + 1);

    const error = await pipelineErrorOf(() => checkPromptLimit(estimate, { ...limits, maxInputTokens: 10_000_000 }, 'chat', { count }));

    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'characters', characters: MAX_PROMPT_CHARS + 1, maxCharacters: MAX_PROMPT_CHARS });
    expect(calls).toHaveLength(0);
  });

  test("rejects the issue's 172,000 punctuation characters under a 50,000-token limit when they cannot be counted", async () => {
    // Given a message of punctuation the central estimate puts under the limit
    const message = Array.from({ length: 172_000 }, (_, i) => '.,!?-~^'[(i * 7919) % 7]).join('');
    const request = testRequest({ message });
    const estimate = estimateRequestTokens(request, undefined);
    expect(estimate.total).toBeLessThan(50_000);

    // When the limit is checked without a counter
    const error = await pipelineErrorOf(() => checkPromptLimit(estimate, { maxInputTokens: 50_000, maxOutputTokens: 512 }, 'chat', {
      floor: () => floorRequestTokens(request, undefined),
    }));

    // Then it fails closed
    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'unconfirmed' });
  });
});

describe('enforcePromptLimit (no counting)', () => {
  test('lets a prompt whose bound is exactly at the limit through', () => {
    expect(() => enforcePromptLimit(estimateOf({ system: 400, message: 600 }), limits, 'chat')).not.toThrow();
  });

  test('rejects a prompt whose bound is over the limit even when the estimate is within it, as unconfirmed', () => {
    const error = pipelineErrorThrownBy(() => enforcePromptLimit(estimateOf({ message: 900 }, { message: 1_001 }), limits, 'chat'));

    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ measure: 'unconfirmed', estimatedInputTokens: 900, boundInputTokens: 1_001 });
  });

  test('tells the caller the floor, the estimate, the bound, the limit and the size of each part', () => {
    // Given a prompt of 1,500 tokens, most of it context, at least 1,200 of them certain
    const estimate = estimateOf({ system: 100, context: 1_200, history: 150, message: 50 });

    const error = pipelineErrorThrownBy(() => enforcePromptLimit(estimate, limits, 'chat', () => 1_200));

    expect(error.details).toEqual({
      measure: 'floor',
      estimatedInputTokens: 1_500,
      boundInputTokens: 1_500,
      floorInputTokens: 1_200,
      maxInputTokens: 1_000,
      parts: estimate,
    });
    expect(error.message).toContain('at least 1200 tokens');
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
