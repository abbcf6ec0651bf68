import { DynamoDBClient, GetItemCommand, ProvisionedThroughputExceededException, UpdateItemCommand, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { UsageLimitConfig } from '../../../../shared/contract';
import { DynamoDbLedgerGuard, SpendAmount } from '../../../../lambda/pipeline/guards';
import { LocalDynamoDb, localClientConfig, startDynamoDbLocal } from '../../../../packages/local/src/services';
import { createLedgerTable } from '../../../../packages/local/src/services/ledger-table';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../../support/slow-machine';
import { amount, counterOf, ctx, NOW } from './ledger-support';

/*
 * Container allowances when the grant's write goes wrong: its answer lost after it landed (withdrawn), the withdrawal
 * itself unreachable (counted whole: over, never under), the SDK repeating a grant that landed (it holds), the grant
 * throttled or refused by the ledger (the calls go on reserving exactly).
 */

const TENANT_MONTH = 'tenant#iam%3Aacme#2026-12';
const LIMITS: UsageLimitConfig[] = [{ scope: 'tenant', window: 'month', maxCostUsd: 100, allowanceSeconds: 10 }];
const BOUND = amount(1_000, 1_000); // 1,000 tokens, $0.001 upper bound
const billedOf = (i: number) => amount(200 + (i % 17), 150 + (i % 11), i % 5);
/** Calls within one second of the fixed clock (NOW is 09:30:15.000): 12 a second, above the 4 a grant needs. */
const CALLS = 12;
const STEP_MS = 50;

let dynamodb: LocalDynamoDb;
/** Straight to DynamoDB Local, for reading what the table holds. */
let direct: DynamoDBClient;
let tableCounter = 0;
let table: string;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  dynamodb = await startDynamoDbLocal();
  direct = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
});

afterAll(async () => {
  for (const c of [direct, ...clients]) c?.destroy();
  await dynamodb?.stop();
});

beforeEach(async () => {
  table = `allowance-faults-${++tableCounter}`;
  await createLedgerTable(direct, table);
});

/**
 * A grant is the only ledger write that adds amounts to a counter (`:t`) while holding none in its bucket (`:z`,
 * `reserveCounterUpdate` with `heldInBucket: false`); a fence has `:z` without `:t`, a reservation `:t` without `:z`.
 */
const isGrant = (input: UpdateItemCommandInput) => input.ExpressionAttributeValues?.[':z'] !== undefined && input.ExpressionAttributeValues?.[':t'] !== undefined;
const holdIdOf = (input: UpdateItemCommandInput) => input.ExpressionAttributeValues?.[':h']?.S;

interface Faults {
  /** Called with each grant's input before it is sent: throw to fail it unsent, or act on the table. */
  beforeGrant?: (input: UpdateItemCommandInput) => Promise<void>;
  /** Called once the first grant has landed, before its answer reaches the guard: throw to lose the answer. */
  afterGrantLanded?: (input: UpdateItemCommandInput) => Promise<void>;
  /** Fails, unsent, every other write of the hold ids of the grants (withdrawals, fences, settlements). */
  blockGrantFollowUps?: boolean;
}

/** A client whose middleware injects `faults` (without SDK retries unless `retries`) and counts UpdateItems. */
function faultyClient(faults: Faults, retries = false): { client: DynamoDBClient; updates: () => number; grants: UpdateItemCommandInput[] } {
  const client = new DynamoDBClient({ ...localClientConfig(dynamodb.endpoint), ...(retries ? {} : { maxAttempts: 1 }) });
  clients.push(client);
  const grants: UpdateItemCommandInput[] = [];
  let updates = 0;
  let answersLost = 0;
  client.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName !== 'UpdateItemCommand') return next(args);
    updates++;
    const input = args.input as UpdateItemCommandInput;
    if (isGrant(input)) {
      grants.push(input);
      await faults.beforeGrant?.(input);
      const result = await next(args);
      if (faults.afterGrantLanded && answersLost++ === 0) await faults.afterGrantLanded(input);
      return result;
    }
    if (faults.blockGrantFollowUps && grants.some((g) => holdIdOf(g) === holdIdOf(input))) {
      throw Object.assign(new Error('connect ECONNREFUSED (test: the ledger is unreachable)'), { name: 'Error', $metadata: {} });
    }
    return next(args);
  }, { step: 'deserialize', name: 'allowanceFaults' });
  return { client, updates: () => updates, grants };
}

function container(client: DynamoDBClient): DynamoDbLedgerGuard {
  const ms = SLOW_MACHINE_TIMEOUT_MS;
  return new DynamoDbLedgerGuard({ client, tableName: table, guards: { usageLimits: LIMITS }, timeoutMs: ms, confirmTimeoutMs: ms, refusalConfirmMs: ms });
}

