/**
 * A prompt within the limit is reserved on its upper bound, which is up to 3× its real count on Cyrillic prose: near
 * the end of a budget that refuses tenants early. When a token or USD limit refuses such a reservation, the pipeline
 * asks Bedrock's CountTokens (free) once and reserves again on the count; only a prompt that does not fit on its
 * count is refused. A CountTokens that cannot answer now is a 503 to retry, never "shorten the prompt".
 * Real API handler, real SDK, DynamoDB Local for the usage ledger, the Bedrock simulator for counting and billing.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { TEXT_KINDS } from '../../../bench/text-samples';
import type { GuardsConfig } from '../../../shared/contract';
import { estimatePromptTokens, lookupModel, priceUsageExact } from '../../../shared/core';
import { handler } from '../../../lambda/api/handler';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { truncateToTokens } from '../../../packages/local/src/bedrock-simulator';
import { seededRandom } from '../../../packages/local/src/bedrock-simulator/random';
import { realInputTokens } from '../../fixtures/prompt-corpus';
import { event, HAIKU_45, pipelineConfigJson, TIERS, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

const LEDGER_TABLE = 'recount-usage-ledger';
const CACHE_TABLE = 'recount-response-cache';
const MAX_OUTPUT = 64;
/** One tier, so the reservation is priced at one model (the simple tier's `us.` Haiku 4.5). */
const ONE_TIER = { simple: TIERS.simple };
const PRICE = lookupModel(TIERS.simple.modelId).price;

let requestCounter = 0;
const h = useApiHarness({ cacheTables: [CACHE_TABLE], ledgerTables: [LEDGER_TABLE] });

function useLimits(usageLimits: GuardsConfig['usageLimits'] | undefined, maxInputTokens?: number, responseCacheTable?: string): void {
  process.env.GENAI_PIPELINE_CONFIG = pipelineConfigJson({
    tiers: ONE_TIER, maxTokens: MAX_OUTPUT, ...(maxInputTokens ? { maxInputTokens } : {}), ...(responseCacheTable ? { responseCacheTable } : {}),
    // About recounting, not the ledger's timeout: the deployed 1.5 s can pass on a slow DynamoDB Local on loaded CI.
    ...(usageLimits ? { guards: { store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, usageLimits } } : {}),
  });
  resetContainer();
}

function apiEvent(body: unknown): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return { ...base, body: JSON.stringify(body), requestContext: { ...base.requestContext, requestId: `recount-${String(requestCounter).padStart(8, '0')}` } };
}

async function send(message: string, tenantId: string): Promise<{ response: APIGatewayProxyResult; body: any; calls: typeof h.sim.calls }> {
  const before = h.sim.calls.length;
  const { result } = await withEmf(() => handler(apiEvent({ message, tenantId, userId: 'u1' })));
  return { response: result, body: JSON.parse(result.body), calls: h.sim.calls.slice(before) };
}

/** The ledger's tenant counters of `tenant`, summed, with what its expiry buckets still hold. */
async function tenantCounters(tenant: string) {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  const mine = Items.filter((i) => i.pk.S!.startsWith('tenant#') && i.pk.S!.includes(encodeURIComponent(tenant)));
  return {
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
    held: mine.flatMap((i) => Object.entries(i).filter(([k]) => /^h[0-9a-z]+[tc]$/.test(k)).map(([, v]) => BigInt(v.N!))).reduce((s, v) => s + v, 0n),
  };
}

/** Russian prose cut to exactly `tokens` tokens of the simulator's tokenizer (the bound is about 3× its count). */
function russian(tokens: number): string {
  return truncateToTokens(TEXT_KINDS.russian(seededRandom(tokens), tokens * 6), tokens).text;
}

/** What a reservation of `inputTokens` input and the output cap costs at the tier's price (no cacheable prefix here). */
function reservationAtto(inputTokens: number): bigint {
  return priceUsageExact({ inputTokens, outputTokens: MAX_OUTPUT }, PRICE).totalAtto;
}

const usd = (atto: bigint) => Number(atto) / 1e18;

