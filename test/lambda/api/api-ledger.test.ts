import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { GuardsConfig } from '../../../shared/contract';
import { handler } from '../../../lambda/api/handler';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { event, pipelineConfigJson, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

const CACHE_TABLE = 'ledger-api-response-cache';
const LEDGER_TABLE = 'ledger-api-usage-ledger';

let requestCounter = 0;
const h = useApiHarness({ cacheTables: [CACHE_TABLE], ledgerTables: [LEDGER_TABLE] });

// These tests are about the ledger's counts, not its timeout: the deployed 1.5 s would fall back to the container guard
// on a slow DynamoDB Local (cold JVM, loaded CI machine) and the counts would be missing.
function useLedger(usageLimits: GuardsConfig['usageLimits'], ledgerTimeoutMs = SLOW_MACHINE_TIMEOUT_MS): void {
  process.env.GENAI_PIPELINE_CONFIG = pipelineConfigJson({
    responseCacheTable: CACHE_TABLE, retry: { maxAttempts: 2, attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 1 },
    guards: { store: 'dynamodb', ledgerTableName: LEDGER_TABLE, usageLimits, ledgerTimeoutMs },
  });
  resetContainer();
}

function apiEvent(body: unknown): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return { ...base, body: JSON.stringify(body), requestContext: { ...base.requestContext, requestId: `ledger-${String(requestCounter).padStart(8, '0')}` } };
}

async function invoke(e: APIGatewayProxyEvent): Promise<{ response: APIGatewayProxyResult; body: any }> {
  const { result } = await withEmf(() => handler(e));
  return { response: result, body: JSON.parse(result.body) };
}

/** The ledger's counters of a tenant (every scope whose key names it), summed. */
async function countersOf(tenant: string, scope: 'user' | 'tenant'): Promise<{ requests: number; tokens: number; costAtto: bigint; buckets: string[] }> {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  const mine = Items.filter((i) => i.pk.S!.startsWith(`${scope}#`) && i.pk.S!.includes(encodeURIComponent(tenant)));
  return {
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
    buckets: mine.flatMap((i) => Object.entries(i).filter(([k]) => /^h[0-9a-z]+[tc]$/.test(k)).map(([, v]) => v.N!)),
  };
}

describe('API handler with the usage ledger in DynamoDB Local', () => {
  test('a miss is reserved and settled to what Bedrock billed, and the answer carries the rate-limit headers', async () => {
    useLedger([{ scope: 'user', window: 'hour', maxRequests: 100, maxTokens: 10_000 }]);

    const { response, body } = await invoke(apiEvent({ message: 'How do I change my billing address?', tenantId: 'tenant-miss', userId: 'u1' }));

    expect(response.statusCode).toBe(200);
    const billed = h.sim.calls[0].usage!;
    const user = await countersOf('tenant-miss', 'user');
    expect(user).toMatchObject({ requests: 1, tokens: billed.inputTokens + billed.outputTokens });
    expect(user.buckets.every((v) => v === '0')).toBe(true);
    expect(response.headers).toMatchObject({ 'x-ratelimit-limit': expect.any(String), 'x-ratelimit-remaining': expect.any(String), 'x-ratelimit-policy': expect.stringMatching(/^user;w=hour;m=(tokens|requests)$/) });
    expect(Number(response.headers!['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect(Number(response.headers!['x-ratelimit-reset'])).toBeLessThanOrEqual(3600);
    expect(body.limits).toMatchObject({ scope: 'user', window: 'hour' });
  });

  test('a response-cache hit counts as a request and gives its speculative reservation back', async () => {
    useLedger([{ scope: 'user', window: 'hour', maxRequests: 100, maxTokens: 10_000 }]);
    const request = { message: 'Where can I see my invoices?', tenantId: 'tenant-hit', userId: 'u1' };
    await invoke(apiEvent(request));
    const afterMiss = await countersOf('tenant-hit', 'user');

    const hit = await invoke(apiEvent(request));

    expect(hit.body.cache.response).toBe('hit');
    expect(await countersOf('tenant-hit', 'user')).toMatchObject({ requests: 2, tokens: afterMiss.tokens, costAtto: afterMiss.costAtto });
    expect(h.sim.calls).toHaveLength(1);
  });

  test('Bedrock throttling mid-request leaks nothing: the counters go back to zero', async () => {
    useLedger([{ scope: 'user', window: 'hour', maxTokens: 10_000 }, { scope: 'tenant', window: 'month', maxCostUsd: 5 }]);
    h.sim.injectFaults('throttle', 10);

    const { response } = await invoke(apiEvent({ message: 'Why was I charged twice?', tenantId: 'tenant-throttled', userId: 'u1' }));

    expect([429, 503]).toContain(response.statusCode);
    for (const scope of ['user', 'tenant'] as const) {
      const counters = await countersOf('tenant-throttled', scope);
      expect(counters).toMatchObject({ tokens: 0, costAtto: 0n });
      expect(counters.buckets.every((v) => v === '0')).toBe(true);
    }
  });

  test('an exhausted quota refuses a miss with 429, the limit it hit and its headers', async () => {
    useLedger([{ scope: 'tenant', window: 'day', maxTokens: 5 }]);

    const { response, body } = await invoke(apiEvent({ message: 'What is my plan?', tenantId: 'tenant-tiny', userId: 'u1' }));

    expect(response.statusCode).toBe(429);
    expect(body).toMatchObject({ error: 'USAGE_LIMIT_EXCEEDED', details: { scope: 'tenant', window: 'day', measure: 'tokens', limit: 5 } });
    expect(response.headers).toMatchObject({ 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-policy': 'tenant;w=day;m=tokens', 'retry-after': expect.any(String) });
    expect(h.sim.calls).toHaveLength(0);
  });

  // DynamoDB Local serializes one item's updates: on a busy machine 50 at once may take longer than the handler's
  // 1.5 s ledger timeout, so this test, about the limit and not about timeouts, gives the ledger 30 s.
  test('50 concurrent requests through the handler never admit more tokens than the tenant quota', async () => {
    const limit = 15_000;
    useLedger([{ scope: 'tenant', window: 'month', maxTokens: limit }], 30_000);

    const { result } = await withEmf(() => Promise.all(Array.from({ length: 50 }, (_, i) =>
      handler(apiEvent({ message: `Concurrent question ${i} about my order?`, tenantId: 'tenant-burst', userId: `u${i % 7}` })))));

    const answered = result.filter((r) => r.statusCode === 200).length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(50);
    expect(result.every((r) => r.statusCode === 200 || r.statusCode === 429)).toBe(true);
    const tenant = await countersOf('tenant-burst', 'tenant');
    // CountTokens (asked when a reservation on the prompt's bound is refused near the quota's end) bills nothing.
    const billed = h.sim.calls.filter((c) => c.operation !== 'CountTokens').reduce((s, c) => s + (c.usage?.inputTokens ?? 0) + (c.usage?.outputTokens ?? 0), 0);
    expect(tenant.tokens).toBe(billed);
    expect(tenant.tokens).toBeLessThanOrEqual(limit);
  });
});