/** One call: reserve (counting the request), the work started beside it, then settle to what was billed. */
async function call(guard: DynamoDbLedgerGuard, i: number): Promise<SpendAmount> {
  const context = ctx({ requestId: `r${i}`, nowMs: NOW + i * STEP_MS });
  const hold = await guard.reserve(context, BOUND, true);
  await guard.flush();
  const billed = billedOf(i);
  await guard.settle(context, hold, BOUND, billed, `converse:r${i}`);
  return billed;
}

const sumOf = (amounts: ReadonlyArray<SpendAmount>) => amounts.reduce(
  (s, a) => ({ tokens: s.tokens + a.tokens, costAtto: s.costAtto + a.costAtto, cacheReadTokens: s.cacheReadTokens + a.cacheReadTokens }),
  { tokens: 0, costAtto: 0n, cacheReadTokens: 0 },
);

/** Every string set of the counter item that holds `holdId` (live, fenced or given-back ids of its buckets). */
async function setsHolding(holdId: string): Promise<string[]> {
  const { Item = {} } = await direct.send(new GetItemCommand({ TableName: table, Key: { pk: { S: TENANT_MONTH } }, ConsistentRead: true }));
  return Object.entries(Item).filter(([, v]) => v.SS?.includes(holdId)).map(([name]) => name);
}

/** Runs the calls, checking after each that the counter holds exactly what was billed so far (no allowance held). */
async function callsReservingExactly(guard: DynamoDbLedgerGuard, updates: () => number): Promise<SpendAmount[]> {
  const billed: SpendAmount[] = [];
  for (let i = 0; i < CALLS; i++) {
    const before = updates();
    billed.push(await call(guard, i));
    // Each call reserves and settles in the ledger itself (a grant's writes come on top).
    expect(updates() - before).toBeGreaterThanOrEqual(2);
    expect(await counterOf(direct, table, TENANT_MONTH)).toMatchObject({ requests: 0, ...sumOf(billed) });
  }
  return billed;
}

