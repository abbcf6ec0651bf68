import { buildPrompt } from '../../../../lambda/pipeline/stages/prompt-cache';
import { estimateOf, testRequest } from '../support';

const SYSTEM = 'You are the support assistant of Example Corp.';
const CACHE_POINT = { cachePoint: { type: 'default' } };

describe('prompt-cache stage: buildPrompt', () => {
  test('places a cache point after the system prompt when it reaches the model minimum', () => {
    // Given a system prompt estimated at exactly the model's 1,024-token minimum
    const prompt = buildPrompt(testRequest(), SYSTEM, estimateOf({ system: 1_024, message: 10 }), 1_024);

    // Then the system block is followed by a cache point
    expect(prompt.system).toEqual([{ text: SYSTEM }, CACHE_POINT]);
    expect(prompt.cachePoints).toBe(1);
  });

  test('places no cache point after a system prompt below the minimum', () => {
    const prompt = buildPrompt(testRequest(), SYSTEM, estimateOf({ system: 1_023, message: 10 }), 1_024);

    expect(prompt.system).toEqual([{ text: SYSTEM }]);
    expect(prompt.cachePoints).toBe(0);
  });

  test('places a cache point after the context when system and context together reach the minimum', () => {
    // Given a system prompt of 600 and a context of 500 tokens: neither alone reaches 1,024, together they do
    const request = testRequest({ context: 'Refunds take 30 days.' });

    const prompt = buildPrompt(request, SYSTEM, estimateOf({ system: 600, context: 500 }), 1_024);

    // Then only the context is followed by a cache point
    expect(prompt.system).toEqual([
      { text: SYSTEM },
      { text: 'Use this knowledge-base context to answer:\n<context>\nRefunds take 30 days.\n</context>' },
      CACHE_POINT,
    ]);
    expect(prompt.cachePoints).toBe(1);
  });

  test('places cache points after both system prompt and context when each prefix is large enough', () => {
    const request = testRequest({ context: 'Refunds take 30 days.' });

    const prompt = buildPrompt(request, SYSTEM, estimateOf({ system: 2_000, context: 3_000 }), 1_024);

    expect(prompt.system.map((block) => ('cachePoint' in block ? 'cache' : 'text'))).toEqual(['text', 'cache', 'text', 'cache']);
    expect(prompt.cachePoints).toBe(2);
  });

  test('places a cache point after a large context even without a system prompt', () => {
    const request = testRequest({ context: 'Refunds take 30 days.' });

    const prompt = buildPrompt(request, undefined, estimateOf({ context: 5_000 }), 4_096);

    expect(prompt.system).toHaveLength(2);
    expect(prompt.system[1]).toEqual(CACHE_POINT);
  });

  test('places no cache point at all for a model without prompt caching', () => {
    // Given a huge system prompt and context, and a model with no minimum (no caching)
    const request = testRequest({ context: 'Refunds take 30 days.' });

    const prompt = buildPrompt(request, SYSTEM, estimateOf({ system: 50_000, context: 50_000 }), undefined);

    expect(prompt.system.some((block) => 'cachePoint' in block)).toBe(false);
    expect(prompt.cachePoints).toBe(0);
  });

  test('sends no system blocks when there is neither system prompt nor context', () => {
    const prompt = buildPrompt(testRequest(), undefined, estimateOf({ message: 10 }), 1_024);

    expect(prompt.system).toEqual([]);
  });

  test('sends the history in order with the new message as the last user turn', () => {
    const request = testRequest({
      history: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello! How can I help?' }],
      message: 'How do I reset my password?',
    });

    const prompt = buildPrompt(request, undefined, estimateOf({ message: 10 }), undefined);

    expect(prompt.messages).toEqual([
      { role: 'user', content: [{ text: 'Hi' }] },
      { role: 'assistant', content: [{ text: 'Hello! How can I help?' }] },
      { role: 'user', content: [{ text: 'How do I reset my password?' }] },
    ]);
  });
});
