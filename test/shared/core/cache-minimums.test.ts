import { DEFAULT_MODEL_CATALOG } from '../../../shared/core/model-catalog';
import { modelFacts } from '../../../shared/core/model-facts';

/**
 * The minimum tokens per cache checkpoint of every model the catalog gives prompt caching, as documented, with the
 * source each figure was read from (2026-12-06). A model that caches on Bedrock but is missing here fails the last test,
 * so a new entry must bring its documented minimum.
 */
const DOCUMENTED: ReadonlyArray<readonly [modelId: string, minCacheTokens: number, source: string]> = [
  ['anthropic.claude-3-5-haiku-20241022-v1:0', 2_048, 'Bedrock prompt-caching table; Anthropic prompt-caching page (Haiku 3.5: 2,048)'],
  ['anthropic.claude-3-7-sonnet-20250219-v1:0', 1_024, 'Bedrock prompt-caching page (Claude 3.7 Sonnet: 1,024 per checkpoint)'],
  ['anthropic.claude-sonnet-4-20250514-v1:0', 1_024, 'Bedrock model card, Claude Sonnet 4: min tokens per cache checkpoint 1,024'],
  ['anthropic.claude-sonnet-4-5-20250929-v1:0', 1_024, 'Bedrock model card, Claude Sonnet 4.5: 1,024; Anthropic prompt-caching page: 1,024'],
  ['anthropic.claude-haiku-4-5-20251001-v1:0', 4_096, 'Bedrock model card, Claude Haiku 4.5: 4,096'],
  ['anthropic.claude-opus-4-20250514-v1:0', 1_024, 'Anthropic prompt-caching page (Opus 4: 1,024)'],
  ['anthropic.claude-opus-4-1-20250805-v1:0', 1_024, 'Anthropic prompt-caching page (Opus 4.1: 1,024)'],
  ['anthropic.claude-opus-4-5-20251101-v1:0', 4_096, 'Anthropic prompt-caching page (Opus 4.5 and 4.6: 4,096)'],
  ['anthropic.claude-opus-4-6-v1', 4_096, 'Anthropic prompt-caching page (Opus 4.5 and 4.6: 4,096)'],
  ['anthropic.claude-sonnet-4-6', 1_024, 'Anthropic prompt-caching page, current (Sonnet 4.6: 1,024; older copies said 2,048)'],
  ['amazon.nova-micro-v1:0', 1_000, 'Bedrock prompt-caching table (Nova: 1K per checkpoint)'],
  ['amazon.nova-lite-v1:0', 1_000, 'Bedrock prompt-caching table (Nova: 1K per checkpoint)'],
  ['amazon.nova-pro-v1:0', 1_000, 'Bedrock prompt-caching table (Nova: 1K per checkpoint)'],
  ['amazon.nova-premier-v1:0', 1_000, 'Bedrock prompt-caching table (Nova: 1K per checkpoint)'],
  ['amazon.nova-2-lite-v1:0', 1_000, 'Nova figure of the Bedrock prompt-caching table, assumed for the second generation'],
];

describe('prompt-cache minimums', () => {
  test.each(DOCUMENTED)('%s caches from %i tokens per checkpoint (%s)', (modelId, documented) => {
    expect(DEFAULT_MODEL_CATALOG[modelId].minCacheTokens).toBe(documented);
    expect(modelFacts(modelId).minCacheTokens).toBe(documented);
  });

  test('a 1,024-token Claude Sonnet 4.5 prefix is cacheable, through any profile', () => {
    // The runtime adds a cache point when the prefix reaches the minimum; 4,096 here left 1,024-4,095 tokens uncached.
    for (const id of ['anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0']) {
      expect({ id, min: modelFacts(id).minCacheTokens }).toEqual({ id, min: 1_024 });
    }
  });

  test('every model the catalog gives a cache minimum has a documented one in this table', () => {
    const cached = Object.entries(DEFAULT_MODEL_CATALOG).filter(([, p]) => p.minCacheTokens !== undefined).map(([id]) => id).sort();
    expect(cached).toEqual(DOCUMENTED.map(([id]) => id).sort());
  });
});