describe('a container allowance whose grant goes wrong (DynamoDB Local)', () => {
  test('a grant that landed but whose answer was lost is withdrawn: the counter holds exactly what was billed and its id is live nowhere', async () => {
    // Given the grant's answer lost once it landed, with the counter read at that moment
    let landed: { costAtto: bigint; tokens: number; billedAtto: bigint } | undefined;
    const billed: SpendAmount[] = [];
    const { client, updates, grants } = faultyClient({
      afterGrantLanded: async () => {
        const counter = await counterOf(direct, table, TENANT_MONTH);
        landed = { costAtto: counter!.costAtto, tokens: counter!.tokens, billedAtto: sumOf(billed).costAtto };
        throw Object.assign(new Error('socket timed out (test: the answer is lost)'), { name: 'TimeoutError', $metadata: {} });
      },
    });
    const guard = container(client);

    // When a busy container's calls lead it to try a grant (each call settled before the next)
    for (let i = 0; i < CALLS; i++) {
      const before = updates();
      billed.push(await call(guard, i));
      expect(updates() - before).toBeGreaterThanOrEqual(2);
    }

    // Then exactly one grant was tried in the second (a failed one waits a second), and it did land: without the
    // withdrawal the counter would hold the billed sum plus the grant, whose bound is a share of the demand
    expect(grants).toHaveLength(1);
    const grant = grants[0];
    const grantAtto = BigInt(grant.ExpressionAttributeValues![':c'].N!);
    expect(grantAtto).toBeGreaterThan(BOUND.costAtto);
    expect(landed).toBeDefined();
    // (the call that led to it was reserved, its bound held, and not yet settled)
    expect(landed!.costAtto).toBe(landed!.billedAtto + BOUND.costAtto + grantAtto);
    // ... and after the withdrawal the counter holds exactly what was billed, with the grant's id in no set
    expect(await counterOf(direct, table, TENANT_MONTH)).toMatchObject({ requests: 0, ...sumOf(billed) });
    expect(await setsHolding(holdIdOf(grant)!)).toEqual([]);

    // Released, nothing changes: the container holds no allowance
    const before = await counterOf(direct, table, TENANT_MONTH);
    await guard.releaseAllowances({ nowMs: NOW + 1_000 });
    expect(await counterOf(direct, table, TENANT_MONTH)).toEqual(before);
  }, 120_000);

  test('a grant whose answer was lost and whose withdrawal cannot reach the ledger stays counted whole: over by the grant, never under', async () => {
    const { client, grants } = faultyClient({
      afterGrantLanded: async () => { throw Object.assign(new Error('socket timed out (test)'), { name: 'TimeoutError', $metadata: {} }); },
      blockGrantFollowUps: true,
    });
    const guard = container(client);

    const billed: SpendAmount[] = [];
    for (let i = 0; i < CALLS; i++) billed.push(await call(guard, i));

    // The same calls as the test above: only the withdrawal differs, and the difference is the grant exactly
    expect(grants).toHaveLength(1);
    const grant = grants[0].ExpressionAttributeValues!;
    const counter = await counterOf(direct, table, TENANT_MONTH);
    expect(counter!.costAtto).toBe(sumOf(billed).costAtto + BigInt(grant[':c'].N!));
    expect(counter!.tokens).toBe(sumOf(billed).tokens + Number(grant[':t'].N));
    expect(await setsHolding(holdIdOf(grants[0])!)).toHaveLength(1);
  }, 120_000);

  test('a grant the SDK sent again after it landed holds (the repeat fails its condition on the live id), and released, the counter is exact', async () => {
    // The SDK retries a TimeoutError: its second send finds the grant's id live and the guard keeps the allowance
    const { client, updates, grants } = faultyClient({
      afterGrantLanded: async () => { throw Object.assign(new Error('socket timed out (test)'), { name: 'TimeoutError', $metadata: {} }); },
    }, true);
    const guard = container(client);

    const billed: SpendAmount[] = [];
    const writesPerCall: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const before = updates();
      billed.push(await call(guard, i));
      writesPerCall.push(updates() - before);
    }

    // The first grant sent twice by the SDK (the same id), counted once and used: calls after it wrote nothing
    expect(grants.length).toBeGreaterThanOrEqual(2);
    expect(holdIdOf(grants[1])).toBe(holdIdOf(grants[0]));
    expect(writesPerCall.filter((w) => w === 0).length).toBeGreaterThan(0);
    // While held, the counter shows the grant whole: more than was billed
    expect((await counterOf(direct, table, TENANT_MONTH))!.costAtto).toBeGreaterThan(sumOf(billed).costAtto);

    await guard.releaseAllowances({ nowMs: NOW + 1_000 });
    expect(await counterOf(direct, table, TENANT_MONTH)).toMatchObject({ requests: 0, ...sumOf(billed) });
    for (const grant of grants) expect(await setsHolding(holdIdOf(grant)!)).toEqual([]);
  }, 120_000);

  test('a throttled grant leaves the calls reserving exactly, each settled to what was billed', async () => {
    const { client, updates, grants } = faultyClient({
      beforeGrant: async () => {
        throw new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the current capacity (test)', $metadata: { httpStatusCode: 400 } });
      },
    });
    const guard = container(client);

    await callsReservingExactly(guard, updates);

    expect(grants).toHaveLength(1);
    expect(await setsHolding(holdIdOf(grants[0])!)).toEqual([]);
  }, 120_000);

  test('a grant the ledger refuses (another container spent most of what was left) leaves the calls reserving exactly', async () => {
    // Given another container's spend landing just before the grant, leaving less than the grant on the counter
    let otherAtto = 0n;
    const { client, updates, grants } = faultyClient({
      beforeGrant: async (input) => {
        const counter = await counterOf(direct, table, TENANT_MONTH);
        const cmax = BigInt(input.ExpressionAttributeValues![':cmax'].N!);
        otherAtto = cmax - counter!.costAtto + 1n;
        await direct.send(new UpdateItemCommand({
          TableName: table, Key: { pk: { S: TENANT_MONTH } }, UpdateExpression: 'ADD costAtto :c', ExpressionAttributeValues: { ':c': { N: otherAtto.toString() } },
        }));
      },
    });
    const guard = container(client);

    // When the calls go on (the ledger still has room for each call's own bound: $100 less what the other spent)
    const billed: SpendAmount[] = [];
    for (let i = 0; i < CALLS; i++) {
      const before = updates();
      billed.push(await call(guard, i));
      expect(updates() - before).toBeGreaterThanOrEqual(2);
    }

    // Then the grant was refused, and the counter is the other container's spend plus exactly what was billed here
    expect(grants).toHaveLength(1);
    expect(otherAtto).toBeGreaterThan(0n);
    expect(await setsHolding(holdIdOf(grants[0])!)).toEqual([]);
    const counter = await counterOf(direct, table, TENANT_MONTH);
    expect(counter!.costAtto).toBe(otherAtto + sumOf(billed).costAtto);
    expect(counter!.tokens).toBe(sumOf(billed).tokens);
  }, 120_000);
});
