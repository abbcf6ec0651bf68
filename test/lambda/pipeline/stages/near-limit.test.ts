import { NearLimitConfig } from '../../../../shared/contract';
import { PipelineError } from '../../../../lambda/pipeline/errors';
import type { LimitStatus } from '../../../../lambda/pipeline/guards/spend-guard';
import { effectiveCatalog } from '../../../../lambda/pipeline/stages/price-call';
import {
  afterRetry, cacheOnlyRefusal, checkNearLimitConfig, cheaperRoute, degradedHeaderValue, flexApplies, nearLimitOf, refusedLimitOf, usedShare,
} from '../../../../lambda/pipeline/stages/near-limit';
import { ContainerUsageGuard, limitExceeded } from '../../../../lambda/pipeline/guards/container-usage-guard';
import { CHAT_LIMITS, testConfig } from '../support';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const RESETS = '2027-01-01T00:00:00.000Z';

function status(measure: LimitStatus['measure'], limit: number, remaining: number): LimitStatus {
  return { scope: 'tenant', window: 'month', measure, limit, remaining, resetsAt: RESETS };
}

const CHEAPER: NearLimitConfig = { action: 'cheaperTier', atShare: 0.8, tier: 'simple', atLimit: 'refuse' };

describe('usedShare', () => {
  test.each([
    [100, 100, 0],
    [100, 20, 0.8],
    [100, 0, 1],
    [10, 2.5, 0.75],
  ])('limit %p with %p left has used %p', (limit, remaining, share) => {
    expect(usedShare({ limit, remaining })).toBeCloseTo(share, 12);
  });

  test('a limit of nothing is all used', () => {
    expect(usedShare({ limit: 0, remaining: 0 })).toBe(1);
  });
});

describe('nearLimitOf', () => {
  test('degrades from the share on, with this reservation counted', () => {
    expect(nearLimitOf(CHEAPER, status('costUsd', 10, 2.01))).toBeUndefined();
    expect(nearLimitOf(CHEAPER, status('costUsd', 10, 2))?.degraded).toEqual({ action: 'cheaper-tier', limit: 'tenant/month/costUsd', usedShare: 0.8 });
    expect(nearLimitOf(CHEAPER, status('tokens', 1000, 10))?.degraded).toMatchObject({ limit: 'tenant/month/tokens', usedShare: 0.99 });
  });

  test('a request-rate limit never degrades, nor does a feature without a policy', () => {
    expect(nearLimitOf(CHEAPER, status('requests', 10, 0))).toBeUndefined();
    expect(nearLimitOf(undefined, status('costUsd', 10, 0))).toBeUndefined();
    expect(nearLimitOf(CHEAPER, undefined)).toBeUndefined();
  });
});

describe('refusedLimitOf', () => {
  const refusal = limitExceeded({ scope: 'tenant', window: 'month' }, 'costUsd', 9.5, 10, Date.parse(RESETS), NOW, 1.2);

  test('at the limit only atLimit degrade applies, and only to a token or USD refusal', () => {
    expect(refusedLimitOf(CHEAPER, refusal)).toBeUndefined();
    expect(refusedLimitOf({ ...CHEAPER, atLimit: 'degrade' }, refusal)?.degraded).toEqual({ action: 'cheaper-tier', limit: 'tenant/month/costUsd', usedShare: 0.95 });
    const requests = limitExceeded({ scope: 'tenant', window: 'day' }, 'requests', 10, 10, Date.parse(RESETS), NOW);
    expect(refusedLimitOf({ ...CHEAPER, atLimit: 'degrade' }, requests)).toBeUndefined();
    expect(refusedLimitOf({ ...CHEAPER, atLimit: 'degrade' }, new PipelineError(503, 'LEDGER_UNAVAILABLE', 'x'))).toBeUndefined();
  });

  test('after a retry on a cheaper bound the share is the one that reservation left on the same limit', () => {
    const near = refusedLimitOf({ ...CHEAPER, atLimit: 'degrade' }, refusal)!;
    expect(afterRetry(near, status('costUsd', 10, 0.3)).degraded.usedShare).toBeCloseTo(0.97, 12);
    expect(afterRetry(near, { ...status('tokens', 10, 0), scope: 'user' })).toBe(near);
  });
});

