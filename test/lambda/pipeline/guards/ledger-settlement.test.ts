import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { UsageLimitConfig } from '../../../../shared/contract';
import { DynamoDbLedgerGuard } from '../../../../lambda/pipeline/guards';
import { GIVEN_BACK_KEPT_SECONDS, MAX_GIVEN_BACK_IDS } from '../../../../lambda/pipeline/guards/ledger-expressions';
import { counterGroups } from '../../../../lambda/pipeline/guards/ledger-limits';
import { LedgerProtocol } from '../../../../lambda/pipeline/guards/ledger-protocol';
import { dynamoDbOperation, ProxiedRequest } from '../../../support/fault-proxy';
import { amount, counterOf, ctx, NOW, useLedgerBehindProxy } from './ledger-support';

/*
 * Settlement without a transaction (issue 17, "A one-round hot path"): each counter is settled by its own
 * conditional UpdateItem, in parallel, and each is applied exactly once by itself. These tests fail if a settlement
 * is applied twice or lost: delivered again, racing itself, after its bucket's sweep, with one counter failing, with
 * a write that landed but whose answer was lost. DynamoDB Local behind a loopback proxy that delays or fails requests.
 */

const USER_HOUR = 'user#iam%3Aacme/user-1#2026-12-01T09';
const TENANT_MONTH = 'tenant#iam%3Aacme#2026-12';
const LIMITS: UsageLimitConfig[] = [
  { scope: 'user', window: 'hour', maxTokens: 100_000 },
  { scope: 'tenant', window: 'month', maxTokens: 10_000_000, maxCostUsd: 1_000 },
];
const MICRO = 10n ** 12n;

const db = useLedgerBehindProxy('ledger-settlement');

function ledger(options: { timeoutMs?: number; confirmTimeoutMs?: number } = {}) {
  return new DynamoDbLedgerGuard({
    client: db.proxied, tableName: db.table, guards: { usageLimits: LIMITS },
    timeoutMs: options.timeoutMs ?? 10_000, confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
  });
}

/** A settlement's write on the counter `key` (the only writes that count cache reads). */
const isSettlementOf = (key: string) => (request: ProxiedRequest) => dynamoDbOperation(request) === 'UpdateItem'
  && request.body.includes('cacheReadTokens') && request.body.includes(JSON.stringify(key));

/** The hold-id sets of a counter (live `h…s`, fenced `h…x`, given back `h…g`), by attribute. */
async function holdSetsOf(key: string): Promise<Record<string, string[]>> {
  const { Item = {} } = await db.direct.send(new GetItemCommand({ TableName: db.table, Key: { pk: { S: key } }, ConsistentRead: true }));
  return Object.fromEntries(Object.entries(Item).filter(([name]) => /^[hk][0-9a-z]+[sxg]$/.test(name)).map(([name, value]) => [name, value.SS ?? []]));
}

async function expectBilledOnce(tokens: number, microUsd: number, cacheReadTokens = 0): Promise<void> {
  expect(await counterOf(db.direct, db.table, USER_HOUR)).toMatchObject({ tokens, cacheReadTokens });
  expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens, costAtto: BigInt(microUsd) * MICRO, cacheReadTokens });
}

