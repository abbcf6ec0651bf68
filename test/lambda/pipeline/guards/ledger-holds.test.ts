import { AttributeValue, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { UsageLimitConfig } from '../../../../shared/contract';
import { ContainerUsageGuard, DynamoDbLedgerGuard, NO_SPEND } from '../../../../lambda/pipeline/guards';
import { dynamoDbOperation } from '../../../support/fault-proxy';
import { pipelineErrorOf } from '../support';
import { amount, counterOf, ctx, NOW, useLedgerBehindProxy } from './ledger-support';

/*
 * Each reservation is one hold, settled once (findings 6 and 8 of issue 14): the settlement goes by the hold's id,
 * not the request's, and a reservation write whose outcome is unknown is withdrawn or fenced by its hold id.
 * DynamoDB Local behind a loopback proxy that delays requests: a write reaches the table after the client gave up.
 */

const USER_HOUR = 'user#iam%3Aacme/user-1#2026-12-01T09';
const USER_DAY = 'user#iam%3Aacme/user-1#2026-12-01';

const db = useLedgerBehindProxy('ledger-holds');

function ledger(usageLimits: UsageLimitConfig[], options: { timeoutMs?: number; confirmTimeoutMs?: number; refusalConfirmMs?: number } = {}) {
  return new DynamoDbLedgerGuard({
    client: db.proxied, tableName: db.table, guards: { usageLimits }, timeoutMs: options.timeoutMs ?? 10_000, confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
    // Generous unless a test says otherwise: these tests are about what is withdrawn, not how long it may take.
    refusalConfirmMs: options.refusalConfirmMs ?? 10_000,
  });
}

/** The hold-id sets of a counter (live `h…s`, fenced `h…x`), by attribute. */
async function holdSetsOf(key: string): Promise<Record<string, string[]>> {
  const { Item = {} } = await db.direct.send(new GetItemCommand({ TableName: db.table, Key: { pk: { S: key } }, ConsistentRead: true }));
  return Object.fromEntries(Object.entries(Item).filter(([name]) => /^[hk][0-9a-z]+[sx]$/.test(name)).map(([name, value]) => [name, value.SS ?? []]));
}

/** Delays the first `count` requests of DynamoDB operation `operation` by `delayMs` (they still reach the table). */
function delayFirst(operation: string, count: number, delayMs: number): void {
  let seen = 0;
  db.proxy.rule = (request) => (dynamoDbOperation(request) === operation && seen++ < count ? { delayMs } : undefined);
}

describe('ledger holds: one reservation, one settlement', () => {
  test('a retry under the same request id settles its own billed call after the throttled attempt settled to nothing', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }]);
    const retry = ctx({ requestId: 'lambda-request-1' });

    // The first attempt: reserved, throttled, settled to nothing under the request's key
    const first = await guard.reserve(retry, amount(1_000, 50));
    await guard.settle(retry, first, amount(1_000, 50), NO_SPEND, 'converse:lambda-request-1');
    // Lambda's retry, the same request id: reserved again, billed 292 tokens
    const second = await guard.reserve(retry, amount(1_000, 50));
    await guard.settle(retry, second, amount(1_000, 50), amount(292, 7), 'converse:lambda-request-1');

    expect(await counterOf(db.direct, db.table, USER_HOUR)).toMatchObject({ tokens: 292, costAtto: 7n * 10n ** 12n });
    expect(await holdSetsOf(USER_HOUR)).toEqual({});
    // A duplicate delivery of either settlement changes nothing
    await guard.settle(retry, second, amount(1_000, 50), amount(292, 7), 'converse:lambda-request-1');
    await guard.settle(retry, first, amount(1_000, 50), NO_SPEND, 'converse:lambda-request-1');
    expect(await counterOf(db.direct, db.table, USER_HOUR)).toMatchObject({ tokens: 292 });
  });

  test('the container guard settles a retry under the same request id too', async () => {
    const limit: UsageLimitConfig = { scope: 'user', window: 'hour', maxTokens: 10_000 };
    const guard = new ContainerUsageGuard([limit]);
    const first = await guard.reserve(ctx(), amount(1_000));
    await guard.settle(ctx(), first, amount(1_000), NO_SPEND, 'converse:req-1');
    const second = await guard.reserve(ctx(), amount(1_000));
    await guard.settle(ctx(), second, amount(1_000), amount(292), 'converse:req-1');

    expect(guard.usage(limit, ctx())).toMatchObject({ tokens: 292 });
  });

  test('a reservation write that lands after the timeout is withdrawn: the 503 says nothing was charged, and nothing is', async () => {
    const guard = ledger([{ scope: 'user', window: 'day', maxRequests: 30, maxTokens: 100_000 }], { timeoutMs: 300 });
    delayFirst('UpdateItem', 1, 3_000); // 10x the timeout: late however loaded the machine

    const error = await pipelineErrorOf(() => guard.reserve(ctx(), amount(2_000), true));
    await db.proxy.idle();

    expect(error).toMatchObject({ status: 503, code: 'USAGE_LEDGER_UNAVAILABLE', details: { charged: false } });
    expect(error.message).toContain('nothing was charged');
    expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ requests: 0, tokens: 0, costAtto: 0n });
    expect(Object.values(await holdSetsOf(USER_DAY)).flat()).toHaveLength(1); // the fence, or nothing live
    expect(Object.entries(await holdSetsOf(USER_DAY)).filter(([name]) => name.endsWith('s'))).toEqual([]);
  });

  test('a withdrawal that reaches the table before the late write fences it: the late write changes nothing', async () => {
    const guard = ledger([{ scope: 'user', window: 'day', maxRequests: 30, maxTokens: 100_000 }], { timeoutMs: 300 });
    // Only the reservation is slow: the withdrawal (the next UpdateItems) overtakes it. The delay leaves the withdrawal
    // seconds to do so: a loaded CI machine's DynamoDB Local must not let the late write win the race.
    delayFirst('UpdateItem', 1, 5_000);

    const error = await pipelineErrorOf(() => guard.reserve(ctx(), amount(2_000), true));
    await db.proxy.idle();

    expect(error.details).toMatchObject({ charged: false });
    expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ requests: 0, tokens: 0, costAtto: 0n });
    const sets = await holdSetsOf(USER_DAY);
    expect(Object.keys(sets).filter((n) => n.endsWith('s'))).toEqual([]);
    expect(Object.keys(sets).filter((n) => n.endsWith('x'))).toHaveLength(1);
  });

  test('ten requests refused while every ledger write is slower than the timeout leave the request limit untouched', async () => {
    // Every write is delayed 10x the timeout; the withdrawals' 5 s stay far above the delay.
    const guard = ledger([{ scope: 'user', window: 'day', maxRequests: 30, maxTokens: 100_000 }], { timeoutMs: 60, confirmTimeoutMs: 5_000 });
    db.proxy.rule = () => ({ delayMs: 600 });

    for (let i = 0; i < 10; i++) {
      const error = await pipelineErrorOf(() => guard.reserve(ctx({ requestId: `slow-${i}` }), amount(2_000), true));
      expect(error.details).toMatchObject({ charged: false });
    }
    await db.proxy.idle();

    expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ requests: 0, tokens: 0, costAtto: 0n });
  });

  test('a settlement that times out is waited for and lands once', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }], { timeoutMs: 300, confirmTimeoutMs: 5_000 });
    // Reserved by a ledger with time to spare: the reservation is not delayed, and 300 ms is not enough for a loaded CI
    // machine's DynamoDB Local. A hold is settled by its id, whichever container reserved it.
    const hold = await ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }]).reserve(ctx(), amount(1_000, 50));
    delayFirst('UpdateItem', 1, 3_000); // the settlement: one UpdateItem on the one counter, 10x the timeout

    await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1');
    await db.proxy.idle();

    expect(await counterOf(db.direct, db.table, USER_HOUR)).toMatchObject({ tokens: 292, costAtto: 7n * 10n ** 12n });
  });

  test('a process killed between reserve and settle: its hold is given back once it expires, and no hold outlives it', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }]);
    await guard.reserve(ctx({ requestId: 'killed' }), amount(9_000));

    // Another container, 22 minutes later: past the hold's bucket end (16 minutes, rounded up to 5-minute buckets)
    const later = ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }]);
    const hold = await later.reserve(ctx({ requestId: 'later', nowMs: NOW + 22 * 60_000 }), amount(2_000));
    await later.settle(ctx({ requestId: 'later', nowMs: NOW + 22 * 60_000 }), hold, amount(2_000), amount(300), 'converse:later');

    const counter = await counterOf(db.direct, db.table, USER_HOUR);
    expect(counter).toMatchObject({ tokens: 300 });
    expect(Object.values(counter!.buckets).every((v) => v === '0')).toBe(true);
    expect(Object.values(await holdSetsOf(USER_HOUR)).flat()).toEqual([]);
  });
});

