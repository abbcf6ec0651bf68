import { estimateWorkload, parseWorkload } from '../../estimator';

/**
 * A prefix between Claude Sonnet 4.5's documented cache minimum (1,024 tokens, model card) and the 4,096 the catalog
 * once held: caching it saves money, where the estimator used to show $0. The figures are worked by hand below.
 */
describe('prompt caching of a ~2,000-token Claude Sonnet 4.5 prefix', () => {
  const workload = {
    requests: { perDay: 10_000 },
    tokens: { systemPrompt: 2_000, userInput: 100, output: 10 },
    model: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    promptCache: { parts: ['systemPrompt'] },
  };

  test('saves $52.0128 a day at 10,000 requests a day through global.', () => {
    const e = estimateWorkload(parseWorkload(workload));
    const caching = e.levers.find((l) => l.lever === 'promptCaching')!;

    // Global prices: $3 input, $15 output, $0.30 cache read, $3.75 5-minute cache write per million tokens.
    // Uncached: 10,000 x 2,100 input ($63) + 10,000 x 10 output ($1.50) = $64.50 a day.
    expect(e.baseline.perDayUsd).toBe(64.5);
    // Cached, one write per 5-minute window (288 a day), the other 9,712 calls read:
    // writes 288 x 2,000 x $3.75 ($2.16) + reads 9,712 x 2,000 x $0.30 ($5.8272) + 10,000 x 100 input ($3) + output
    // ($1.50) = $12.4872 a day.
    expect(e.optimized.perDayUsd).toBe(12.4872);
    expect(caching.savingPerDayUsd).toBe(52.0128);
    expect(e.notes.join('\n')).not.toMatch(/caches prefixes of at least/);
  });
});
