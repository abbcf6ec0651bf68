import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GuardsConfig, UsageLimitConfig } from '../../../../shared/contract';
import { DynamoDbLedgerGuard, LedgerEvent, NO_SPEND } from '../../../../lambda/pipeline/guards';
import { LocalDynamoDb, localClientConfig, startDynamoDbLocal } from '../../../../packages/local/src/services';
import { createLedgerTable } from '../../../../packages/local/src/services/ledger-table';
import { pipelineErrorOf } from '../support';
import { amount, counterOf, countersWithPrefix, ctx, NOW } from './ledger-support';

const TABLE = 'usage-ledger';
const USER_HOUR = 'user#iam%3Aacme/user-1#2026-12-01T09';
const TENANT_MONTH = 'tenant#iam%3Aacme#2026-12';

let dynamodb: LocalDynamoDb;
let client: DynamoDBClient;
let tableCounter = 0;
let table: string;

beforeAll(async () => {
  dynamodb = await startDynamoDbLocal();
  client = new DynamoDBClient({ ...localClientConfig(dynamodb.endpoint), requestHandler: { httpAgent: { maxSockets: 200 } } as never });
});

afterAll(async () => {
  client?.destroy();
  await dynamodb?.stop();
});

// A table of its own per test: counters never leak from one test into the next.
beforeEach(async () => {
  table = `${TABLE}-${++tableCounter}`;
  await createLedgerTable(client, table);
});

// DynamoDB Local serializes a hot item's updates at a few milliseconds each: 1,000 at once take seconds, so the
// concurrency tests give the ledger more time than the 1.5 s a Lambda gives DynamoDB, for its compensations (the
// withdrawals of a refused request's other reservations) as for its first writes: on a busy machine a withdrawal
// queued behind 1,000 updates took longer than the 5 s default and left its reservation counted. The test's own
// timeout (CONCURRENT_TEST_MS) stays above the ledger's, so a hang shows as the ledger's error, not jest's.
const CONCURRENT_TEST_MS = 180_000;
function ledger(usageLimits: UsageLimitConfig[], extra: Partial<GuardsConfig> & { onEvent?: (e: LedgerEvent) => void; client?: DynamoDBClient; timeoutMs?: number } = {}) {
  const { onEvent, client: other, timeoutMs = 120_000, ...guards } = extra;
  return new DynamoDbLedgerGuard({ client: other ?? client, tableName: table, guards: { usageLimits, ...guards }, onEvent, timeoutMs, confirmTimeoutMs: timeoutMs, refusalConfirmMs: timeoutMs });
}