describe('ledger refusals', () => {
  test('a USD limit\'s 429 says what was used to the micro-dollar, not rounded to a whole dollar', async () => {
    const guard = ledger([{ scope: 'tenant', window: 'month', maxCostUsd: 0.8 }]);
    const hold = await guard.reserve(ctx(), amount(1_000, 600_000));
    await guard.settle(ctx(), hold, amount(1_000, 600_000), amount(900, 550_000), 'converse:req-1');

    const refusal = await pipelineErrorOf(() => guard.reserve(ctx({ requestId: 'req-2' }), amount(1_000, 300_000)));

    expect(refusal).toMatchObject({ status: 429, details: { measure: 'costUsd', used: 0.55, limit: 0.8, requested: 0.3 } });
    expect(refusal.message).toContain('(0.55 used');
  });
});

describe('ledger: a request counted alone, whose write may land late (issue 14 review, finding 1)', () => {
  test('a fail-closed request limit whose write lands after the timeout: the 503 says the request may stay counted', async () => {
    const guard = ledger([{ scope: 'user', window: 'day', maxRequests: 30, onLedgerUnavailable: 'closed' }], { timeoutMs: 300 });
    delayFirst('UpdateItem', 1, 1_200);

    const error = await pipelineErrorOf(() => guard.admit(ctx()));
    await db.proxy.idle();

    // The late write landed: the request is counted, and the 503 says so.
    expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ requests: 1 });
    expect(error).toMatchObject({ status: 503, code: 'USAGE_LEDGER_UNAVAILABLE', details: { charged: true } });
    expect(error.message).not.toContain('nothing was charged');
    expect(error.message).toContain('may stay counted as one request in this window of the user limit per day');
  });

  test('a fail-open request limit timing out beside a fail-closed spend limit: the 503 does not say nothing was charged', async () => {
    const guard = ledger([
      { scope: 'user', window: 'day', maxRequests: 30 },
      { scope: 'tenant', window: 'month', maxTokens: 100_000 },
    ], { timeoutMs: 300 });
    delayFirst('UpdateItem', 2, 1_200);

    const error = await pipelineErrorOf(() => guard.reserve(ctx(), amount(2_000), true));
    await db.proxy.idle();

    expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ requests: 1 });
    expect(error.details).toMatchObject({ charged: true });
    expect(error.message).toContain('may stay counted as one request');
  });

  test('a 429 beside a request count whose write lands late says the request may stay counted, as the 503 does', async () => {
    const guard = ledger([
      { scope: 'user', window: 'day', maxRequests: 30 },
      // Smaller than the request's bound: refused without a write
      { scope: 'tenant', window: 'month', maxTokens: 1_000 },
    ], { timeoutMs: 300 });
    delayFirst('UpdateItem', 1, 1_200);

    const error = await pipelineErrorOf(() => guard.reserve(ctx(), amount(2_000), true));
    await db.proxy.idle();

    expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ requests: 1 });
    expect(error).toMatchObject({ status: 429, code: 'USAGE_LIMIT_EXCEEDED', details: { scope: 'tenant', measure: 'tokens', charged: true } });
    expect(error.message).toContain('Nothing was billed, but this request may stay counted as one request in this window of the user limit per day');
  });

  test('a 429 whose other writes were all withdrawn stays a plain refusal', async () => {
    const guard = ledger([
      { scope: 'user', window: 'day', maxRequests: 30, maxTokens: 100_000 },
      { scope: 'tenant', window: 'month', maxTokens: 1_000 },
    ], { timeoutMs: 300 });
    delayFirst('UpdateItem', 1, 1_200);

    const error = await pipelineErrorOf(() => guard.reserve(ctx(), amount(2_000), true));
    await db.proxy.idle();

    expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ requests: 0, tokens: 0 });
    expect(error.status).toBe(429);
    expect(error.details).not.toHaveProperty('charged');
  });
});