describe('the actions', () => {
  const config = testConfig();

  test('cheaperTier caps the route at its tier, and leaves a route already no dearer', () => {
    const near = nearLimitOf(CHEAPER, status('costUsd', 10, 1))!;
    const complex = { tier: 'complex' as const, ...config.tiers.complex!, reasons: ['long'] };
    const simple = { tier: 'simple' as const, ...config.tiers.simple!, reasons: [] };
    expect(cheaperRoute(complex, CHEAPER, config, near)).toMatchObject({ tier: 'simple', modelId: config.tiers.simple!.modelId, reasons: ['long', 'capped at simple (near limit tenant/month/costUsd (90 % used))'] });
    expect(cheaperRoute(simple, CHEAPER, config, near)).toBe(simple);
  });

  test('flex applies only to a model the catalog gives a Flex price', () => {
    const catalog = effectiveCatalog(config);
    expect(flexApplies('amazon.nova-pro-v1:0', catalog, config)).toBe(true);
    expect(flexApplies(config.tiers.simple!.modelId, catalog, config)).toBe(false);
  });

  test('cacheOnly refuses a miss with the limit, its share and when it resets', () => {
    const error = cacheOnlyRefusal(nearLimitOf({ ...CHEAPER, action: 'cacheOnly' }, status('costUsd', 10, 1.7))!, NOW, 'chat');
    expect(error).toMatchObject({ status: 429, code: 'NEAR_LIMIT_CACHE_ONLY', details: { limit: 'tenant/month/costUsd', usedShare: 0.83, resetsAt: RESETS } });
    expect(error.details.retryAfterSeconds).toBe((Date.parse(RESETS) - NOW) / 1000);
    expect(error.message).toMatch(/cache only near its tenant\/month\/costUsd limit \(83 % used\)/);
  });

  test('the header names the action, the limit and the share to two decimals', () => {
    expect(degradedHeaderValue({ action: 'flex', limit: 'user/day/tokens', usedShare: 0.8349 })).toBe('flex; limit=user/day/tokens; used=0.83');
    expect(degradedHeaderValue({ action: 'cheaper-tier', limit: 'tenant/month/costUsd', usedShare: 1 })).toBe('cheaper-tier; limit=tenant/month/costUsd; used=1.00');
  });
});

describe('the runtime checks the policy it is given', () => {
  test.each([
    [{ action: 'cheaper', atShare: 0.8, atLimit: 'refuse' }, /action 'cheaper'/],
    [{ action: 'flex', atShare: 0, atLimit: 'refuse' }, /atShare 0; use a share in \(0, 1\]/],
    [{ action: 'flex', atShare: 1.5, atLimit: 'refuse' }, /atShare 1.5/],
    [{ action: 'flex', atShare: 0.8, atLimit: 'later' }, /atLimit 'later'/],
    [{ action: 'cheaperTier', atShare: 0.8, atLimit: 'refuse', tier: 'tiny' }, /tier 'tiny'/],
  ])('%p is refused', (nearLimit, message) => {
    expect(() => checkNearLimitConfig('chat', nearLimit as unknown as NearLimitConfig)).toThrow(message);
    expect(() => testConfig({ features: { chat: { ...CHAT_LIMITS, nearLimit: nearLimit as unknown as NearLimitConfig } } })).toThrow(message);
  });

  test('a well-formed policy passes', () => {
    expect(testConfig({ features: { chat: { ...CHAT_LIMITS, nearLimit: CHEAPER } } }).features.chat.nearLimit).toEqual(CHEAPER);
  });
});

describe('the guards report the tightest token or USD limit a reservation left', () => {
  test('the container guard: request limits left out, the least share left wins', async () => {
    const guard = new ContainerUsageGuard([
      { scope: 'tenant', window: 'day', maxRequests: 1 },
      { scope: 'tenant', window: 'month', maxTokens: 1000 },
      { scope: 'user', window: 'day', maxCostUsd: 1 },
    ]);
    const context = { requestId: 'r1', tenantId: 't', userId: 'u', feature: 'chat', path: 'converse' as const, nowMs: NOW };
    await guard.admit(context);
    const hold = await guard.reserve(context, { tokens: 850, cacheReadTokens: 0, costAtto: 100_000_000_000_000_000n });
    const near = nearLimitOf(CHEAPER, guard.spendStatusOf(hold!));
    expect(near?.degraded).toEqual({ action: 'cheaper-tier', limit: 'tenant/month/tokens', usedShare: 0.85 });
    expect(near?.status.resetsAt).toBe(RESETS);
  });
});
