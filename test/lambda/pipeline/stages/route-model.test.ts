import { fallbackTiers, routeModel } from '../../../../lambda/pipeline/stages/route-model';
import { FAST_RETRY, GLOBAL_TIERS, HAIKU_45, testConfig, testRequest } from '../support';

const threeTiers = testConfig();
const { simple, medium, complex } = GLOBAL_TIERS;

describe('route-model stage', () => {
  test('sends every request to the only configured model, even one hinted complex', () => {
    // Given a workflow with one model
    const config = testConfig({ tiers: { simple } });

    // When a request asks for the complex tier
    const route = routeModel(testRequest({ hints: { complexity: 'complex' } }), config, 10);

    // Then it goes to the only model
    expect(route).toEqual({ tier: 'simple', invokeId: `global.${HAIKU_45}`, modelId: `global.${HAIKU_45}`, reasons: ['single model configured'] });
  });

  test('by default a hint cannot raise the tier: a one-line question hinted complex stays on the simple tier', () => {
    // Given a short FAQ question the classifier sends to the simple tier, hinted complex
    const request = testRequest({ message: 'What are your opening hours?', hints: { complexity: 'complex' } });

    // When it is routed with the default feature settings
    const route = routeModel(request, threeTiers, 10);

    // Then the hint is ignored, and the reasons say so
    expect(route.tier).toBe('simple');
    expect(route.reasons.join(' ')).toContain('hint complex ignored');
  });

  test('a hint may always lower the tier', () => {
    const request = testRequest({ message: 'Think through step by step why our invoices doubled.', hints: { complexity: 'simple' } });

    const route = routeModel(request, threeTiers, 17);

    expect(route.tier).toBe('simple');
    expect(route.reasons.join(' ')).toContain('cheaper simple tier');
  });

  test("a feature's maxHintedTier lets a hint raise the tier up to it, and no further", () => {
    const allowMedium = testConfig({ features: { chat: { maxInputTokens: 50_000, maxOutputTokens: 1024, maxHintedTier: 'medium' } } });
    const allowComplex = testConfig({ features: { chat: { maxInputTokens: 50_000, maxOutputTokens: 1024, maxHintedTier: 'complex' } } });
    const request = testRequest({ message: 'What are your opening hours?', hints: { complexity: 'complex' } });

    expect(routeModel(request, allowMedium, 10).tier).toBe('medium');
    expect(routeModel(request, allowMedium, 10).reasons.join(' ')).toContain('capped at medium');
    expect(routeModel(request, allowComplex, 10)).toMatchObject({ tier: 'complex', invokeId: complex.invokeId });
  });

  test('routes a short FAQ question to the simple tier', () => {
    const route = routeModel(testRequest({ message: 'What are your opening hours?' }), threeTiers, 11);

    expect(route.tier).toBe('simple');
    expect(route.modelId).toBe(simple.modelId);
  });

  test('routes a request to compare things to the medium tier, saying which marker fired', () => {
    const route = routeModel(testRequest({ message: 'Compare the Basic and Pro plans for a team of ten.' }), threeTiers, 16);

    expect(route.tier).toBe('medium');
    expect(route.reasons.join(' ')).toContain('"compare"');
  });

  test('routes a step-by-step reasoning request to the complex tier', () => {
    const route = routeModel(testRequest({ message: 'Think through step by step why our invoices doubled.' }), threeTiers, 17);

    expect(route.tier).toBe('complex');
  });

  test('routes a long message to the complex tier by its estimated length', () => {
    // Given a plain message estimated at 4,000 tokens (the classifier's complexMinTokens)
    const route = routeModel(testRequest({ message: 'Please look at this.' }), threeTiers, 4_000);

    expect(route.tier).toBe('complex');
  });

  test('uses the nearest cheaper configured tier when the chosen one has no model', () => {
    // Given simple and complex tiers only, and a request the classifier calls medium
    const config = testConfig({ tiers: { simple, complex } });

    // When it is routed
    const route = routeModel(testRequest({ message: 'Compare the Basic and Pro plans for a team of ten.' }), config, 16);

    // Then it goes to simple (cheaper) rather than complex, and says why
    expect(route.tier).toBe('simple');
    expect(route.reasons).toContain('tier medium not configured, using simple');
  });

  test('uses the nearest dearer tier when no cheaper one is configured', () => {
    // Given medium and complex tiers only, and a simple request
    const config = testConfig({ tiers: { medium, complex } });

    const route = routeModel(testRequest({ message: 'What are your opening hours?' }), config, 11);

    expect(route.tier).toBe('medium');
    expect(route.reasons).toContain('tier simple not configured, using medium');
  });
});

describe('fallbackTiers', () => {
  test('falls back from complex to medium, then simple', () => {
    expect(fallbackTiers('complex', threeTiers)).toEqual(['medium', 'simple']);
  });

  test('has nowhere to go from the cheapest tier', () => {
    expect(fallbackTiers('simple', threeTiers)).toEqual([]);
  });

  test('never falls back to a dearer tier by default', () => {
    expect(fallbackTiers('medium', threeTiers)).toEqual(['simple']);
  });

  test('falls back upward only after the cheaper tiers when fallbackUpward is set', () => {
    const config = testConfig({ retry: { ...FAST_RETRY, fallbackUpward: true } });

    expect(fallbackTiers('medium', config)).toEqual(['simple', 'complex']);
    expect(fallbackTiers('simple', config)).toEqual(['medium', 'complex']);
  });

  test('skips tiers without a model', () => {
    const config = testConfig({ tiers: { simple, complex } });

    expect(fallbackTiers('complex', config)).toEqual(['simple']);
  });
});