describe('ledger: every confirmation and settlement within the request\'s time (finding 2)', () => {
  /**
   * A ledger on an injected clock whose every call "times out": each call is given an already-ended signal and the
   * clock moves on by the time it was given, as if it had waited that long. Records the time given to each call.
   */
  function slowLedger(usageLimits: UsageLimitConfig[], start: number) {
    const clock = { now: start, slow: false, given: [] as number[] };
    const guard = new DynamoDbLedgerGuard({
      client: db.proxied, tableName: db.table, guards: { usageLimits }, timeoutMs: 1_500, confirmTimeoutMs: 5_000, now: () => clock.now,
      abortAfter: (ms) => {
        if (!clock.slow) return AbortSignal.timeout(10_000);
        clock.given.push(ms);
        clock.now += ms;
        return AbortSignal.abort(new DOMException('The operation timed out.', 'TimeoutError'));
      },
    });
    return { guard, clock };
  }

  test('before a 503 near the deadline, withdrawing stops at the deadline', async () => {
    const { guard, clock } = slowLedger([{ scope: 'user', window: 'day', maxTokens: 100_000 }], NOW);
    clock.slow = true;

    const error = await pipelineErrorOf(() => guard.reserve(ctx({ deadlineMs: NOW + 2_500 }), amount(2_000)));

    expect(error).toMatchObject({ status: 503, details: { charged: true } });
    expect(clock.now).toBeLessThanOrEqual(NOW + 2_500 - 250);
  });

  test('before a 503, withdrawing an unconfirmed reservation takes one confirmation\'s time in all, not three rounds of two', async () => {
    const { guard, clock } = slowLedger([{ scope: 'user', window: 'day', maxTokens: 100_000 }], NOW);
    clock.slow = true;

    const error = await pipelineErrorOf(() => guard.reserve(ctx({ deadlineMs: NOW + 29_000 }), amount(2_000)));

    expect(error).toMatchObject({ status: 503, details: { charged: true } });
    expect(clock.given[0]).toBe(1_500); // the reservation itself
    const withdrawing = clock.given.slice(1).reduce((a, b) => a + b, 0);
    expect(withdrawing).toBeGreaterThan(0);
    expect(withdrawing).toBeLessThanOrEqual(5_000);
  });

  test('a settlement after the model call never runs past the request\'s deadline', async () => {
    const { guard, clock } = slowLedger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }], NOW);
    const context = ctx({ deadlineMs: NOW + 2_000 });
    const hold = await guard.reserve(context, amount(1_000, 50));
    clock.slow = true;

    await expect(guard.settle(context, hold, amount(1_000, 50), amount(292, 7), 'converse:req-1')).rejects.toThrow();

    expect(clock.given.length).toBeGreaterThan(0);
    // Every try within what was left, less the margin to answer: done before the deadline.
    expect(clock.now).toBeLessThanOrEqual(NOW + 2_000 - 250);
    expect(Math.max(...clock.given)).toBeLessThanOrEqual(1_500);
  });
});