describe('ledger settlement: one conditional write per counter, each applied once', () => {
  test('one round of writes, no transaction: an UpdateItem per counter, sent together', async () => {
    const guard = ledger();
    const hold = await guard.reserve(ctx(), amount(1_000, 50));
    const seen: string[] = [];
    db.proxy.rule = (request) => {
      seen.push(dynamoDbOperation(request) ?? '');
      return undefined;
    };

    await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7, 40), 'converse:req-1');

    expect(seen).toEqual(['UpdateItem', 'UpdateItem']);
    await expectBilledOnce(292, 7, 40);
    expect(Object.values(await holdSetsOf(USER_HOUR)).flat()).toEqual([]);
  });

  test('a settlement delivered again, and again later, changes nothing', async () => {
    const guard = ledger();
    const hold = await guard.reserve(ctx(), amount(1_000, 50));

    for (let i = 0; i < 3; i++) await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7, 40), 'converse:req-1');

    await expectBilledOnce(292, 7, 40);
  });

  test('duplicate settlements racing each other count once', async () => {
    const guard = ledger();
    const hold = await guard.reserve(ctx(), amount(1_000, 50));

    await Promise.all(Array.from({ length: 8 }, () => guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1')));

    await expectBilledOnce(292, 7);
  });

  test('a settlement write that landed but whose answer was lost is sent again and counts once', async () => {
    const guard = ledger({ timeoutMs: 300, confirmTimeoutMs: 5_000 });
    // Reserved by a ledger with time to spare: 300 ms is not enough for a loaded CI machine's DynamoDB Local.
    const hold = await ledger().reserve(ctx(), amount(1_000, 50));
    let delayed = 0;
    // The answer is lost for 10x the timeout; the write sent again has the 5 s confirmation time.
    db.proxy.rule = (request) => (isSettlementOf(TENANT_MONTH)(request) && delayed++ === 0 ? { delayResponseMs: 3_000 } : undefined);

    await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1');
    await db.proxy.idle();

    expect(delayed).toBe(2); // the lost answer, and the write sent again (refused: it had landed)
    await expectBilledOnce(292, 7);
  });

  test('one counter failing: the settlement fails, the other counter is settled, and delivered again only the failed one applies', async () => {
    const guard = ledger(); // about failures, not timeouts: the generous timeouts
    const hold = await guard.reserve(ctx(), amount(1_000, 50));
    const fail = { fail: { status: 500, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected' }) } };
    db.proxy.rule = (request) => (isSettlementOf(TENANT_MONTH)(request) ? fail : undefined);

    await expect(guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1')).rejects.toThrow(/injected/);

    expect(await counterOf(db.direct, db.table, USER_HOUR)).toMatchObject({ tokens: 292 });
    // Still reserved in full on the failed counter: never less than what was billed.
    expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens: 1_000, costAtto: 50n * MICRO });

    db.proxy.rule = undefined;
    await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1');

    await expectBilledOnce(292, 7);
  });

  test('a settlement throttled on one counter is tried again on that counter alone', async () => {
    const guard = ledger(); // about throttles, not timeouts: the generous timeouts
    const hold = await guard.reserve(ctx(), amount(1_000, 50));
    const sent: string[] = [];
    let throttled = 0;
    db.proxy.rule = (request) => {
      if (dynamoDbOperation(request) === 'UpdateItem') sent.push(request.body.includes(JSON.stringify(USER_HOUR)) ? 'user' : 'tenant');
      return isSettlementOf(USER_HOUR)(request) && throttled++ < 2
        ? { fail: { status: 400, headers: { 'x-amzn-errortype': 'ThrottlingException' }, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }) } }
        : undefined;
    };

    await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1');

    expect(sent.filter((s) => s === 'tenant')).toHaveLength(1);
    expect(sent.filter((s) => s === 'user')).toHaveLength(3);
    await expectBilledOnce(292, 7);
  });

  test('throttles do not use up the tries of a write that then times out: throttled twice, timed out twice, it lands once', async () => {
    // The last try must land within the same time as the two delayed ones must not: 2 s is enough for a loaded CI
    // machine's DynamoDB Local, and the lost answers come 10x later.
    const guard = ledger({ timeoutMs: 2_000, confirmTimeoutMs: 2_000 });
    const hold = await ledger().reserve(ctx(), amount(1_000, 50));
    const throttle = { fail: { status: 400, headers: { 'x-amzn-errortype': 'ThrottlingException' }, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }) } };
    let tries = 0;
    // Refused twice, then applied with its answer lost, then refused by its condition with that answer lost too.
    db.proxy.rule = (request) => {
      if (!isSettlementOf(USER_HOUR)(request)) return undefined;
      const n = tries++;
      return n < 2 ? throttle : n < 4 ? { delayResponseMs: 20_000 } : undefined;
    };

    await guard.settle(ctx(), hold, amount(1_000, 50), amount(292, 7), 'converse:req-1');
    await db.proxy.idle();

    expect(tries).toBe(5);
    await expectBilledOnce(292, 7);
  });
});

/*
 * After its bucket's sweep. Only a bucket whose holds may be settled after it ends (a batch job's, collected by a
 * later invocation) keeps the ids it gave back; a request hold outlives its invocation, so its bucket keeps none and
 * a hot counter's item never fills with dead Lambdas' ids (review of issue 17, defect 1).
 */
const USER_DAY = 'user#iam%3Aacme/user-1#2026-12-01';
const DAY_LIMITS: UsageLimitConfig[] = [
  { scope: 'user', window: 'day', maxTokens: 1_000_000 },
  { scope: 'tenant', window: 'month', maxTokens: 10_000_000, maxCostUsd: 1_000 },
];
/** A batch hold of one hour ends in the 12-hour bucket ending 12:00 on Dec 1; this is past it, the same day. */
const AFTER_BATCH_BUCKET = NOW + 3 * 3_600_000;
const batchCtx = (requestId: string) => ctx({ path: 'batch', requestId });

function dayLedger() {
  return new DynamoDbLedgerGuard({
    client: db.proxied, tableName: db.table, guards: { usageLimits: DAY_LIMITS }, timeoutMs: 10_000, confirmTimeoutMs: 10_000, batchHoldSeconds: 3_600,
  });
}

