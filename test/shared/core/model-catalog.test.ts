import {
  DEFAULT_FALLBACK_PRICE,
  DEFAULT_MODEL_CATALOG,
  DEFAULT_TIER_MODELS,
  MODEL_TIERS,
  ModelCatalog,
  ModelPrice,
  baseModelId,
  lookupModel,
  mergeCatalog,
} from '../../../shared/core';
import { ARTICLE_PRICES } from '../../fixtures/article-prices';

const HAIKU_3 = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET_45 = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

describe('baseModelId', () => {
  it.each([
    ['us.anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['eu.anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['apac.anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['jp.anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['au.anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['ca.anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['us-gov.anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', SONNET_45],
    ['anthropic.claude-3-haiku-20240307-v1:0', HAIKU_3],
    ['  amazon.nova-micro-v1:0  ', 'amazon.nova-micro-v1:0'],
  ])('strips the profile prefix of %s', (input, expected) => {
    expect(baseModelId(input)).toBe(expected);
  });

  it('takes the model id out of a foundation-model ARN', () => {
    expect(baseModelId(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU_3}`)).toBe(HAIKU_3);
  });

  it('takes the base model id out of a cross-Region inference profile ARN', () => {
    expect(baseModelId(`arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.${SONNET_45}`)).toBe(SONNET_45);
    expect(baseModelId(`arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.${SONNET_45}`)).toBe(SONNET_45);
  });

  it('keeps the opaque id of an application inference profile ARN, which names no model', () => {
    expect(baseModelId('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4')).toBe('a1b2c3d4');
  });

  it('does not mistake a provider name for a prefix', () => {
    expect(baseModelId('us-east-1.something')).toBe('us-east-1.something');
  });
});

describe('lookupModel', () => {
  it('finds a model by its inference profile id and reports the base id', () => {
    const found = lookupModel(`us.${HAIKU_3}`);
    expect(found).toEqual({ modelId: HAIKU_3, price: DEFAULT_MODEL_CATALOG[HAIKU_3], known: true });
  });

  it('finds a model by its ARN', () => {
    const found = lookupModel(`arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.${HAIKU_3}`);
    expect(found.known).toBe(true);
    expect(found.price.name).toBe('claude-3-haiku');
  });

  it('falls back to the fallback price, known=false, for an unknown model', () => {
    const found = lookupModel('us.acme.super-model-v9:0');
    expect(found.known).toBe(false);
    expect(found.modelId).toBe('acme.super-model-v9:0');
    expect(found.price).toBe(DEFAULT_FALLBACK_PRICE);
  });

  it('never prices an unknown model at $0', () => {
    const { price } = lookupModel('mistral.unknown-model');
    expect(price.inputPerMillion).toBeGreaterThan(0);
    expect(price.outputPerMillion).toBeGreaterThan(0);
    expect(price.cacheReadPerMillion).toBeGreaterThan(0);
    expect(price.cacheWrite5mPerMillion).toBeGreaterThan(0);
  });

  it('prices unknown models at least as high as the dearest known model, so they are not under-reported', () => {
    const prices = Object.values(DEFAULT_MODEL_CATALOG);
    expect(DEFAULT_FALLBACK_PRICE.inputPerMillion).toBeGreaterThanOrEqual(Math.max(...prices.map((p) => p.inputPerMillion)));
    expect(DEFAULT_FALLBACK_PRICE.outputPerMillion).toBeGreaterThanOrEqual(Math.max(...prices.map((p) => p.outputPerMillion)));
    expect(DEFAULT_FALLBACK_PRICE.batchDiscount).toBeUndefined();
  });

  it('uses the fallback given by the caller', () => {
    const fallback: ModelPrice = { ...DEFAULT_FALLBACK_PRICE, name: 'house-fallback', inputPerMillion: 99 };
    expect(lookupModel('x.y', DEFAULT_MODEL_CATALOG, fallback).price).toBe(fallback);
  });

  it('prefers an entry keyed by the exact id given, such as an application inference profile ARN', () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4';
    const catalog = mergeCatalog(DEFAULT_MODEL_CATALOG, { [arn]: { ...DEFAULT_MODEL_CATALOG[HAIKU_3] } });
    expect(lookupModel(arn, catalog)).toEqual({ modelId: arn, price: catalog[arn], known: true });
  });

  it('charges the ~10% regional premium on geographic profiles of Claude 4.5 models, not on global ones', () => {
    const global = lookupModel(`global.${SONNET_45}`).price;
    const geo = lookupModel(`us.${SONNET_45}`).price;
    const inRegion = lookupModel(SONNET_45).price;
    expect([global.inputPerMillion, global.outputPerMillion]).toEqual([3, 15]);
    expect([geo.inputPerMillion, geo.outputPerMillion]).toEqual([3.3, 16.5]);
    expect(geo.cacheReadPerMillion).toBe(0.33);
    expect(geo.cacheWrite5mPerMillion).toBe(4.125);
    expect(geo.cacheWrite1hPerMillion).toBe(6.6);
    expect(inRegion).toEqual(geo);
    // The premium is folded in once and not carried on, so it cannot be applied twice.
    expect(geo.regionalPremium).toBeUndefined();
    expect(global.regionalPremium).toBeUndefined();
  });

  it('leaves models without a regional premium unchanged on every profile', () => {
    expect(lookupModel(`eu.${HAIKU_3}`).price).toBe(DEFAULT_MODEL_CATALOG[HAIKU_3]);
  });
});

describe('DEFAULT_MODEL_CATALOG', () => {
  const entries = Object.entries(DEFAULT_MODEL_CATALOG);

  it('covers the models the article names and the current families', () => {
    const names = new Set(entries.map(([, p]) => p.name));
    for (const name of [
      'claude-3-haiku', 'claude-3-sonnet', 'claude-3-5-sonnet', 'claude-3-opus', 'titan-text-express',
      'llama-3-70b-instruct', 'titan-embed-text-v1', 'titan-embed-text-v2',
      'claude-3-5-haiku', 'claude-3-7-sonnet', 'claude-sonnet-4', 'claude-sonnet-4-5', 'claude-haiku-4-5',
      'claude-opus-4', 'claude-opus-4-1', 'claude-opus-4-5',
      'nova-micro', 'nova-lite', 'nova-pro', 'nova-premier',
      'llama-3-1-8b-instruct', 'llama-3-1-70b-instruct', 'llama-3-3-70b-instruct',
      'llama-4-scout-17b-instruct', 'llama-4-maverick-17b-instruct',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('is keyed by base model ids and has unique Model tag values', () => {
    for (const [id] of entries) {
      expect(baseModelId(id)).toBe(id);
    }
    expect(new Set(entries.map(([, p]) => p.name)).size).toBe(entries.length);
  });

  it('has tag-safe provider and name values', () => {
    for (const [, price] of entries) {
      expect(price.provider).toMatch(/^[a-z]+$/);
      expect(price.name).toMatch(/^[a-z0-9.-]+$/);
    }
  });

  it('prices output at 0 exactly for embedding models and above input for text models', () => {
    for (const [id, price] of entries) {
      expect({ id, positiveInput: price.inputPerMillion > 0 }).toEqual({ id, positiveInput: true });
      if (price.kind === 'embedding') {
        expect({ id, output: price.outputPerMillion }).toEqual({ id, output: 0 });
      } else {
        expect({ id, outputAtLeastInput: price.outputPerMillion >= price.inputPerMillion }).toEqual({ id, outputAtLeastInput: true });
      }
    }
  });

  it('declares cache prices for every model that supports prompt caching', () => {
    for (const [id, price] of entries.filter(([, p]) => p.minCacheTokens !== undefined)) {
      expect({ id, read: price.cacheReadPerMillion !== undefined, write: price.cacheWrite5mPerMillion !== undefined })
        .toEqual({ id, read: true, write: true });
    }
  });

  it('uses Bedrock multipliers for Claude cache prices: read 0.1x, 5-minute write 1.25x, 1-hour write 2x', () => {
    for (const [id, price] of entries.filter(([, p]) => p.provider === 'anthropic' && p.cacheReadPerMillion !== undefined)) {
      expect({ id, read: price.cacheReadPerMillion, write5m: price.cacheWrite5mPerMillion }).toEqual({
        id,
        read: Math.round(price.inputPerMillion * 0.1 * 1e9) / 1e9,
        write5m: Math.round(price.inputPerMillion * 1.25 * 1e9) / 1e9,
      });
      if (price.cacheWrite1hPerMillion !== undefined) {
        expect({ id, write1h: price.cacheWrite1hPerMillion }).toEqual({ id, write1h: price.inputPerMillion * 2 });
      }
    }
  });

  it('prices Nova cache reads 75% off and cache writes at the input price', () => {
    const novaMicro = DEFAULT_MODEL_CATALOG['amazon.nova-micro-v1:0'];
    expect(novaMicro.cacheReadPerMillion).toBe(0.00875);
    expect(novaMicro.cacheWrite5mPerMillion).toBe(0.035);
    expect(novaMicro.minCacheTokens).toBe(1000);
  });

  it('offers the 1-hour cache TTL only on the models Bedrock allows it for', () => {
    const oneHour = entries.filter(([, p]) => p.cacheWrite1hPerMillion !== undefined).map(([, p]) => p.name).sort();
    expect(oneHour).toEqual(['claude-haiku-4-5', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-sonnet-4-5', 'claude-sonnet-4-6']);
  });

  it('records the minimum cacheable tokens per checkpoint', () => {
    const min = (name: string) => entries.find(([, p]) => p.name === name)?.[1].minCacheTokens;
    expect(min('claude-3-7-sonnet')).toBe(1024);
    expect(min('claude-sonnet-4')).toBe(1024);
    expect(min('claude-opus-4')).toBe(1024);
    expect(min('claude-opus-4-1')).toBe(1024);
    expect(min('claude-3-5-haiku')).toBe(2048);
    expect(min('claude-haiku-4-5')).toBe(4096);
    expect(min('claude-opus-4-5')).toBe(4096);
    expect(min('claude-sonnet-4-5')).toBe(1024); // the Bedrock model card and Anthropic's docs (see cache-minimums.test.ts)
    expect(min('nova-pro')).toBe(1000);
    // No prompt caching on Bedrock: the Claude 3 family, Llama and Titan.
    for (const name of ['claude-3-haiku', 'claude-3-sonnet', 'claude-3-opus', 'claude-3-5-sonnet', 'llama-3-1-70b-instruct', 'titan-text-express']) {
      expect({ name, min: min(name) }).toEqual({ name, min: undefined });
    }
  });

  it('records the maximum output of every text model', () => {
    for (const [id, price] of entries.filter(([, p]) => p.kind === 'text')) {
      expect({ id, maxOutput: Number.isSafeInteger(price.maxOutputTokens) && price.maxOutputTokens! > 0 }).toEqual({ id, maxOutput: true });
      expect({ id, fitsWindow: price.maxOutputTokens! <= price.contextWindow }).toEqual({ id, fitsWindow: true });
    }
  });

  it('gives Claude 3 Haiku a 4,096-token and the Claude 4.5 models a 64,000-token maximum output', () => {
    const maxOutput = (name: string) => entries.find(([, p]) => p.name === name)?.[1].maxOutputTokens;
    expect(maxOutput('claude-3-haiku')).toBe(4_096);
    for (const name of ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5']) expect({ name, max: maxOutput(name) }).toEqual({ name, max: 64_000 });
  });

  it('gives Claude Sonnet 4.6 the documented 64,000-token maximum output and Opus 4.6 128,000', () => {
    // Anthropic's models overview: Sonnet 4.6 64K, Opus 4.6 128K (a table's 128,000 for Sonnet 4.6 is not documented).
    expect(DEFAULT_MODEL_CATALOG['anthropic.claude-sonnet-4-6'].maxOutputTokens).toBe(64_000);
    expect(DEFAULT_MODEL_CATALOG['anthropic.claude-opus-4-6-v1'].maxOutputTokens).toBe(128_000);
  });

  it('has no cache prices for Claude 3.5 Sonnet (June 2024), which never had prompt caching on Bedrock', () => {
    const sonnet35 = DEFAULT_MODEL_CATALOG['anthropic.claude-3-5-sonnet-20240620-v1:0'];
    expect([sonnet35.cacheReadPerMillion, sonnet35.cacheWrite5mPerMillion, sonnet35.minCacheTokens]).toEqual([undefined, undefined, undefined]);
  });

  it('adds no cache points for Claude 3.5 Sonnet v2, whose caching stayed in preview, but can price its cache tokens', () => {
    const v2 = DEFAULT_MODEL_CATALOG['anthropic.claude-3-5-sonnet-20241022-v2:0'];
    expect(v2.minCacheTokens).toBeUndefined();
    expect(v2.cacheReadPerMillion).toBe(Math.round(v2.inputPerMillion * 0.1 * 1e9) / 1e9);
  });

  it("carries current prices, not the article's where Bedrock has changed them", () => {
    for (const id of ['meta.llama3-70b-instruct-v1:0', 'anthropic.claude-3-5-sonnet-20240620-v1:0']) {
      expect({ id, same: DEFAULT_MODEL_CATALOG[id].inputPerMillion === ARTICLE_PRICES[id].inputPerMillion }).toEqual({ id, same: false });
    }
  });

  it('is frozen, so no request can change a price for the next one', () => {
    expect(Object.isFrozen(DEFAULT_MODEL_CATALOG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_MODEL_CATALOG[HAIKU_3])).toBe(true);
    expect(Object.isFrozen(DEFAULT_TIER_MODELS)).toBe(true);
  });
});

describe('DEFAULT_TIER_MODELS', () => {
  it('maps simple, medium and complex to the current Claude Haiku, Sonnet and Opus', () => {
    expect(DEFAULT_TIER_MODELS).toEqual({
      simple: 'anthropic.claude-haiku-4-5-20251001-v1:0',
      medium: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
      complex: 'anthropic.claude-opus-4-5-20251101-v1:0',
    });
  });

  it('names only catalog models, dearer as the tier rises', () => {
    const prices = MODEL_TIERS.map((tier) => lookupModel(DEFAULT_TIER_MODELS[tier]));
    expect(prices.every((p) => p.known)).toBe(true);
    expect(prices[0].price.inputPerMillion).toBeLessThan(prices[1].price.inputPerMillion);
    expect(prices[1].price.outputPerMillion).toBeLessThan(prices[2].price.outputPerMillion);
  });
});

describe('mergeCatalog', () => {
  const negotiated: ModelPrice = { ...DEFAULT_MODEL_CATALOG[HAIKU_3], inputPerMillion: 0.2 };

  it('replaces and adds entries without touching the base catalog', () => {
    const custom: ModelPrice = { provider: 'mistral', name: 'mistral-large', kind: 'text', inputPerMillion: 4, outputPerMillion: 12, contextWindow: 128_000 };
    const merged = mergeCatalog(DEFAULT_MODEL_CATALOG, { [HAIKU_3]: negotiated, 'mistral.mistral-large-2402-v1:0': custom });
    expect(merged[HAIKU_3].inputPerMillion).toBe(0.2);
    expect(lookupModel('us.mistral.mistral-large-2402-v1:0', merged)).toMatchObject({ known: true, price: custom });
    expect(merged[SONNET_45]).toBe(DEFAULT_MODEL_CATALOG[SONNET_45]);
    expect(DEFAULT_MODEL_CATALOG[HAIKU_3].inputPerMillion).toBe(0.25);
  });

  it('freezes copies and leaves the caller\'s objects alone', () => {
    const overrides: Record<string, ModelPrice> = { [HAIKU_3]: { ...negotiated } };
    const merged = mergeCatalog(DEFAULT_MODEL_CATALOG, overrides);
    expect(Object.isFrozen(merged[HAIKU_3])).toBe(true);
    expect(Object.isFrozen(overrides[HAIKU_3])).toBe(false);
  });

  it.each<[string, Partial<ModelPrice>, RegExp]>([
    ['a negative price', { inputPerMillion: -1 }, /inputPerMillion must be a finite number >= 0.*got -1/],
    ['a non-finite price', { cacheReadPerMillion: Number.NaN }, /cacheReadPerMillion.*got NaN/],
    ['a discount given as a percentage', { batchDiscount: 50 }, /batchDiscount must be a fraction in \[0, 1\).*got 50/],
    ['a fractional context window', { contextWindow: 1.5 }, /contextWindow must be a positive integer/],
    ['an unknown kind', { kind: 'image' as never }, /kind must be 'text' or 'embedding'/],
    ['an empty name', { name: '' }, /name must be a non-empty string/],
  ])('fails when an override has %s', (_case, change, message) => {
    const bad = { ...negotiated, ...change } as ModelPrice;
    const overrides: ModelCatalog = { [HAIKU_3]: bad };
    expect(() => mergeCatalog(DEFAULT_MODEL_CATALOG, overrides)).toThrow(message);
    expect(() => mergeCatalog(DEFAULT_MODEL_CATALOG, overrides)).toThrow(new RegExp(HAIKU_3.replace(/[.:-]/g, '\\$&')));
  });
});
