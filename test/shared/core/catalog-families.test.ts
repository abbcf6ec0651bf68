import { DEFAULT_FALLBACK_PRICE, DEFAULT_MODEL_CATALOG, lookupModel } from '../../../shared/core/model-catalog';

/** Models a Bedrock user commonly runs that fell back to the Opus-class price before (5-100x too high). */
const COMMON: ReadonlyArray<readonly [modelId: string, kind: 'text' | 'embedding', input: number, output: number]> = [
  ['mistral.mistral-large-3-675b-instruct', 'text', 0.5, 1.5],
  ['mistral.pixtral-large-2502-v1:0', 'text', 2, 6],
  ['mistral.magistral-small-2509', 'text', 0.5, 1.5],
  ['mistral.ministral-3-8b-instruct', 'text', 0.15, 0.15],
  ['cohere.embed-english-v3', 'embedding', 0.1, 0],
  ['cohere.embed-multilingual-v3', 'embedding', 0.1, 0],
  ['cohere.embed-v4:0', 'embedding', 0.12, 0],
  ['amazon.nova-2-multimodal-embeddings-v1:0', 'embedding', 0.135, 0],
  ['amazon.titan-embed-text-v2:0', 'embedding', 0.02, 0],
  ['openai.gpt-oss-120b-1:0', 'text', 0.15, 0.6],
  ['openai.gpt-oss-20b-1:0', 'text', 0.07, 0.3],
  ['deepseek.v3-v1:0', 'text', 0.58, 1.68],
  ['qwen.qwen3-235b-a22b-2507-v1:0', 'text', 0.22, 0.88],
  // models.dev's amazon-bedrock entry, the cited source ($0.45 input before, which no cited source said).
  ['qwen.qwen3-coder-480b-a35b-v1:0', 'text', 0.22, 1.8],
  ['meta.llama4-maverick-17b-instruct-v1:0', 'text', 0.24, 0.97],
];

describe('catalog coverage of common Bedrock families', () => {
  test.each(COMMON)('%s is priced from the catalog, not the fallback', (modelId, kind, input, output) => {
    const found = lookupModel(modelId);
    expect(found.known).toBe(true);
    expect([found.price.kind, found.price.inputPerMillion, found.price.outputPerMillion]).toEqual([kind, input, output]);
    expect(found.price.inputPerMillion).toBeLessThan(DEFAULT_FALLBACK_PRICE.inputPerMillion);
  });

  test('Nova 2 Lite costs the global price on global. and 10% more on a geographic profile', () => {
    expect(lookupModel('global.amazon.nova-2-lite-v1:0').price.inputPerMillion).toBe(0.3);
    expect(lookupModel('us.amazon.nova-2-lite-v1:0').price.inputPerMillion).toBe(0.33);
    expect(lookupModel('us.amazon.nova-2-lite-v1:0').price.outputPerMillion).toBe(2.75);
    // Nova cache ratios: reads a quarter of the input price, writes at the input price.
    expect(lookupModel('global.amazon.nova-2-lite-v1:0').price.cacheReadPerMillion).toBe(0.075);
  });

  test('embedding models have no output price and text models a maximum output', () => {
    for (const [id, price] of Object.entries(DEFAULT_MODEL_CATALOG)) {
      if (price.kind === 'embedding') expect({ id, output: price.outputPerMillion }).toEqual({ id, output: 0 });
      else expect({ id, hasMax: price.maxOutputTokens !== undefined }).toEqual({ id, hasMax: true });
    }
  });
});
