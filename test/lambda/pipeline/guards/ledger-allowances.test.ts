import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { UsageLimitConfig } from '../../../../shared/contract';
import { DynamoDbLedgerGuard, LedgerEvent, SpendAmount } from '../../../../lambda/pipeline/guards';
import { LocalDynamoDb, localClientConfig, startDynamoDbLocal } from '../../../../packages/local/src/services';
import { createLedgerTable } from '../../../../packages/local/src/services/ledger-table';
import { PipelineError } from '../../../../lambda/pipeline/errors';
import { amount, counterOf, ctx, NOW, REFUSED, reserveOrRefused } from './ledger-support';

const TENANT_MONTH = 'tenant#iam%3Aacme#2026-12';
const USER_MINUTE = 'user#iam%3Aacme/user-1#2026-12-01T09:30';
const BOUND = amount(1_000, 1_000); // 1,000 tokens, $0.001 upper bound
const billedOf = (i: number) => amount(200 + (i % 17), 150 + (i % 11), i % 5);

let dynamodb: LocalDynamoDb;
let client: DynamoDBClient;
let tableCounter = 0;
let table: string;
/** Ledger writes of the current test, and the allowance grants among them, by the client's middleware. */
let updates = 0;
let grants = 0;

beforeAll(async () => {
  dynamodb = await startDynamoDbLocal();
  client = new DynamoDBClient({ ...localClientConfig(dynamodb.endpoint), requestHandler: { httpAgent: { maxSockets: 100 } } as never });
  client.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName === 'UpdateItemCommand') {
      updates++;
      // A grant reserves under a hold id without holding in its bucket (`:z`), unlike a call's reservation or a fence.
      const input = args.input as { UpdateExpression?: string; ExpressionAttributeValues?: Record<string, unknown> };
      if (input.ExpressionAttributeValues?.[':z'] && input.UpdateExpression?.includes('tokens :t')) grants++;
    }
    return next(args);
  }, { step: 'initialize', name: 'countUpdates' });
});

afterAll(async () => {
  client?.destroy();
  await dynamodb?.stop();
});

beforeEach(async () => {
  table = `allowances-${++tableCounter}`;
  updates = 0;
  grants = 0;
  await createLedgerTable(client, table);
});

// Generous timeouts: DynamoDB Local on a loaded machine, never the subject of an assertion.
function container(usageLimits: UsageLimitConfig[]): DynamoDbLedgerGuard {
  return new DynamoDbLedgerGuard({ client, tableName: table, guards: { usageLimits }, timeoutMs: 30_000, confirmTimeoutMs: 30_000, refusalConfirmMs: 30_000 });
}

/** One call through the guard: reserve (counting the request), then settle to what was billed. Undefined if refused. */
async function call(guard: DynamoDbLedgerGuard, i: number, nowMs: number, billed: SpendAmount = billedOf(i)): Promise<SpendAmount | undefined> {
  const context = ctx({ requestId: `r${i}`, nowMs });
  const hold = await reserveOrRefused(guard, context, BOUND);
  if (hold === REFUSED) return undefined;
  await guard.settle(context, hold, BOUND, billed, `converse:r${i}`);
  return billed;
}

function sum(amounts: ReadonlyArray<SpendAmount | undefined>): { tokens: number; costAtto: bigint; cacheReadTokens: number } {
  let total = { tokens: 0, costAtto: 0n, cacheReadTokens: 0 };
  for (const a of amounts) if (a) total = { tokens: total.tokens + a.tokens, costAtto: total.costAtto + a.costAtto, cacheReadTokens: total.cacheReadTokens + a.cacheReadTokens };
  return total;
}

/** A container busy enough to hold an allowance (30 calls in 0.6 s), about to die with it live. */
async function containerAboutToDie(): Promise<{ limits: UsageLimitConfig[]; dying: DynamoDbLedgerGuard; billed: Array<SpendAmount | undefined> }> {
  const limits: UsageLimitConfig[] = [{ scope: 'tenant', window: 'month', maxCostUsd: 100, allowanceSeconds: 10 }];
  const dying = container(limits);
  const billed: Array<SpendAmount | undefined> = [];
  for (let i = 0; i < 30; i++) billed.push(await call(dying, i, NOW + i * 20));
  return { limits, dying, billed };
}

