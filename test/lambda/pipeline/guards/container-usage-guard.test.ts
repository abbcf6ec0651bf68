import { ContainerUsageGuard, NO_SPEND, SpendAmount, SpendContext, windowOf } from '../../../../lambda/pipeline/guards';
import { PipelineError } from '../../../../lambda/pipeline/errors';
import { pipelineErrorOf } from '../support';

const NOW = Date.UTC(2026, 11, 1, 9, 30, 15);
const context = (overrides: Partial<SpendContext> = {}): SpendContext => ({
  requestId: 'req-1', tenantId: 'iam:acme', userId: 'user-1', feature: 'chat', path: 'converse', nowMs: NOW, ...overrides,
});
const amount = (tokens: number, usd = 0): SpendAmount => ({ tokens, cacheReadTokens: 0, costAtto: BigInt(Math.round(usd * 1e6)) * 10n ** 12n });

describe('usage windows', () => {
  test.each<['minute' | 'hour' | 'day' | 'month', string, number]>([
    ['minute', '2026-12-01T09:30', Date.UTC(2026, 11, 1, 9, 31)],
    ['hour', '2026-12-01T09', Date.UTC(2026, 11, 1, 10)],
    ['day', '2026-12-01', Date.UTC(2026, 11, 2)],
    ['month', '2026-12', Date.UTC(2027, 0, 1)],
  ])('a %s window is aligned to the UTC calendar', (window, id, endsAtMs) => {
    expect(windowOf(window, NOW)).toEqual({ id, endsAtMs });
  });
});

describe('ContainerUsageGuard', () => {
  test('counts requests at admit and refuses the one over the limit with 429 and the time to the window end', async () => {
    const guard = new ContainerUsageGuard([{ scope: 'user', window: 'minute', maxRequests: 2 }]);
    await guard.admit(context());
    await guard.admit(context());

    const error = await pipelineErrorOf(() => guard.admit(context()));

    expect(error.status).toBe(429);
    expect(error.details).toMatchObject({ scope: 'user', window: 'minute', measure: 'requests', used: 2, limit: 2, retryAfterSeconds: 45 });
  });

  test('keeps users, tenants and features apart, and starts again in the next window', async () => {
    const guard = new ContainerUsageGuard([{ scope: 'user', window: 'minute', maxRequests: 1 }]);
    await guard.admit(context());

    await expect(guard.admit(context({ userId: 'user-2' }))).resolves.toBeUndefined();
    await expect(guard.admit(context({ tenantId: 'iam:other' }))).resolves.toBeUndefined();
    await expect(guard.admit(context())).rejects.toBeInstanceOf(PipelineError);
    await expect(guard.admit(context({ nowMs: NOW + 60_000 }))).resolves.toBeUndefined();
  });

  test('reserves tokens and dollars together, all or none, and refuses what does not fit', async () => {
    const tenantTokens = { scope: 'tenant' as const, window: 'month' as const, maxTokens: 1_000 };
    const featureDollars = { scope: 'feature' as const, window: 'day' as const, maxCostUsd: 0.01 };
    const guard = new ContainerUsageGuard([tenantTokens, featureDollars]);
    await guard.reserve(context(), amount(600, 0.004));

    // 600 + 500 tokens is over the tenant's 1,000, although the dollars would fit
    const error = await pipelineErrorOf(() => guard.reserve(context({ requestId: 'req-2' }), amount(500, 0.004)));

    expect(error.details).toMatchObject({ scope: 'tenant', measure: 'tokens', used: 600, requested: 500, limit: 1_000 });
    // Nothing of the refused request was counted on the feature's dollars either: only the first one's $0.004
    expect(guard.usage(featureDollars, context())).toMatchObject({ costAtto: 4n * 10n ** 15n });
    expect(guard.usage(tenantTokens, context())).toMatchObject({ tokens: 600 });
  });

  test('settles a reservation to what was billed, once per idempotency key', async () => {
    const limit = { scope: 'tenant' as const, window: 'month' as const, maxTokens: 1_000, maxCostUsd: 1 };
    const guard = new ContainerUsageGuard([limit]);
    const hold = await guard.reserve(context(), amount(900, 0.5));

    await guard.settle(context(), hold, amount(900, 0.5), amount(120, 0.01), 'converse:req-1');
    await guard.settle(context(), hold, amount(900, 0.5), amount(120, 0.01), 'converse:req-1');

    expect(guard.usage(limit, context())).toMatchObject({ tokens: 120, costAtto: 10n ** 16n });
  });

  test('settling to nothing gives the whole reservation back', async () => {
    const limit = { scope: 'workflow' as const, window: 'hour' as const, maxTokens: 100 };
    const guard = new ContainerUsageGuard([limit]);
    const hold = await guard.reserve(context(), amount(100));

    await guard.settle(context(), hold, amount(100), NO_SPEND, 'converse:req-1');

    await expect(guard.reserve(context({ requestId: 'req-2' }), amount(100))).resolves.toBeDefined();
  });

  test('under 1,000 concurrent reservations, what is admitted never exceeds the token or the dollar limit', async () => {
    const limit = { scope: 'tenant' as const, window: 'month' as const, maxTokens: 50_000, maxCostUsd: 0.75 };
    const guard = new ContainerUsageGuard([limit]);
    // Each request may use up to 70 tokens and $0.0011: tokens would allow 714 requests, dollars 681
    const outcomes = await Promise.allSettled(Array.from({ length: 1_000 }, (_, i) => guard.reserve(context({ requestId: `r${i}` }), amount(70, 0.0011))));

    const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
    const usage = guard.usage(limit, context())!;
    expect(admitted).toBe(681);
    expect(usage.tokens).toBeLessThanOrEqual(limit.maxTokens);
    expect(usage.costAtto).toBeLessThanOrEqual(750_000_000_000_000_000n);
    expect(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason.code === 'USAGE_LIMIT_EXCEEDED')).toBe(true);
  });
});