describe('ledger settlements refused by throttling (finding 4)', () => {
  test('a settlement throttled after the SDK\'s retries is tried again: it certainly did not land', async () => {
    const guard = ledger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }]); // about throttles: the generous timeouts
    const hold = await guard.reserve(ctx(), amount(1_000, 50));
    let throttled = 0;
    db.proxy.rule = (request) => (dynamoDbOperation(request) === 'UpdateItem' && throttled++ < 1
      ? { fail: { status: 400, headers: { 'x-amzn-errortype': 'ProvisionedThroughputExceededException' }, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' }) } }
      : undefined);

    await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1');

    expect(throttled).toBe(2);
    expect(await counterOf(db.direct, db.table, USER_HOUR)).toMatchObject({ tokens: 292, costAtto: 7n * 10n ** 12n });
  });
});

describe('batch hold references (findings 5 and 6)', () => {
  const TENANT_MONTH = 'tenant#iam%3Aacme#2026-12';
  const batch = (overrides: Parameters<typeof ctx>[0] = {}) => ctx({ path: 'batch', requestId: 'nightly-2026-12-01', ...overrides });

  test('a reference to no hold kept in the ledger (rewritten, or expired) is a settle failure, not a silent success', async () => {
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 100_000 }]);
    await guard.reserve(batch(), amount(5_000, 300));

    await expect(guard.settle(batch(), JSON.stringify({ r: 'no-such-hold-id' }), amount(5_000, 300), amount(1_000, 60), 'batch:nightly')).rejects.toThrow(/no hold is kept/);
  });

  test('a reference settled before settles nothing more, silently', async () => {
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 100_000 }]);
    const hold = await guard.reserve(batch(), amount(5_000, 300));
    await guard.settle(batch(), hold, amount(5_000, 300), amount(1_000, 60), 'batch:nightly');

    await guard.settle(batch(), hold, amount(5_000, 300), amount(1_000, 60), 'batch:nightly');

    expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens: 1_000 });
  });

  test('a reference moved into another tenant\'s marker settles nothing and fails', async () => {
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 100_000 }]);
    const victims = await guard.reserve(batch(), amount(5_000, 300));

    await expect(guard.settle(batch({ tenantId: 'iam:other' }), victims, amount(5_000, 300), NO_SPEND, 'batch:other')).rejects.toThrow(/another tenant/);

    expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens: 5_000 });
  });

  test('a batch hold that could not be kept nor withdrawn says when it is given back: at its bucket\'s end, days away', async () => {
    const guard = ledger([{ scope: 'tenant', window: 'month', maxTokens: 100_000 }]); // about failures: the generous timeouts
    let updates = 0;
    const fail = { fail: { status: 500, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected' }) } };
    // The reservation lands; keeping its document and every withdrawal fail.
    db.proxy.rule = (request) => {
      const operation = dynamoDbOperation(request);
      if (operation === 'PutItem') return fail;
      return operation === 'UpdateItem' && updates++ > 0 ? fail : undefined;
    };

    const error = await pipelineErrorOf(() => guard.reserve(batch(), amount(5_000, 300)));

    expect(error.details).toMatchObject({ charged: true });
    const givenBack = Date.parse(/given back once it expires \(([^)]+)\)/.exec(error.message)![1]);
    expect(givenBack).toBeGreaterThanOrEqual(NOW + 8 * 86_400_000);
  });
});