describe('DynamoDbLedgerGuard against DynamoDB Local', () => {
  test('1,000 concurrent reservations of one user and one tenant never exceed the token or USD limit, and settle to the sum of the actuals', async () => {
    // Given a user limit of 60,000 tokens an hour and a tenant budget of $0.25 a month
    const guard = ledger([
      { scope: 'user', window: 'hour', maxTokens: 60_000 },
      { scope: 'tenant', window: 'month', maxCostUsd: 0.25 },
    ]);
    const perRequest = amount(300, 1000); // 300 tokens, $0.001 upper bound

    // When 1,000 requests reserve at once
    const outcomes = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => guard.reserve(ctx({ requestId: `r${i}` }), perRequest)));

    // Then no more are admitted than the tighter limit allows ($0.25 / $0.001 = 250), and each refusal is a 429
    const admitted = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ i, hold: o.value! }] : []));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(admitted.length).toBeLessThanOrEqual(250);
    expect(admitted.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.reason.status === 429 && r.reason.code === 'USAGE_LIMIT_EXCEEDED')).toBe(true);
    const tenantAfterReserve = await counterOf(client, table, TENANT_MONTH);
    expect(tenantAfterReserve!.costAtto).toBe(BigInt(admitted.length) * perRequest.costAtto);
    expect(tenantAfterReserve!.costAtto).toBeLessThanOrEqual(250n * perRequest.costAtto);

    // When every admitted request settles to what it used (less than reserved, each a different amount)
    const actualOf = (i: number) => amount(100 + (i % 50), 300 + (i % 7), i % 3);
    await Promise.all(admitted.map(({ i, hold }) => guard.settle(ctx({ requestId: `r${i}` }), hold, perRequest, actualOf(i), `converse:r${i}`)));

    // Then the counters are exactly the sums of the actuals, and the expiry buckets hold nothing
    const sum = admitted.reduce((s, { i }) => ({ tokens: s.tokens + actualOf(i).tokens, costAtto: s.costAtto + actualOf(i).costAtto, cacheRead: s.cacheRead + actualOf(i).cacheReadTokens }), { tokens: 0, costAtto: 0n, cacheRead: 0 });
    const user = await counterOf(client, table, USER_HOUR);
    const tenant = await counterOf(client, table, TENANT_MONTH);
    expect(user).toMatchObject({ tokens: sum.tokens, costAtto: sum.costAtto, cacheReadTokens: sum.cacheRead });
    expect(tenant).toMatchObject({ tokens: sum.tokens, costAtto: sum.costAtto, cacheReadTokens: sum.cacheRead });
    expect(Object.values(tenant!.buckets).every((v) => v === '0')).toBe(true);
  }, CONCURRENT_TEST_MS);

  test('1,000 concurrent speculative reservations count requests and tokens in one update, within both limits', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxRequests: 100, maxTokens: 10_000 }]);

    const outcomes = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => guard.reserve(ctx({ requestId: `s${i}` }), amount(150), true)));

    const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
    // 10,000 tokens / 150 = 66 reservations fit; 100 requests would
    expect(admitted).toBe(66);
    const user = await counterOf(client, table, USER_HOUR);
    expect(user).toMatchObject({ requests: admitted, tokens: admitted * 150 });
  }, CONCURRENT_TEST_MS);

  test('a sharded limit spreads the counter over its shards, each within its share, and the total never exceeds the limit', async () => {
    // Given 1,001 tokens over 4 shards: shares 251, 250, 250, 250
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 1_001, shards: 4 }]);

    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => guard.reserve(ctx({ requestId: `h${i}` }), amount(25))));

    const shards = await countersWithPrefix(client, table, `${TENANT_MONTH}#`);
    const total = shards.reduce((s, c) => s + c.tokens, 0);
    expect(shards).toHaveLength(4);
    expect(shards.every((c) => c.tokens <= 251)).toBe(true);
    expect(total).toBe(outcomes.filter((o) => o.status === 'fulfilled').length * 25);
    expect(total).toBeLessThanOrEqual(1_001);
    // 10 reservations of 25 fit in every share: all 40 are admitted
    expect(total).toBe(1_000);
  }, CONCURRENT_TEST_MS);

  test('a duplicate settlement changes nothing', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }]);
    const hold = await guard.reserve(ctx(), amount(1_000, 50));
    await guard.settle(ctx(), hold, amount(1_000, 50), amount(400, 20), 'converse:req-1');
    const once = await counterOf(client, table, USER_HOUR);

    await guard.settle(ctx(), hold, amount(1_000, 50), amount(400, 20), 'converse:req-1');

    expect(once).toMatchObject({ tokens: 400, costAtto: 20n * 10n ** 12n });
    expect(await counterOf(client, table, USER_HOUR)).toEqual(once);
  });

  test('a reservation never settled is given back once it expires, and reported', async () => {
    // Given a reservation of 9,000 of 10,000 tokens whose Lambda died before settling
    const events: LedgerEvent[] = [];
    const guard = ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }], { onEvent: (e) => events.push(e) });
    await guard.reserve(ctx({ requestId: 'dead' }), amount(9_000, 90));
    await expect(guard.reserve(ctx({ requestId: 'blocked', nowMs: NOW + 60_000 }), amount(2_000))).rejects.toMatchObject({ status: 429 });

    // When a request comes after the reservation's lifetime (16 minutes, rounded up to its 5-minute bucket)
    const later = ctx({ requestId: 'later', nowMs: NOW + 22 * 60_000 });
    const hold = await guard.reserve(later, amount(2_000));

    // Then the expired 9,000 were given back, the new reservation fits, and the release is reported
    expect(hold).toBeDefined();
    expect(await counterOf(client, table, USER_HOUR)).toMatchObject({ tokens: 2_000 });
    expect(events).toEqual([expect.objectContaining({ kind: 'holdsExpired', scope: 'user', window: 'hour', tokens: 9_000, costUsd: 0.00009 })]);
  });

  test('a settlement after its reservation expired and was given back charges what was billed in full (a hold that may end before its invocation)', async () => {
    // A 10-minute hold may be settled after its bucket ends (an invocation runs up to 15): its sweep keeps its id.
    // The default 16-minute hold cannot, and keeps none (ledger-settlement.test.ts).
    const guard = new DynamoDbLedgerGuard({ client, tableName: table, guards: { usageLimits: [{ scope: 'user', window: 'hour', maxTokens: 10_000 }] }, holdSeconds: 600 });
    const slow = await guard.reserve(ctx({ requestId: 'slow' }), amount(9_000));
    await guard.reserve(ctx({ requestId: 'later', nowMs: NOW + 22 * 60_000 }), amount(2_000));
    await guard.flush();
    expect(await counterOf(client, table, USER_HOUR)).toMatchObject({ tokens: 2_000 });

    await guard.settle(ctx({ requestId: 'slow' }), slow, amount(9_000), amount(700), 'converse:slow');

    expect(await counterOf(client, table, USER_HOUR)).toMatchObject({ tokens: 2_700 });
  });

  test('a request-rate limit counts a speculative reservation settled to nothing as a request with no tokens', async () => {
    const guard = ledger([{ scope: 'user', window: 'minute', maxRequests: 2 }, { scope: 'user', window: 'hour', maxTokens: 10_000 }]);

    for (const id of ['a', 'b']) {
      const hold = await guard.reserve(ctx({ requestId: id }), amount(500), true);
      await guard.settle(ctx({ requestId: id }), hold, amount(500), NO_SPEND, `converse:${id}`);
    }
    const third = await pipelineErrorOf(() => guard.reserve(ctx({ requestId: 'c' }), amount(500), true));

    expect(third.details).toMatchObject({ scope: 'user', window: 'minute', measure: 'requests', used: 2, limit: 2, retryAfterSeconds: 45 });
    expect(await counterOf(client, table, 'user#iam%3Aacme/user-1#2026-12-01T09:30')).toMatchObject({ requests: 2 });
    // The refused request's tokens were compensated on the hour counter
    expect(await counterOf(client, table, USER_HOUR)).toMatchObject({ tokens: 0 });
  });

  test('a refusal names the limit, the usage, the request and when to retry, like the container guard', async () => {
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 1_000 }]);
    await guard.reserve(ctx({ requestId: 'a' }), amount(800));

    const error = await pipelineErrorOf(() => guard.reserve(ctx({ requestId: 'b' }), amount(300)));

    expect(error.status).toBe(429);
    expect(error.details).toMatchObject({ scope: 'tenant', window: 'month', measure: 'tokens', used: 800, limit: 1_000, requested: 300, resetsAt: '2027-01-01T00:00:00.000Z' });
  });

  test('the hold reports the tightest limit left, for the rate-limit headers', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxRequests: 100, maxTokens: 10_000 }, { scope: 'tenant', window: 'month', maxCostUsd: 1 }]);

    const hold = await guard.reserve(ctx(), amount(4_000, 100_000), true);

    expect(guard.statusOf(hold!)).toEqual({ scope: 'user', window: 'hour', measure: 'tokens', limit: 10_000, remaining: 6_000, resetsAt: '2026-12-01T10:00:00.000Z' });
  });

  test('tenant tiers choose the monthly quota: enterprise 1,000,000 tokens, startup 100,000', async () => {
    const guard = ledger([
      { scope: 'tenant', window: 'month', maxTokens: 1_000_000, tier: 'enterprise' },
      { scope: 'tenant', window: 'month', maxTokens: 100_000, tier: 'startup' },
    ], { tenantTiers: { 'iam:big': 'enterprise' }, defaultTier: 'startup' });

    await expect(guard.reserve(ctx({ tenantId: 'iam:big' }), amount(500_000))).resolves.toBeDefined();
    const small = await pipelineErrorOf(() => guard.reserve(ctx({ tenantId: 'iam:small' }), amount(500_000)));

    expect(small.details).toMatchObject({ scope: 'tenant', measure: 'tokens', limit: 100_000 });
  });

  test('cache reads are counted apart and limit nothing', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxTokens: 1_000 }]);
    const hold = await guard.reserve(ctx(), amount(900));

    await guard.settle(ctx(), hold, amount(900), amount(100, 0, 50_000), 'converse:req-1');

    expect(await counterOf(client, table, USER_HOUR)).toMatchObject({ tokens: 100, cacheReadTokens: 50_000 });
    await expect(guard.reserve(ctx({ requestId: 'next' }), amount(900))).resolves.toBeDefined();
  });

  test('costs are exact to the attodollar however many settle', async () => {
    const guard = ledger([{ scope: 'tenant', window: 'month', maxCostUsd: 1_000_000 }]);
    const oddAtto = 123_456_789_012_345_678_901n; // $123.456789012345678901
    const reserved = { tokens: 1, cacheReadTokens: 0, costAtto: oddAtto * 2n };
    const holds = await Promise.all(Array.from({ length: 50 }, (_, i) => guard.reserve(ctx({ requestId: `x${i}` }), reserved)));

    await Promise.all(holds.map((h, i) => guard.settle(ctx({ requestId: `x${i}` }), h, reserved, { tokens: 1, cacheReadTokens: 0, costAtto: oddAtto }, `converse:x${i}`)));

    expect((await counterOf(client, table, TENANT_MONTH))!.costAtto).toBe(oddAtto * 50n);
  }, CONCURRENT_TEST_MS);
});

