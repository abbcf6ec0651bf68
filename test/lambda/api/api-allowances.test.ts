// Container allowances of the usage ledger through the real API handler, the AWS SDK against DynamoDB Local and the
// Bedrock simulator: a busy second served from the container's allowance answers with consistent rate-limit headers,
// and once the allowance is settled the tenant's counter holds exactly what the answers say they cost.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { UsageLimitConfig } from '../../../shared/contract';
import { usdToAtto } from '../../../shared/core';
import { handler } from '../../../lambda/api/handler';
import { DynamoDbLedgerGuard } from '../../../lambda/pipeline/guards';
import { event, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

const LEDGER_TABLES = ['allowances-api-ledger-1', 'allowances-api-ledger-2'];
const LIMIT_USD = 100;
const LIMITS: UsageLimitConfig[] = [{ scope: 'tenant', window: 'month', maxCostUsd: LIMIT_USD, allowanceSeconds: 10 }];
const CALLS = 40;

const h = useApiHarness({ ledgerTables: LEDGER_TABLES });
// A fixed clock mid-month, years ahead (DynamoDB Local expires ledger items by the machine's clock): every call of
// a test lands in the same second of it.
const CLOCK = Date.parse('2036-03-15T12:00:00Z');
let now = CLOCK;
let requestCounter = 0;

/*
 * The composed DynamoDbLedgerGuard of `containerPipeline()` is private to it (the pipeline's spend port holds the
 * guard chain, which holds the guards): no seam reaches it. The guard that served the calls is taken from its own
 * method as it runs, so that the test releases the very guard the handler used.
 */
const containerGuards = new Set<DynamoDbLedgerGuard>();
beforeAll(() => {
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  const reserve = DynamoDbLedgerGuard.prototype.reserve;
  jest.spyOn(DynamoDbLedgerGuard.prototype, 'reserve').mockImplementation(function (this: DynamoDbLedgerGuard, ...args) {
    containerGuards.add(this);
    return reserve.apply(this, args);
  });
});
afterAll(() => jest.restoreAllMocks());
beforeEach(() => {
  now = CLOCK;
  containerGuards.clear();
});

function configure(ledgerTableName: string): void {
  h.useConfig({
    maxTokens: 300, retry: { maxAttempts: 2, attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 1 },
    guards: { store: 'dynamodb', ledgerTableName, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, usageLimits: LIMITS },
  });
}

function apiEvent(body: unknown): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return { ...base, body: JSON.stringify(body), requestContext: { ...base.requestContext, requestId: `allowance-${String(requestCounter).padStart(8, '0')}` } };
}

async function invoke(i: number): Promise<{ response: APIGatewayProxyResult; body: any }> {
  const { result } = await withEmf(() => handler(apiEvent({ message: `Question ${i}: how do I export my invoices as CSV?`, tenantId: 'acme', userId: `u${i % 3}` })));
  return { response: result, body: JSON.parse(result.body) };
}

/** Every tenant counter of the table (the API's tenant is its IAM caller), summed. */
async function tenantCounters(table: string): Promise<{ items: number; requests: number; tokens: number; costAtto: bigint; liveIds: number }> {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  const mine = Items.filter((i) => i.pk.S!.startsWith('tenant#'));
  return {
    items: mine.length,
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
    // Live hold ids of the counters' expiry buckets (`<bucket>s`): reservations or allowances not settled yet.
    liveIds: mine.reduce((s, i) => s + Object.entries(i).filter(([k, v]) => /^[hk][0-9a-z]+s$/.test(k) && v.SS).reduce((n, [, v]) => n + v.SS!.length, 0), 0),
  };
}

/** Serves the calls one after another (one container answers one invocation at a time), checking each answer. */
async function busySecond(table: string): Promise<{ billedAtto: bigint; tokens: number; remaining: number[] }> {
  let billedAtto = 0n;
  let tokens = 0;
  const remaining: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const { response, body } = await invoke(i);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'x-ratelimit-policy': 'tenant;w=month;m=costUsd', 'x-ratelimit-limit': String(LIMIT_USD) });
    remaining.push(Number(response.headers!['x-ratelimit-remaining']));
    billedAtto += usdToAtto(body.cost.totalUsd);
    tokens += body.usage.inputTokens + body.usage.cacheWriteInputTokens + body.usage.outputTokens;
    // Never under: what the ledger counts covers what the answers so far cost, allowance or not.
    expect((await tenantCounters(table)).costAtto).toBeGreaterThanOrEqual(billedAtto);
  }
  return { billedAtto, tokens, remaining };
}

describe('container allowances through the API handler (DynamoDB Local, Bedrock simulator)', () => {
  test('40 calls in one second: consistent rate-limit headers, the allowance counted while held, and released the counter is what the answers cost, to the attodollar', async () => {
    const table = LEDGER_TABLES[0];
    configure(table);

    const { billedAtto, tokens, remaining } = await busySecond(table);

    // The headers: within the limit, and never more left after a call than after the one before it
    for (const [i, left] of remaining.entries()) {
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(LIMIT_USD);
      if (i > 0) expect(left).toBeLessThanOrEqual(remaining[i - 1]);
    }
    // The container took an allowance: the counter holds it whole (more than the answers cost), under a live id
    expect(containerGuards.size).toBe(1);
    const held = await tenantCounters(table);
    expect(held.costAtto).toBeGreaterThan(billedAtto);
    expect(held.liveIds).toBe(1);

    // When the container releases its allowances
    const [guard] = containerGuards;
    await guard.releaseAllowances({ nowMs: now });

    // Then the counter is exactly what the answers cost, with no id left live
    expect(await tenantCounters(table)).toEqual({ items: 1, requests: 0, tokens, costAtto: billedAtto, liveIds: 0 });
    expect(billedAtto).toBeGreaterThan(0n);
    expect(h.sim.calls.filter((c) => c.operation !== 'CountTokens')).toHaveLength(CALLS);
  }, 180_000);

  test('a minute later the next call settles the aged allowance beside itself: the counter is exact without a release', async () => {
    const table = LEDGER_TABLES[1];
    configure(table);
    const first = await busySecond(table);
    expect((await tenantCounters(table)).costAtto).toBeGreaterThan(first.billedAtto);

    // When the same container answers one more call a minute later (an allowance is used a minute at most)
    now = CLOCK + 61_000;
    const { response, body } = await invoke(CALLS);
    expect(response.statusCode).toBe(200);

    // Then, its own cost included, the counter is exactly what the answers cost
    const late = usdToAtto(body.cost.totalUsd);
    const tokens = first.tokens + body.usage.inputTokens + body.usage.cacheWriteInputTokens + body.usage.outputTokens;
    expect(await tenantCounters(table)).toEqual({ items: 1, requests: 0, tokens, costAtto: first.billedAtto + late, liveIds: 0 });
  }, 180_000);
});
