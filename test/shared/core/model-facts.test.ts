import { DEFAULT_MODEL_CATALOG, DEFAULT_FALLBACK_PRICE, mergeCatalog, modelFacts, modelShortName } from '../../../shared/core';

const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';

describe('modelFacts', () => {
  it("puts the catalog's limits together with what the id says", () => {
    const listed = DEFAULT_MODEL_CATALOG[HAIKU_45];

    expect(modelFacts(`eu.${HAIKU_45}`)).toEqual({
      modelId: HAIKU_45,
      known: true,
      provider: listed.provider,
      name: listed.name,
      family: 'anthropic',
      geography: 'eu',
      batchFormat: 'anthropic',
      kind: 'text',
      contextWindow: listed.contextWindow,
      maxOutputTokens: listed.maxOutputTokens,
      minCacheTokens: listed.minCacheTokens,
    });
  });

  it('gives every catalog model its own entry', () => {
    for (const [id, price] of Object.entries(DEFAULT_MODEL_CATALOG)) {
      const facts = modelFacts(id);
      expect({ id, known: facts.known, window: facts.contextWindow, min: facts.minCacheTokens, max: facts.maxOutputTokens })
        .toEqual({ id, known: true, window: price.contextWindow, min: price.minCacheTokens, max: price.maxOutputTokens });
    }
  });

  it("gives an unknown model the fallback's context window and no prompt caching", () => {
    const facts = modelFacts('mistral.mistral-large-2402-v1:0');

    expect(facts).toMatchObject({ known: false, provider: 'mistral', name: 'mistral-large-2402', family: 'mistral', contextWindow: DEFAULT_FALLBACK_PRICE.contextWindow });
    expect(facts.minCacheTokens).toBeUndefined();
  });

  it('reads the catalog in force, so an override of the limits is seen', () => {
    const catalog = mergeCatalog(DEFAULT_MODEL_CATALOG, { [HAIKU_45]: { ...DEFAULT_MODEL_CATALOG[HAIKU_45], minCacheTokens: 2_048 } });

    expect(modelFacts(HAIKU_45, catalog).minCacheTokens).toBe(2_048);
  });
});

describe('modelShortName', () => {
  it("is the catalog's name for a known model, the tag value the runtime reports", () => {
    expect(modelShortName('meta.llama3-70b-instruct-v1:0')).toBe(DEFAULT_MODEL_CATALOG['meta.llama3-70b-instruct-v1:0'].name);
  });

  it('is derived from the id for an unknown model', () => {
    expect(modelShortName('anthropic.claude-next-20270101-v1:0')).toBe('claude-next');
  });
});
