import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { breakerPeriodId, GuardsConfig } from '../../../shared/contract';
import { handler } from '../../../lambda/api/handler';
import { DynamoDbBreakerStore } from '../../../lambda/breaker/state-store';
import { createBreakerTable } from '../../../packages/local/src/demo/resources';
import { event, GENAI_TAGS, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

const BREAKER_TABLE = 'throttle-api-breaker';
const LEDGER_TABLE = 'throttle-api-usage-ledger';
// A fixed clock, years ahead: the breaker's period and the ledger's windows follow it, and DynamoDB Local's TTL (on
// the real clock) never removes an item mid-test.
const MARCH_15_2036 = Date.UTC(2036, 2, 15, 12, 0, 0);

const guards: GuardsConfig = {
  store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS,
  usageLimits: [{ scope: 'tenant', window: 'month', maxRequests: 1_000, maxCostUsd: 5 }],
  // The deployed 1 s breaker read fails open on a slow DynamoDB Local; this test is about throttling, not that read.
  breaker: { tableName: BREAKER_TABLE, cacheTtlSeconds: 30, readTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, features: {}, defaultFeature: { critical: false, whenTripped: 'throttle', throttleTo: 0.25 } },
};
const h = useApiHarness({ ledgerTables: [LEDGER_TABLE], config: { guards } });

let clock = MARCH_15_2036;
let requestCounter = 0;
let store: DynamoDbBreakerStore;

beforeAll(async () => {
  jest.spyOn(Date, 'now').mockImplementation(() => clock);
  await createBreakerTable(h.ddb, BREAKER_TABLE);
  store = new DynamoDbBreakerStore(h.ddb, BREAKER_TABLE, { now: () => clock });
});
afterAll(() => jest.restoreAllMocks());

function apiEvent(body: unknown): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return { ...base, body: JSON.stringify(body), requestContext: { ...base.requestContext, requestId: `throttle-${String(requestCounter).padStart(8, '0')}` } };
}

/** Sends `count` distinct questions of a tenant through the API handler, one after another. */
async function send(tenantId: string, count: number) {
  const answers = [];
  for (let i = 0; i < count; i++) {
    const { result, emf } = await withEmf(() => handler(apiEvent({ message: `Question ${requestCounter} about my invoice?`, tenantId, userId: 'u1' })));
    answers.push({ status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body), emf });
  }
  return answers;
}

/** What the ledger counted for a tenant. */
async function tenantSpend(tenantId: string): Promise<{ requests: number; costAtto: bigint }> {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  const mine = Items.filter((i) => i.pk.S!.startsWith('tenant#') && i.pk.S!.includes(encodeURIComponent(tenantId)));
  return { requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0), costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n) };
}

describe('API handler with a throttled feature\'s breaker tripped in DynamoDB Local', () => {
  test('at share 0.25, of 8 requests 2 are answered and 6 refused with 429 FEATURE_THROTTLED, charged nothing; the full rate returns when the breaker closes', async () => {
    // Given the chat feature's breaker tripped by its spend alarm, written as the breaker function writes it
    await store.trip({
      application: GENAI_TAGS.Application, feature: GENAI_TAGS.Feature, source: 'alarm:genai-chat-spend', reason: 'CloudWatch alarm genai-chat-spend is in ALARM',
      period: breakerPeriodId('month', clock), notifiedAt: new Date(clock).toISOString(),
    });

    // When 8 chat requests arrive
    const answers = await send('tenant-throttled', 8);

    // Then the 1st and 5th are answered and the 6 others refused, saying why, with Retry-After the breaker's cache TTL
    expect(answers.map((a) => a.status)).toEqual([200, 429, 429, 429, 200, 429, 429, 429]);
    const refused = answers.filter((a) => a.status === 429);
    for (const answer of refused) {
      expect(answer.body).toMatchObject({ error: 'FEATURE_THROTTLED', details: { feature: 'chat', breaker: 'chat', source: 'alarm:genai-chat-spend', throttleTo: 0.25 } });
      expect(answer.body.message).toMatch(/^Feature 'chat' is throttled to 25 % of its requests and this one was not admitted: the breaker of feature 'chat' is open since .* \(CloudWatch alarm genai-chat-spend is in ALARM\); it resets at 2036-04-01T00:00:00.000Z/);
      expect(answer.headers['retry-after']).toBe('30');
    }

    // And only the answered requests reached Bedrock and the ledger: the refused ones were charged nothing
    expect(h.sim.calls).toHaveLength(2);
    const spend = await tenantSpend('tenant-throttled');
    expect(spend.requests).toBe(2);
    const billedUsd = answers.filter((a) => a.status === 200).reduce((sum, a) => sum + a.body.cost.totalUsd, 0);
    expect(Number(spend.costAtto) / 1e18).toBeCloseTo(billedUsd, 12);

    // And each refusal is one ThrottledRequests count under Application and Feature, beside its request's 429 record
    for (const answer of refused) {
      const throttled = answer.emf.filter((r) => r.ThrottledRequests === 1);
      expect(throttled).toEqual([expect.objectContaining({ Application: 'support', Feature: 'chat', Model: 'none' })]);
      expect(answer.emf).toEqual(expect.arrayContaining([expect.objectContaining({ RejectedRequests: 1, status: '429', errorCode: 'FEATURE_THROTTLED' })]));
    }
    expect(answers.filter((a) => a.status === 200).flatMap((a) => a.emf).some((r) => 'ThrottledRequests' in r)).toBe(false);

    // When an operator resets the breaker and the container's cached state expires
    await store.reset(GENAI_TAGS.Application, GENAI_TAGS.Feature, 'spend back to normal', 'manual:ops@example.com');
    clock += 31_000;

    // Then every request is answered again
    expect((await send('tenant-throttled', 4)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(h.sim.calls).toHaveLength(6);
  });
});