async function expectBilledOnDays(tokens: number, microUsd: number, cacheReadTokens = 0): Promise<void> {
  expect(await counterOf(db.direct, db.table, USER_DAY)).toMatchObject({ tokens, cacheReadTokens });
  expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens, costAtto: BigInt(microUsd) * MICRO, cacheReadTokens });
}

const givenBackSets = async (key: string) => Object.entries(await holdSetsOf(key)).filter(([name]) => name.endsWith('g'));

describe('ledger settlement after its bucket\'s sweep', () => {
  /** A batch hold reserved now, given back by a request's reservation past its bucket's end (its job never collected yet). */
  async function heldThenSwept() {
    const guard = dayLedger();
    const hold = await guard.reserve(batchCtx('slow'), amount(9_000, 400));
    const later = dayLedger();
    const laterContext = ctx({ requestId: 'later', nowMs: AFTER_BATCH_BUCKET });
    const other = await later.reserve(laterContext, amount(2_000, 100));
    await later.flush();
    await later.settle(laterContext, other, amount(2_000, 100), amount(300, 20), 'converse:later');
    return { guard, hold: hold! };
  }

  test('the sweep gives a batch hold back and keeps its id: the late settlement adds what was billed, once', async () => {
    const { guard, hold } = await heldThenSwept();
    await expectBilledOnDays(300, 20);
    expect((await givenBackSets(USER_DAY)).map(([, ids]) => ids.length)).toEqual([1]);

    await guard.settle(batchCtx('slow'), hold, amount(9_000, 400), amount(700, 33, 12), 'batch:slow');
    await expectBilledOnDays(300 + 700, 20 + 33, 12);
    // Its id has gone from the given-back set: a second delivery adds nothing.
    await guard.settle(batchCtx('slow'), hold, amount(9_000, 400), amount(700, 33, 12), 'batch:slow');
    await expectBilledOnDays(300 + 700, 20 + 33, 12);
    expect(Object.values(await holdSetsOf(USER_DAY)).flat()).toEqual([]);
  });

  test('late duplicate settlements of a batch hold racing each other after the sweep count once', async () => {
    const { guard, hold } = await heldThenSwept();

    await Promise.all(Array.from({ length: 6 }, () => guard.settle(batchCtx('slow'), hold, amount(9_000, 400), amount(700, 33), 'batch:slow')));

    await expectBilledOnDays(300 + 700, 20 + 33);
  });

  test('a hold settled before its bucket\'s end is not given back by the sweep, nor counted again', async () => {
    const guard = ledger();
    const hold = await guard.reserve(ctx({ requestId: 'settled' }), amount(9_000, 400));
    await guard.settle(ctx({ requestId: 'settled' }), hold, amount(9_000, 400), amount(700, 33), 'converse:settled');
    const later = ledger();
    await later.reserve(ctx({ requestId: 'later', nowMs: NOW + 22 * 60_000 }), amount(2_000, 100));
    await later.flush();

    await guard.settle(ctx({ requestId: 'settled' }), hold, amount(9_000, 400), amount(700, 33), 'converse:settled');

    // 700 settled + the later request's 2,000 still reserved: nothing given back, nothing counted twice.
    expect(await counterOf(db.direct, db.table, USER_HOUR)).toMatchObject({ tokens: 2_700 });
    expect(await givenBackSets(USER_HOUR)).toEqual([]);
  });

  test('request holds of dead Lambdas, swept bucket after bucket, leave no ids behind: the hot counter\'s item stays bounded', async () => {
    const guard = ledger();
    // One unsettled request hold every 5 minutes for 4 hours: each reservation sweeps the buckets ended before it.
    const steps = 48;
    for (let i = 0; i < steps; i++) {
      await guard.reserve(ctx({ requestId: `dead-${i}`, nowMs: NOW + i * 300_000 }), amount(1_000, 10));
      await guard.flush();
    }

    expect(await givenBackSets(TENANT_MONTH)).toEqual([]);
    const sets = await holdSetsOf(TENANT_MONTH);
    // Only the buckets not yet ended hold ids: the holds of the last 16 minutes or so.
    expect(Object.values(sets).flat().length).toBeLessThanOrEqual(5);
    const counter = await counterOf(db.direct, db.table, TENANT_MONTH);
    expect(Object.keys(counter!.buckets).length).toBeLessThanOrEqual(2 * 5);
    expect(counter!.tokens).toBe(Object.values(sets).flat().length * 1_000);
  });

  test('a request hold settled after its bucket\'s sweep adds nothing (it cannot happen: the hold outlives its invocation)', async () => {
    const guard = ledger();
    const hold = await guard.reserve(ctx({ requestId: 'dead' }), amount(9_000, 400));
    const later = ledger();
    await later.reserve(ctx({ requestId: 'later', nowMs: NOW + 22 * 60_000 }), amount(2_000, 100));
    await later.flush();

    await guard.settle(ctx({ requestId: 'dead' }), hold, amount(9_000, 400), amount(700, 33), 'converse:dead');

    expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens: 2_000 });
    expect(Object.values(await holdSetsOf(TENANT_MONTH)).flat()).toHaveLength(1);
  });

  test('a batch bucket keeps at most MAX_GIVEN_BACK_IDS of the ids it gave back, and gives back all it held', async () => {
    const guard = dayLedger();
    const holds = MAX_GIVEN_BACK_IDS + 6;
    // One after another: the ids a sweep gives back are the point here, not a race (70 writes at once on one item can
    // outlast the ledger's timeout on a loaded CI machine; the races have tests of their own with longer timeouts).
    for (let i = 0; i < holds; i++) await guard.reserve(batchCtx(`never-collected-${i}`), amount(1_000, 10));
    const later = dayLedger();
    await later.reserve(ctx({ requestId: 'later', nowMs: AFTER_BATCH_BUCKET }), amount(2_000, 100));
    await later.flush();

    expect((await givenBackSets(TENANT_MONTH)).map(([, ids]) => ids.length)).toEqual([MAX_GIVEN_BACK_IDS]);
    expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens: 2_000, costAtto: 100n * MICRO });
  });

  test('a sweep that saw the live set before a settlement of one hold and a late reservation of another with the same estimate changes nothing', async () => {
    const guard = dayLedger();
    const first = await guard.reserve(batchCtx('first'), amount(5_000, 300));
    // The sweeper's view: the bucket holds the first hold alone.
    const { Item: seen } = await db.direct.send(new GetItemCommand({ TableName: db.table, Key: { pk: { S: TENANT_MONTH } }, ConsistentRead: true }));
    await guard.settle(batchCtx('first'), first, amount(5_000, 300), amount(1_000, 60), 'batch:first');
    // A reservation of the same estimate lands in the same bucket: the amounts and the set's size are as seen.
    const second = await guard.reserve(batchCtx('second'), amount(5_000, 300));
    const protocol = new LedgerProtocol({
      client: db.direct, tableName: db.table, timeoutMs: 10_000, confirmTimeoutMs: 10_000, refusalConfirmMs: 10_000,
      now: () => AFTER_BATCH_BUCKET, random: () => 0, abortAfter: (ms) => AbortSignal.timeout(ms),
      fallbackOf: () => { throw new Error('no fallback in this test'); },
    });
    const tenantMonth = counterGroups(DAY_LIMITS).find((g) => g.scope === 'tenant')!;

    await protocol.sweep(TENANT_MONTH, seen!, tenantMonth, ctx({ requestId: 'sweeper', nowMs: AFTER_BATCH_BUCKET }));

    // Refused: the second hold is still live, nothing was given back, and the first is not kept as given back.
    expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens: 1_000 + 5_000 });
    expect(await givenBackSets(TENANT_MONTH)).toEqual([]);
    // So the first settlement delivered again adds nothing, and the second, given back by a sweep that saw it, counts once.
    await guard.settle(batchCtx('first'), first, amount(5_000, 300), amount(1_000, 60), 'batch:first');
    const { Item: now } = await db.direct.send(new GetItemCommand({ TableName: db.table, Key: { pk: { S: TENANT_MONTH } }, ConsistentRead: true }));
    await protocol.sweep(TENANT_MONTH, now!, tenantMonth, ctx({ requestId: 'sweeper', nowMs: AFTER_BATCH_BUCKET }));
    expect((await givenBackSets(TENANT_MONTH)).map(([, ids]) => ids.length)).toEqual([1]);
    await guard.settle(batchCtx('second'), second, amount(5_000, 300), amount(2_000, 120), 'batch:second');
    expect(await counterOf(db.direct, db.table, TENANT_MONTH)).toMatchObject({ tokens: 1_000 + 2_000, costAtto: 180n * MICRO });
  });

  test('the ids a sweep gave back are dropped once past their time, so the counter item stays small', async () => {
    await heldThenSwept();
    expect(await givenBackSets(TENANT_MONTH)).toHaveLength(1);

    const muchLater = ledger();
    const at = AFTER_BATCH_BUCKET + (GIVEN_BACK_KEPT_SECONDS + 3_600) * 1000;
    await muchLater.reserve(ctx({ requestId: 'much-later', nowMs: at }), amount(1_000, 10));
    await muchLater.flush();

    expect(await givenBackSets(TENANT_MONTH)).toEqual([]);
  });
});
