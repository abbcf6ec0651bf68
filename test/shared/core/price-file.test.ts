import { lookupModel, parsePriceFile, priceUsage } from '../../../shared/core';

const HAIKU_3 = 'anthropic.claude-3-haiku-20240307-v1:0';
const entry = { provider: 'anthropic', name: 'claude-3-haiku', kind: 'text', inputPerMillion: 0.25, outputPerMillion: 1.25, contextWindow: 200_000 };

describe('parsePriceFile', () => {
  it('reads the models into a frozen catalog that prices like any other', () => {
    const catalog = parsePriceFile({ description: 'negotiated', models: { [HAIKU_3]: { ...entry, source: 'our contract' } } });

    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog[HAIKU_3])).toBe(true);
    expect(catalog[HAIKU_3]).toEqual(entry);
    expect(priceUsage({ inputTokens: 1_000_000 }, lookupModel(`us.${HAIKU_3}`, catalog).price).totalUsd).toBe(0.25);
  });

  it('drops the documentation-only source field', () => {
    expect(parsePriceFile({ models: { [HAIKU_3]: { ...entry, source: 'x' } } })[HAIKU_3]).not.toHaveProperty('source');
  });

  it.each<[string, unknown, RegExp]>([
    ['is not an object', [], /prices\.json: expected an object with "models", got an array/],
    ['has an unknown top-level field', { models: {}, currency: 'EUR' }, /unknown field "currency"/],
    ['has no models', { description: 'x' }, /"models" must be an object keyed by base model id/],
    ['misspells a price field', { models: { [HAIKU_3]: { ...entry, cacheReadPerMilion: 0.03 } } }, /"anthropic\.claude-3-haiku-20240307-v1:0" has an unknown field "cacheReadPerMilion"/],
    ['has a negative price', { models: { [HAIKU_3]: { ...entry, inputPerMillion: -1 } } }, /prices\.json: model price for "anthropic\.claude-3-haiku-20240307-v1:0": inputPerMillion must be a finite number >= 0/],
    ['lacks the context window', { models: { [HAIKU_3]: { ...entry, contextWindow: undefined } } }, /contextWindow must be a positive integer/],
    ['has a source that is not text', { models: { [HAIKU_3]: { ...entry, source: 1 } } }, /source must be a string/],
  ])('fails when the file %s', (_case, json, message) => {
    expect(() => parsePriceFile(json, 'prices.json')).toThrow(message);
  });
});