describe('a reservation refused on the bound is re-counted', () => {
  const message = russian(3_000);
  const counted = realInputTokens(message);
  const bound = estimatePromptTokens({ message, history: [] }).bound.total;

  test('the prompt is a case the fix is about: within the input limit uncounted, its bound over twice its count', () => {
    expect(bound).toBeLessThanOrEqual(50_000);
    expect(bound).toBeGreaterThan(2 * counted);
  });

  test('a tenant whose budget left fits the counted prompt but not its bound is admitted, and settles exactly to the bill', async () => {
    // Given a monthly USD limit halfway between the reservation on the count and the one on the bound (and a request
    // limit, which must count the request once, though it was reserved twice)
    const budgetAtto = (reservationAtto(counted) + reservationAtto(bound)) / 2n;
    useLimits([{ scope: 'tenant', window: 'month', maxCostUsd: usd(budgetAtto), maxRequests: 100 }]);

    // When the Russian prompt is sent
    const { response, body, calls } = await send(message, 'tenant-near-end');

    // Then it is admitted after one CountTokens of the base model (not the profile), and answered once
    expect(response.statusCode).toBe(200);
    expect(calls.map((c) => c.operation)).toEqual(['CountTokens', 'Converse']);
    expect(calls[0].modelId).toBe(HAIKU_45);
    expect(body.inputTokenBound).toBe(counted);
    // And the ledger holds exactly what Bedrock billed, nothing reserved left over
    const billed = calls[1].usage!;
    expect(billed.inputTokens + billed.cacheWriteInputTokens + billed.cacheReadInputTokens).toBe(counted);
    const counters = await tenantCounters('tenant-near-end');
    expect(counters).toMatchObject({ requests: 1, tokens: billed.inputTokens + billed.cacheWriteInputTokens + billed.outputTokens, held: 0n });
    expect(counters.costAtto).toBe(priceUsageExact(billed, PRICE).totalAtto);
  });

  test('a prompt that does not fit on its count either is refused with 429 on the counted figures, and nothing stays reserved', async () => {
    // Given a budget below even the reservation on the count
    useLimits([{ scope: 'tenant', window: 'month', maxCostUsd: usd(reservationAtto(counted) / 2n), maxRequests: 100 }]);

    const { response, body, calls } = await send(message, 'tenant-spent');

    // Then 429, stating the count and what the counted prompt may need; Bedrock only counted
    expect(response.statusCode).toBe(429);
    expect(body.details).toMatchObject({ measure: 'costUsd', countedInputTokens: counted, requested: Math.round(usd(reservationAtto(counted)) * 1e6) / 1e6 });
    expect(calls.map((c) => c.operation)).toEqual(['CountTokens']);
    expect(await tenantCounters('tenant-spent')).toMatchObject({ requests: 0, tokens: 0, costAtto: 0n, held: 0n });
  });

  test('a token limit re-counts too', async () => {
    // Given a daily token limit between the counted and the bound reservation
    useLimits([{ scope: 'tenant', window: 'day', maxTokens: Math.floor((counted + bound) / 2) + MAX_OUTPUT }]);

    const { response, calls } = await send(message, 'tenant-tokens');

    expect(response.statusCode).toBe(200);
    expect(calls.map((c) => c.operation)).toEqual(['CountTokens', 'Converse']);
  });

  test('a CountTokens that cannot answer at the re-count is a 503 to retry, and nothing stays reserved', async () => {
    // Given the re-count throttled on every try the SDK makes
    const budgetAtto = (reservationAtto(counted) + reservationAtto(bound)) / 2n;
    useLimits([{ scope: 'tenant', window: 'month', maxCostUsd: usd(budgetAtto) }]);
    h.sim.injectCountTokensFaults('throttle', 10);

    const { response, body, calls } = await send(message, 'tenant-recount-throttled');

    expect(response.statusCode).toBe(503);
    expect(body.error).toBe('TOKEN_COUNT_UNAVAILABLE');
    expect(response.headers).toMatchObject({ 'retry-after': '2' });
    expect(calls.some((c) => c.operation === 'Converse')).toBe(false);
    expect(await tenantCounters('tenant-recount-throttled')).toMatchObject({ requests: 0, tokens: 0, costAtto: 0n, held: 0n });
  });
});

describe('a transient CountTokens failure at the prompt limit', () => {
  // A 1,500-token Russian prompt under a 2,000-token limit: its bound is over the limit, its floor under it
  const message = russian(1_500);

  test.each(['throttle', 'server-error', 'service-unavailable'] as const)('%s: 503 with Retry-After, nothing called, and the retry passes', async (kind) => {
    useLimits(undefined, 2_000);
    expect(estimatePromptTokens({ message, history: [] }).bound.total).toBeGreaterThan(2_000);
    h.sim.injectCountTokensFaults(kind, 10);

    const refused = await send(message, 'tenant-transient');

    // Then the caller is told to retry in seconds, not to shorten the prompt, and no model was called
    expect(refused.response.statusCode).toBe(503);
    expect(refused.body).toMatchObject({ error: 'TOKEN_COUNT_UNAVAILABLE', details: { charged: false, retryAfterSeconds: 2 } });
    expect(refused.response.headers).toMatchObject({ 'retry-after': '2' });
    expect(refused.body.message).not.toMatch(/[Ss]horten/);
    expect(refused.calls.every((c) => c.operation === 'CountTokens')).toBe(true);

    // And once Bedrock answers again, the same prompt is counted and admitted
    h.sim.reset();
    const retried = await send(message, 'tenant-transient');
    expect(retried.response.statusCode).toBe(200);
    expect(retried.calls.map((c) => c.operation)).toEqual(['CountTokens', 'Converse']);
  });

  test('a response-cache hit of a counted prompt reports the count as its input bound, as the miss did', async () => {
    // Given the counted prompt answered once and cached
    useLimits(undefined, 2_000, CACHE_TABLE);
    const miss = await send(message, 'tenant-cached');
    expect(miss.body.cache.response).toBe('miss');

    // When it is sent again
    const hit = await send(message, 'tenant-cached');

    // Then the hit states the counted size, never the bound
    expect(hit.body.cache.response).toBe('hit');
    expect(miss.body.inputTokenBound).toBe(realInputTokens(message));
    expect(hit.body.inputTokenBound).toBe(realInputTokens(message));
  });
});