describe('DynamoDbLedgerGuard when the ledger is unreachable', () => {
  let closed: DynamoDBClient;
  beforeAll(() => {
    // A port nothing listens on (DynamoDB Local's, once it is stopped, is not known in advance: port 9 is discard).
    closed = new DynamoDBClient({ ...localClientConfig('http://127.0.0.1:9'), maxAttempts: 1 });
  });
  afterAll(() => closed.destroy());

  test('a request-rate limit fails open on a per-container count, and reports each time', async () => {
    const events: LedgerEvent[] = [];
    const guard = ledger([{ scope: 'user', window: 'minute', maxRequests: 2 }], { client: closed, onEvent: (e) => events.push(e) });

    await guard.admit(ctx({ requestId: 'a' }));
    await guard.reserve(ctx({ requestId: 'b' }), amount(100), true);
    const third = await pipelineErrorOf(() => guard.admit(ctx({ requestId: 'c' })));

    expect(third.details).toMatchObject({ scope: 'user', measure: 'requests', limit: 2 });
    expect(events.map((e) => e.kind)).toEqual(['failOpen', 'failOpen', 'failOpen']);
    expect(events[0]).toMatchObject({ scope: 'user', window: 'minute', tenantId: 'iam:acme', userId: 'user-1', error: expect.any(String) });
  });

  test('a token quota or a USD budget fails closed with 503, and reports it', async () => {
    const events: LedgerEvent[] = [];
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 100_000 }, { scope: 'feature', window: 'day', maxCostUsd: 10 }], { client: closed, onEvent: (e) => events.push(e) });

    const error = await pipelineErrorOf(() => guard.reserve(ctx(), amount(100)));

    expect(error.status).toBe(503);
    expect(error.code).toBe('USAGE_LEDGER_UNAVAILABLE');
    expect(error.details).toMatchObject({ retryAfterSeconds: 5 });
    expect(events.map((e) => [e.kind, e.scope])).toEqual([['failClosed', 'tenant'], ['failClosed', 'feature']]);
  });

  test('a quota configured to fail open is counted in the container instead', async () => {
    const events: LedgerEvent[] = [];
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 1_000, onLedgerUnavailable: 'open' }], { client: closed, onEvent: (e) => events.push(e) });

    const hold = await guard.reserve(ctx({ requestId: 'a' }), amount(800));
    const over = await pipelineErrorOf(() => guard.reserve(ctx({ requestId: 'b' }), amount(800)));
    await guard.settle(ctx({ requestId: 'a' }), hold, amount(800), amount(100), 'converse:a');
    const after = await guard.reserve(ctx({ requestId: 'c' }), amount(800));

    expect(over.details).toMatchObject({ measure: 'tokens', limit: 1_000 });
    expect(after).toBeDefined();
    expect(events.every((e) => e.kind === 'failOpen')).toBe(true);
  });
});