describe('counter item size with calls in flight (finding 3: the README\'s throughput and cost figures)', () => {
  /** An item's size by DynamoDB's rules: attribute names and string bytes, numbers ~1 byte per 2 digits + 1. */
  function itemBytes(item: Record<string, AttributeValue>): number {
    const numberBytes = (n: string) => Math.ceil(n.replace(/^-/, '').replace(/^0+(?=\d)/, '').replace('.', '').length / 2) + 1;
    return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name)
      + (value.S !== undefined ? Buffer.byteLength(value.S) : 0)
      + (value.N !== undefined ? numberBytes(value.N) : 0)
      + (value.SS ?? []).reduce((s, e) => s + Buffer.byteLength(e), 0), 0);
  }

  async function counterWithHolds(live: number, userId = 'user-1'): Promise<{ bytes: number; writeUnits: number }> {
    const guard = ledger([{ scope: 'user', window: 'day', maxRequests: 100_000, maxTokens: 100_000_000, maxCostUsd: 1_000 }]);
    for (let i = 0; i < live; i++) await guard.reserve(ctx({ requestId: `in-flight-${i}`, userId }), amount(2_000, 15_000), true);
    // A write that changes nothing, as every reservation and settlement of the counter is billed: by the item's size.
    const { Attributes, ConsumedCapacity } = await db.direct.send(new UpdateItemCommand({
      TableName: db.table, Key: { pk: { S: `user#iam%3Aacme/${userId}#2026-12-01` } }, UpdateExpression: 'SET expiresAt = expiresAt',
      ReturnValues: 'ALL_NEW', ReturnConsumedCapacity: 'TOTAL',
    }));
    return { bytes: itemBytes(Attributes!), writeUnits: ConsumedCapacity?.CapacityUnits ?? Number.NaN };
  }

  test('each call in flight adds 16 bytes to its counter: 40 fit one 1 KB write unit, 200 take 4', async () => {
    const forty = await counterWithHolds(40);
    const twoHundred = await counterWithHolds(200, 'user-2');

    expect((twoHundred.bytes - forty.bytes) / 160).toBeCloseTo(16, 0);
    expect(forty.bytes).toBeGreaterThan(700);
    expect(forty.bytes).toBeLessThan(1_024);
    expect(twoHundred.bytes).toBeGreaterThan(3_072);
    expect(twoHundred.bytes).toBeLessThan(4_096);
    // Measured here and quoted in the README: 766 B (1 unit) with 40 live, 3,329 B (4 units) with 200.
    expect(forty.writeUnits).toBe(1);
    expect(twoHundred.writeUnits).toBe(Math.ceil(twoHundred.bytes / 1_024));
  });
});