describe('container allowances of the usage ledger (DynamoDB Local)', () => {
  test('a busy container takes an allowance: its calls then write nothing until it runs low, the counter never shows less than was billed, and released it holds exactly the billed sums', async () => {
    const guard = container([{ scope: 'tenant', window: 'month', maxTokens: 10_000_000, maxCostUsd: 100, allowanceSeconds: 10 }]);
    const billed: Array<SpendAmount | undefined> = [];
    const writesPerCall: number[] = [];
    // 40 calls within one second of the clock: 40 a second, well above the 4 an allowance needs.
    for (let i = 0; i < 40; i++) {
      const before = updates;
      billed.push(await call(guard, i, NOW + i * 20));
      writesPerCall.push(updates - before);
      const counter = await counterOf(client, table, TENANT_MONTH);
      // Never under: what the ledger counts covers what was billed at every step.
      expect(counter!.costAtto).toBeGreaterThanOrEqual(sum(billed).costAtto);
      expect(counter!.tokens).toBeGreaterThanOrEqual(sum(billed).tokens);
    }
    // The first calls reserve and settle in the ledger (2 writes); once the allowance is granted most write nothing.
    expect(writesPerCall.slice(0, 3).every((w) => w >= 2)).toBe(true);
    expect(grants).toBeGreaterThan(0);
    const silent = writesPerCall.filter((w) => w === 0).length;
    expect(silent).toBeGreaterThanOrEqual(30);

    await guard.releaseAllowances({ nowMs: NOW + 1_000 });
    const released = await counterOf(client, table, TENANT_MONTH);
    expect(released).toMatchObject({ requests: 0, ...sum(billed) });
    // Nothing is held in the counter's buckets, and no allowance id stays live.
    expect(Object.values(released!.buckets).every((v) => v === '0')).toBe(true);

    // Released again: nothing changes (each allowance settles once, by its id).
    await guard.releaseAllowances({ nowMs: NOW + 2_000 });
    expect(await counterOf(client, table, TENANT_MONTH)).toEqual(released);
  }, 120_000);

  test('two containers racing on one budget never admit more than it holds, and released, the counter equals what was billed', async () => {
    // $0.06 a month, calls bounded at $0.001 each: at most 60 fit however they are reserved.
    const limits: UsageLimitConfig[] = [{ scope: 'tenant', window: 'month', maxCostUsd: 0.06, allowanceSeconds: 10 }];
    const containers = [container(limits), container(limits)];
    const billed: Array<SpendAmount | undefined> = [];
    let n = 0;
    // Waves of 8 concurrent calls per container, 4 waves a second, for 3 seconds; each call billed its whole bound,
    // so the limit is reached by the admitted calls themselves.
    for (let wave = 0; wave < 12; wave++) {
      const nowMs = NOW + wave * 250;
      const outcomes = await Promise.all(containers.flatMap((guard) => Array.from({ length: 8 }, () => {
        const i = n++;
        return call(guard, i, nowMs, BOUND);
      })));
      billed.push(...outcomes);
      const counter = await counterOf(client, table, TENANT_MONTH);
      expect(counter!.costAtto).toBeLessThanOrEqual(60n * BOUND.costAtto);
    }
    const admitted = billed.filter((b) => b !== undefined).length;
    expect(admitted).toBeLessThanOrEqual(60);
    expect(admitted).toBeGreaterThan(0);
    // Allowances were in play (granted while the budget had room), not just calls reserved one by one.
    expect(grants).toBeGreaterThan(0);

    await Promise.all(containers.map((guard) => guard.releaseAllowances({ nowMs: NOW + 5_000 })));
    expect(await counterOf(client, table, TENANT_MONTH)).toMatchObject({ costAtto: sum(billed).costAtto, tokens: sum(billed).tokens });
  }, 120_000);

  test('a container that dies keeps its unused allowance counted (never under); the sweep gives none of it back, and its late settlement adds nothing', async () => {
    const { limits, dying, billed } = await containerAboutToDie();
    // The container dies here with its allowance live: the ledger counts more than was billed, never less.
    const orphaned = (await counterOf(client, table, TENANT_MONTH))!.costAtto - sum(billed).costAtto;
    expect(orphaned).toBeGreaterThan(0n);

    // 20 minutes on, another container's call sees the allowance's bucket ended and sweeps it.
    const later = NOW + 20 * 60_000;
    const other = container(limits);
    billed.push(await call(other, 1_000, later));
    await other.flush();
    const swept = await counterOf(client, table, TENANT_MONTH);
    expect(swept!.costAtto).toBe(sum(billed).costAtto + orphaned);
    // The ended bucket is gone (swept), and the dead allowance with it.
    const endedBuckets = Object.keys(swept!.buckets).filter((name) => parseInt(name.slice(1, -1), 36) * 1000 <= later);
    expect(endedBuckets).toEqual([]);

    // The first container comes back (its process was frozen, not killed) and settles what it held: too late, nothing applies.
    await dying.releaseAllowances({ nowMs: later + 1_000 });
    expect(await counterOf(client, table, TENANT_MONTH)).toEqual(swept);
  }, 120_000);

  test('a quiet container (fewer than 4 calls in allowanceSeconds) takes no allowance: each call is settled in the ledger before it returns', async () => {
    const guard = container([{ scope: 'tenant', window: 'month', maxCostUsd: 100, allowanceSeconds: 10 }]);
    const billed: Array<SpendAmount | undefined> = [];
    for (let i = 0; i < 12; i++) {
      billed.push(await call(guard, i, NOW + i * 3_500)); // at most 3 in any 10 seconds
      expect(await counterOf(client, table, TENANT_MONTH)).toMatchObject({ costAtto: sum(billed).costAtto, tokens: sum(billed).tokens });
    }
    expect(grants).toBe(0);
  }, 60_000);

  test('near the limit no allowance is taken: the last of a budget is reserved call by call, as many as fit exactly', async () => {
    // $0.02 holds 20 calls billed at their bound; an eighth of it is 2.5 calls, under the 4 an allowance must hold.
    const guard = container([{ scope: 'tenant', window: 'month', maxCostUsd: 0.02, allowanceSeconds: 10 }]);
    const billed: Array<SpendAmount | undefined> = [];
    for (let i = 0; i < 30; i++) billed.push(await call(guard, i, NOW + i * 20, BOUND));
    expect(billed.filter((b) => b !== undefined)).toHaveLength(20);
    expect(billed.slice(20).every((b) => b === undefined)).toBe(true);
    expect(await counterOf(client, table, TENANT_MONTH)).toMatchObject({ costAtto: 20n * BOUND.costAtto });
    expect(grants).toBe(0);
  }, 60_000);

  test('a request counted on an allowance is given back when another limit refuses the call', async () => {
    // Requests per user come from an allowance; the tenant budget (no allowance) admits 10 calls at their bound.
    const guard = container([
      { scope: 'user', window: 'minute', maxRequests: 10_000, allowanceSeconds: 10 },
      { scope: 'tenant', window: 'month', maxCostUsd: 0.01 },
    ]);
    const billed: Array<SpendAmount | undefined> = [];
    for (let i = 0; i < 25; i++) billed.push(await call(guard, i, NOW + i * 20, BOUND));
    const admitted = billed.filter((b) => b !== undefined).length;
    expect(admitted).toBe(10);
    expect(grants).toBeGreaterThan(0);
    await guard.releaseAllowances({ nowMs: NOW + 1_000 });
    expect((await counterOf(client, table, USER_MINUTE))!.requests).toBe(admitted);
    expect((await counterOf(client, table, TENANT_MONTH))!.costAtto).toBe(10n * BOUND.costAtto);
  }, 60_000);

  test('a request admitted on an allowance is given back when another limit refuses it (admit, as on a cache hit after a refused reservation)', async () => {
    const guard = container([
      { scope: 'tenant', window: 'minute', maxRequests: 10_000, allowanceSeconds: 10 },
      { scope: 'user', window: 'minute', maxRequests: 3 },
    ]);
    // 40 users' calls make the tenant's allowance (each user once: the user limit never refuses them).
    for (let i = 0; i < 40; i++) {
      const context = ctx({ requestId: `u${i}`, userId: `user-${i}`, nowMs: NOW + i * 20 });
      await guard.settle(context, await guard.reserve(context, BOUND, true), BOUND, billedOf(i), `converse:u${i}`);
    }
    expect(grants).toBeGreaterThan(0);
    // Then one user is admitted 20 times in the same minute: 3 fit the user's limit, 17 are refused.
    let admitted = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await guard.admit(ctx({ requestId: `a${i}`, userId: 'busy-user', nowMs: NOW + 900 + i }));
        admitted++;
      } catch (error) {
        expect((error as PipelineError).status).toBe(429);
      }
    }
    expect(admitted).toBe(3);
    await guard.releaseAllowances({ nowMs: NOW + 1_000 });
    expect((await counterOf(client, table, 'tenant#iam%3Aacme#2026-12-01T09:30'))!.requests).toBe(40 + 3);
  }, 60_000);

  test('the sweep that drops a dead container\'s allowance reports what stays counted (GuardAllowancesExpired)', async () => {
    const { limits, billed } = await containerAboutToDie();
    const counted = (await counterOf(client, table, TENANT_MONTH))!.costAtto;
    const events: LedgerEvent[] = [];
    const other = new DynamoDbLedgerGuard({ client, tableName: table, guards: { usageLimits: limits }, onEvent: (e) => events.push(e), timeoutMs: 30_000, confirmTimeoutMs: 30_000, refusalConfirmMs: 30_000 });
    await call(other, 1_000, NOW + 20 * 60_000);
    await other.flush();
    const expired = events.filter((e) => e.kind === 'allowancesExpired');
    expect(expired).toHaveLength(1);
    // What the dead allowance held is what the ledger counted beyond the billed calls, and at most that is over-counted.
    const unsettledAtto = counted - sum(billed).costAtto;
    expect(expired[0].costUsd).toBeGreaterThanOrEqual(Number(unsettledAtto) / 1e18);
    expect(expired[0]).toMatchObject({ scope: 'tenant', window: 'month' });
  }, 60_000);

  test('an allowance past its age is not used: after a quiet spell the next call reserves in the ledger and is told what is truly left', async () => {
    const limits: UsageLimitConfig[] = [{ scope: 'tenant', window: 'month', maxCostUsd: 1, allowanceSeconds: 10 }];
    const busy = container(limits);
    for (let i = 0; i < 12; i++) await call(busy, i, NOW + i * 50);
    expect(grants).toBeGreaterThan(0);
    // Meanwhile another container spends most of the budget, call by call (one every 5 s: it takes no allowance).
    const other = container(limits);
    for (let i = 0; i < 60; i++) await call(other, 100 + i, NOW + 1_000 + i * 5_000, amount(1_000, 10_000));
    // Ten minutes after its grant, the first container is called again.
    const context = ctx({ requestId: 'after-a-while', nowMs: NOW + 600_000 });
    const hold = await busy.reserve(context, BOUND, true);
    // The old allowance is settled beside the call (its unused part goes back): then the counter is the truth.
    await busy.flush();
    const counted = (await counterOf(client, table, TENANT_MONTH))!.costAtto;
    expect(busy.statusOf(hold!)!.remaining).toBeLessThanOrEqual(1 - Number(counted) / 1e18 + 1e-9);
    await busy.settle(context, hold, BOUND, billedOf(0), 'converse:after-a-while');
  }, 120_000);

  test('a settlement that landed but was reported failed is not counted twice in what a call is told is left', async () => {
    const limits: UsageLimitConfig[] = [{ scope: 'tenant', window: 'month', maxCostUsd: 1, allowanceSeconds: 10 }];
    const faulty = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
    let mode: 'off' | 'land-then-fail' | 'fail' = 'off';
    faulty.middlewareStack.add((next, context) => async (args) => {
      const input = args.input as { UpdateExpression?: string; ExpressionAttributeValues?: Record<string, { S?: string }> };
      const settlesAnAllowance = context.commandName === 'UpdateItemCommand' && (input.UpdateExpression ?? '').includes('DELETE')
        && (input.ExpressionAttributeValues?.[':h']?.S ?? '').startsWith('a');
      if (settlesAnAllowance && mode !== 'off') {
        // The first try lands and its answer is lost; the next ones time out before reaching the table.
        if (mode === 'land-then-fail') {
          mode = 'fail';
          await next(args);
        }
        throw Object.assign(new Error('test: timed out'), { name: 'TimeoutError', $metadata: {} });
      }
      return next(args);
    }, { step: 'initialize', name: 'loseSettlements' });
    try {
      const guard = new DynamoDbLedgerGuard({ client: faulty, tableName: table, guards: { usageLimits: limits }, timeoutMs: 30_000, confirmTimeoutMs: 30_000, refusalConfirmMs: 30_000 });
      for (let i = 0; i < 12; i++) await call(guard, i, NOW + i * 50);
      mode = 'land-then-fail';
      await guard.releaseAllowances({ nowMs: NOW + 700 });
      mode = 'off';
      const context = ctx({ requestId: 'next', nowMs: NOW + 800 });
      const hold = await guard.reserve(context, BOUND, true);
      const counted = (await counterOf(client, table, TENANT_MONTH))!.costAtto;
      expect(guard.statusOf(hold!)!.remaining).toBeLessThanOrEqual(1 - Number(counted) / 1e18 + 1e-9);
      await guard.settle(context, hold, BOUND, billedOf(0), 'converse:next');
    } finally {
      faulty.destroy();
    }
  }, 120_000);

  test('a settlement that fails returns only once every write it started is done', async () => {
    const limits: UsageLimitConfig[] = [{ scope: 'tenant', window: 'month', maxCostUsd: 100, allowanceSeconds: 10 }, { scope: 'feature', window: 'month', maxCostUsd: 100 }];
    const faulty = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
    let inFlight = 0;
    let settlements = 0;
    let failExact = false;
    faulty.middlewareStack.add((next, context) => async (args) => {
      const input = args.input as { UpdateExpression?: string; ExpressionAttributeValues?: Record<string, { S?: string }>; Key?: { pk?: { S?: string } } };
      if (context.commandName !== 'UpdateItemCommand') return next(args);
      const settlesAnAllowance = (input.UpdateExpression ?? '').includes('DELETE') && (input.ExpressionAttributeValues?.[':h']?.S ?? '').startsWith('a');
      if (failExact && !settlesAnAllowance && (input.Key?.pk?.S ?? '').startsWith('feature#')) {
        throw Object.assign(new Error('test: invalid'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
      }
      if (!settlesAnAllowance) return next(args);
      if (failExact) settlements++;
      inFlight++;
      try {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return await next(args);
      } finally {
        inFlight--;
      }
    }, { step: 'initialize', name: 'slowAllowanceSettlements' });
    try {
      const guard = new DynamoDbLedgerGuard({ client: faulty, tableName: table, guards: { usageLimits: limits }, timeoutMs: 30_000, confirmTimeoutMs: 30_000, refusalConfirmMs: 30_000 });
      for (let i = 0; i < 12; i++) await call(guard, i, NOW + i * 50);
      // A call takes its bound from the tenant's allowance (and reserves on the feature counter in the ledger)...
      const context = ctx({ requestId: 'in-flight', nowMs: NOW + 5_000 });
      const hold = await guard.reserve(context, BOUND, true);
      await guard.flush();
      // ...while another call, past the allowance's age, retires it: it is settled with the last call in flight on it.
      await call(guard, 99, NOW + 11_000);
      // That call's settlement settles the allowance (slowly), while its feature counter's settlement fails.
      failExact = true;
      await expect(guard.settle(context, hold, BOUND, billedOf(0), 'converse:in-flight')).rejects.toThrow('test: invalid');
      // The allowance's settlement did start in that call, and was done before the call's settlement returned.
      expect(settlements).toBe(1);
      expect(inFlight).toBe(0);
    } finally {
      faulty.destroy();
    }
  }, 120_000);

  test('a settlement delivered twice for one call gives its ticket back once', async () => {
    const guard = container([{ scope: 'tenant', window: 'month', maxCostUsd: 100, allowanceSeconds: 10 }]);
    const billed: Array<SpendAmount | undefined> = [];
    for (let i = 0; i < 10; i++) billed.push(await call(guard, i, NOW + i * 20));
    // This call is served from the allowance (granted after the first calls): settled twice.
    const context = ctx({ requestId: 'twice', nowMs: NOW + 300 });
    const hold = await guard.reserve(context, BOUND, true);
    const once = billedOf(99);
    await guard.settle(context, hold, BOUND, once, 'converse:twice');
    await guard.settle(context, hold, BOUND, once, 'converse:twice');
    billed.push(once);
    await guard.releaseAllowances({ nowMs: NOW + 1_000 });
    expect(await counterOf(client, table, TENANT_MONTH)).toMatchObject({ costAtto: sum(billed).costAtto, tokens: sum(billed).tokens, cacheReadTokens: sum(billed).cacheReadTokens });
  }, 60_000);
});
