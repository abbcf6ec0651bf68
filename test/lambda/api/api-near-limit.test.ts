// Degrade before refusing (`nearLimit`) through the real API handlers, the usage ledger in DynamoDB Local and the
// Bedrock simulator: each action near a USD limit and at it, the header on the buffered and the streamed answer, the
// record and the `DegradedRequests` metric, and the ledger charged exactly what Bedrock billed.
import { installAwsLambdaGlobal, invokeStreamingHandler, StreamingHandler, StreamedResponseHead } from '../../../packages/local/src/template/lambda-streaming';
installAwsLambdaGlobal();
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { TEXT_KINDS } from '../../../bench/text-samples';
import { seededRandom } from '../../../packages/local/src/bedrock-simulator/random';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { GuardsConfig, NearLimitConfig, StoredReservation } from '../../../shared/contract';
import { handler } from '../../../lambda/api/handler';
import { bedrockClient } from '../../../lambda/shared/clients';
import { guardsFor, pipelineConfig } from '../../../lambda/composition/pipeline-runtime';
import { Deferral, GenAiPipeline } from '../../../lambda/pipeline/pipeline';
import { MemoryRecorder } from '../../../lambda/pipeline/stages/record-request';
import { GenAiRequest } from '../../../lambda/pipeline/types';
import { event, HAIKU_45, OPUS_45, PipelineConfigOptions, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';
// Required after installAwsLambdaGlobal(): the module calls awslambda.streamifyResponse when it loads.
const { handler: streamHandler } = require('../../../lambda/api/stream-handler') as typeof import('../../../lambda/api/stream-handler');

const CACHE_TABLE = 'near-limit-response-cache';
const LEDGER_TABLE = 'near-limit-usage-ledger';
const NOVA_PRO = 'amazon.nova-pro-v1:0';
// Routed to the complex tier (Opus 4.5) by its hint; the feature lets hints raise the tier.
const QUESTION = { message: 'Compare the three plans for my team and tell me which one fits.', complexity: 'complex' };
const MAX_TOKENS = 300;

const h = useApiHarness({ cacheTables: [CACHE_TABLE], ledgerTables: [LEDGER_TABLE] });
let requestCounter = 0;
// A fixed clock, mid-day and mid-month, so that no day or month ledger window rolls over within a test (years
// ahead: DynamoDB Local expires ledger items by the machine's clock). Set before any pipeline reads Date.now.
const CLOCK = Date.parse('2036-03-15T12:00:00Z');
beforeAll(() => {
  jest.spyOn(Date, 'now').mockImplementation(() => CLOCK);
});
afterAll(() => jest.restoreAllMocks());

function configure(usageLimits: GuardsConfig['usageLimits'], nearLimit?: NearLimitConfig, more: Partial<PipelineConfigOptions> = {}): void {
  h.useConfig({
    responseCacheTable: CACHE_TABLE, maxTokens: MAX_TOKENS, maxHintedTier: 'complex', retry: { maxAttempts: 2, attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 1 },
    guards: { store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, usageLimits }, ...(nearLimit ? { nearLimit } : {}), ...more,
  });
}

function policy(action: NearLimitConfig['action'], more: Partial<NearLimitConfig> = {}): NearLimitConfig {
  return { action, atShare: 0.8, atLimit: 'refuse', ...(action === 'cheaperTier' ? { tier: 'simple' } : {}), ...more };
}

function apiEvent(body: unknown, accept?: string): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return {
    ...base, body: JSON.stringify(body), headers: { ...base.headers, ...(accept ? { Accept: accept } : {}) },
    requestContext: { ...base.requestContext, requestId: `near-${String(requestCounter).padStart(8, '0')}` },
  };
}

async function invoke(body: unknown): Promise<{ response: APIGatewayProxyResult; body: any; emf: Array<Record<string, any>> }> {
  const { result, emf } = await withEmf(() => handler(apiEvent(body)));
  return { response: result, body: JSON.parse(result.body), emf };
}

async function invokeStream(body: unknown): Promise<{ head: StreamedResponseHead; events: Array<{ event: string; data: any }> }> {
  let head: StreamedResponseHead | undefined;
  let text = '';
  await withEmf(async () => {
    const invocation = invokeStreamingHandler(streamHandler as unknown as StreamingHandler, apiEvent(body, 'text/event-stream'), { getRemainingTimeInMillis: () => 30_000 });
    void invocation.prelude.then((p) => { if (p.kind === 'prelude') head = p.head; });
    invocation.payload.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
    const outcome = await invocation.completion;
    if (outcome.error) throw outcome.error;
    await invocation.prelude;
  });
  const events = text.split('\n\n').filter((b) => b.trim() !== '').map((block) => ({
    event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message', data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null'),
  }));
  return { head: head!, events };
}

/** The tenant's ledger counters (every window and shard), summed. */
async function tenantCounters(tenant: string): Promise<{ requests: number; tokens: number; costAtto: bigint }> {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  // The API's tenant is the caller's (`iam:<name>` here); the pipeline's is the id it is given.
  const mine = Items.filter((i) => /^tenant#(iam%3A)?([^#]*)#/.exec(i.pk.S!)?.[2] === encodeURIComponent(tenant));
  return {
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
  };
}

// The base models Bedrock billed calls to (CountTokens bills nothing).
function modelCalls(): string[] {
  return h.sim.calls.filter((c) => c.operation !== 'CountTokens').map((c) => c.baseModelId ?? c.modelId);
}

/**
 * What one call of {@link QUESTION} reserves on a tenant's monthly USD limit, read the way a client reads it: a
 * probe under a large limit, the limit less what its `x-ratelimit-remaining` header says is left (to the micro-dollar).
 */
async function reservedUsd(more: Partial<PipelineConfigOptions> = {}, question: Record<string, unknown> = QUESTION): Promise<number> {
  const large = 1000;
  configure([{ scope: 'tenant', window: 'month', maxCostUsd: large }], undefined, more);
  const probe = await invoke({ ...question, tenantId: `probe-${requestCounter}`, userId: 'u1' });
  expect(probe.response.statusCode).toBe(200);
  expect(probe.response.headers!['x-ratelimit-policy']).toBe('tenant;w=month;m=costUsd');
  h.sim.reset();
  return large - Number(probe.response.headers!['x-ratelimit-remaining']);
}

/** A monthly USD limit on which one call's reservation uses `share`. */
function limitAtShare(reserved: number, share: number): GuardsConfig['usageLimits'] {
  return [{ scope: 'tenant', window: 'month', maxCostUsd: reserved / share }];
}

function degradedMetrics(emf: Array<Record<string, any>>): Array<Record<string, any>> {
  return emf.filter((r) => r._aws.CloudWatchMetrics[0].Metrics.some((m: { Name: string }) => m.Name === 'DegradedRequests'));
}

async function expectChargedWhatWasBilled(tenant: string, costUsd: number): Promise<void> {
  const counters = await tenantCounters(tenant);
  expect(Number(counters.costAtto) / 1e18).toBeCloseTo(costUsd, 9);
}

describe('nearLimit: cheaperTier', () => {
  test('near a USD limit the call goes to the cheaper tier, says so in a header, a record and a metric, and is charged what it billed', async () => {
    const reserved = await reservedUsd();
    configure(limitAtShare(reserved, 0.9), policy('cheaperTier'));

    const { response, body, emf } = await invoke({ ...QUESTION, tenantId: 'cheaper-near', userId: 'u1' });

    expect(response.statusCode).toBe(200);
    expect(modelCalls()).toEqual([HAIKU_45]);
    expect(body.model.tier).toBe('simple');
    expect(body.degraded).toMatchObject({ action: 'cheaper-tier', limit: 'tenant/month/costUsd' });
    expect(body.degraded.usedShare).toBeCloseTo(0.9, 2);
    expect(response.headers!['x-genai-degraded']).toBe('cheaper-tier; limit=tenant/month/costUsd; used=0.90');
    const metric = degradedMetrics(emf);
    expect(metric).toHaveLength(1);
    expect(metric[0]).toMatchObject({ Application: 'support', Feature: 'chat', Action: 'cheaper-tier', DegradedRequests: 1, limit: 'tenant/month/costUsd' });
    expect(metric[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Application', 'Feature', 'Action']]);
    await expectChargedWhatWasBilled('cheaper-near', body.cost.totalUsd);
  });

  test('below its share nothing is degraded: the routed model answers, no header, no metric', async () => {
    const reserved = await reservedUsd();
    configure(limitAtShare(reserved, 0.5), policy('cheaperTier'));

    const { response, body, emf } = await invoke({ ...QUESTION, tenantId: 'cheaper-far', userId: 'u1' });

    expect(response.statusCode).toBe(200);
    expect(modelCalls()).toEqual([OPUS_45]);
    expect(body.degraded).toBeUndefined();
    expect(response.headers!['x-genai-degraded']).toBeUndefined();
    expect(degradedMetrics(emf)).toHaveLength(0);
  });

  test('a request-rate limit at its end degrades nothing: a cheaper answer is still a request', async () => {
    configure([{ scope: 'tenant', window: 'day', maxRequests: 2 }, { scope: 'tenant', window: 'month', maxCostUsd: 1000 }], policy('cheaperTier', { atShare: 0.5 }));

    await invoke({ ...QUESTION, tenantId: 'requests-near', userId: 'u1' });
    const last = await invoke({ ...QUESTION, message: `${QUESTION.message} Again.`, tenantId: 'requests-near', userId: 'u1' });

    expect(last.response.statusCode).toBe(200);
    expect(last.response.headers!['x-ratelimit-policy']).toBe('tenant;w=day;m=requests');
    expect(last.response.headers!['x-ratelimit-remaining']).toBe('0');
    expect(last.body.degraded).toBeUndefined();
    expect(modelCalls()).toEqual([OPUS_45, OPUS_45]);
  });

  test('at the limit, atLimit degrade reserves again on the cheaper route and answers from it; refuse keeps the 429', async () => {
    const reserved = await reservedUsd();
    // The dearer route's reservation does not fit; the cheaper one's (a fifth of the price) does.
    configure(limitAtShare(reserved, 2), policy('cheaperTier', { atLimit: 'refuse' }));
    const refused = await invoke({ ...QUESTION, tenantId: 'cheaper-at-refuse', userId: 'u1' });
    expect(refused.response.statusCode).toBe(429);
    expect(refused.body.error).toBe('USAGE_LIMIT_EXCEEDED');
    expect(modelCalls()).toHaveLength(0);

    configure(limitAtShare(reserved, 2), policy('cheaperTier', { atLimit: 'degrade' }));
    const { response, body } = await invoke({ ...QUESTION, tenantId: 'cheaper-at-degrade', userId: 'u1' });

    expect(response.statusCode).toBe(200);
    expect(modelCalls()).toEqual([HAIKU_45]);
    // The share the cheaper reservation left on the limit that refused the dearer one.
    const used = Number(/used=(\d\.\d\d)$/.exec(String(response.headers!['x-genai-degraded']))?.[1]);
    expect(response.headers!['x-genai-degraded']).toMatch(/^cheaper-tier; limit=tenant\/month\/costUsd; used=\d\.\d\d$/);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(1);
    await expectChargedWhatWasBilled('cheaper-at-degrade', body.cost.totalUsd);
    expect(await tenantCounters('cheaper-at-refuse')).toMatchObject({ tokens: 0, costAtto: 0n });
  });

  // The bound of Cyrillic prose is up to 3× its count: a refusal on the bound is a prompt that may fit on its count,
  // and then it goes as routed. Degrading it would give the caller a cheaper model for no reason.
  test('at the limit, a prompt that fits on its counted size goes as routed (CountTokens asked), not degraded', async () => {
    const russian = { message: TEXT_KINDS.russian(seededRandom(7), 6000), complexity: 'complex' };
    const reserved = await reservedUsd({}, russian);
    configure(limitAtShare(reserved, 1.4), policy('cheaperTier', { atLimit: 'degrade' }));

    const { response, body } = await invoke({ ...russian, tenantId: 'counted-fits', userId: 'u1' });

    expect(response.statusCode).toBe(200);
    expect(h.sim.calls.map((c) => c.operation)).toContain('CountTokens');
    expect(modelCalls()).not.toContain(HAIKU_45);
    expect(response.headers!['x-genai-degraded']).toBeUndefined();
    await expectChargedWhatWasBilled('counted-fits', body.cost.totalUsd);
  });

  test('the streamed answer says so in its head, before the first token', async () => {
    const reserved = await reservedUsd();
    configure(limitAtShare(reserved, 0.9), policy('cheaperTier'));

    const { head, events } = await invokeStream({ ...QUESTION, tenantId: 'cheaper-stream', userId: 'u1' });

    expect(head.statusCode).toBe(200);
    expect(head.headers['x-genai-degraded']).toBe('cheaper-tier; limit=tenant/month/costUsd; used=0.90');
    expect(events[0]).toMatchObject({ event: 'start', data: { model: { tier: 'simple' } } });
    expect(modelCalls()).toEqual([HAIKU_45]);
  });
});

describe('nearLimit: flex', () => {
  const NOVA = { tiers: { simple: { invokeId: NOVA_PRO, modelId: NOVA_PRO } } };
  const NOVA_QUESTION = { message: 'What does my plan include?' };

  test('near the limit a model with a Flex price is called in Flex and billed at the Flex price', async () => {
    const reserved = await reservedUsd(NOVA, NOVA_QUESTION);
    configure(limitAtShare(reserved, 0.9), policy('flex'), NOVA);

    const { response, body } = await invoke({ ...NOVA_QUESTION, tenantId: 'flex-near', userId: 'u1' });

    expect(response.statusCode).toBe(200);
    expect(modelCalls()).toEqual([NOVA_PRO]);
    expect(body.serviceTier).toBe('flex');
    expect(response.headers!['x-genai-degraded']).toBe('flex; limit=tenant/month/costUsd; used=0.90');
    // Nova Pro's Flex price is half its standard price (the catalog): $0.40 in, $1.60 out per 1M tokens.
    expect(body.cost.totalUsd).toBeCloseTo((body.usage.inputTokens * 0.4 + body.usage.outputTokens * 1.6) / 1e6, 12);
    await expectChargedWhatWasBilled('flex-near', body.cost.totalUsd);
  });

  test('a routed model without a Flex price is not degraded', async () => {
    const reserved = await reservedUsd();
    configure(limitAtShare(reserved, 0.9), policy('flex'));

    const { response, body } = await invoke({ ...QUESTION, tenantId: 'flex-none', userId: 'u1' });

    expect(response.statusCode).toBe(200);
    expect(body.degraded).toBeUndefined();
    expect(body.serviceTier).toBe('standard');
    expect(response.headers!['x-genai-degraded']).toBeUndefined();
  });
});

describe('nearLimit: cacheOnly', () => {
  test('near the limit a hit is served and a miss is refused 429 with the limit, its share and Retry-After, nothing charged', async () => {
    const reserved = await reservedUsd();
    // The cache is filled first, under the same limit, before the policy is deployed.
    configure(limitAtShare(reserved, 0.45));
    await invoke({ ...QUESTION, tenantId: 'cache-only', userId: 'u1' });
    const afterFill = await tenantCounters('cache-only');
    configure(limitAtShare(reserved, 0.45), policy('cacheOnly'));
    h.sim.reset();

    const hit = await invoke({ ...QUESTION, tenantId: 'cache-only', userId: 'u1' });
    const miss = await invoke({ ...QUESTION, message: 'Something nobody asked before?', tenantId: 'cache-only', userId: 'u1' });

    expect(hit.response.statusCode).toBe(200);
    expect(hit.body.cache.response).toBe('hit');
    expect(miss.response.statusCode).toBe(429);
    expect(miss.body).toMatchObject({ error: 'NEAR_LIMIT_CACHE_ONLY', details: { limit: 'tenant/month/costUsd', retryAfterSeconds: expect.any(Number) } });
    expect(miss.body.details.usedShare).toBeGreaterThanOrEqual(0.8);
    expect(miss.body.message).toMatch(/cache only.*tenant\/month\/costUsd/);
    expect(Number(miss.response.headers!['retry-after'])).toBeGreaterThan(0);
    expect(miss.response.headers!['x-genai-degraded']).toMatch(/^cache-only; limit=tenant\/month\/costUsd; used=0\.\d\d$/);
    expect(degradedMetrics(miss.emf)[0]).toMatchObject({ Action: 'cache-only', DegradedRequests: 1 });
    expect(modelCalls()).toHaveLength(0);
    expect(await tenantCounters('cache-only')).toMatchObject({ tokens: afterFill.tokens, costAtto: afterFill.costAtto });
  });

  test('at the limit, atLimit degrade says cache-only; refuse keeps USAGE_LIMIT_EXCEEDED', async () => {
    const reserved = await reservedUsd();
    configure(limitAtShare(reserved, 2), policy('cacheOnly', { atLimit: 'degrade' }));
    const degraded = await invoke({ ...QUESTION, tenantId: 'cache-only-at', userId: 'u1' });
    configure(limitAtShare(reserved, 2), policy('cacheOnly', { atLimit: 'refuse' }));
    const refused = await invoke({ ...QUESTION, tenantId: 'cache-only-at', userId: 'u1' });

    expect(degraded.response.statusCode).toBe(429);
    expect(degraded.body.error).toBe('NEAR_LIMIT_CACHE_ONLY');
    expect(refused.body.error).toBe('USAGE_LIMIT_EXCEEDED');
    expect(modelCalls()).toHaveLength(0);
    expect(await tenantCounters('cache-only-at')).toMatchObject({ tokens: 0, costAtto: 0n });
  });
});

describe('nearLimit: defer (the pipeline seam, with a fake deferral)', () => {
  function pipelineWith(deferral?: Deferral) {
    const config = pipelineConfig();
    const recorder = new MemoryRecorder();
    return { pipeline: new GenAiPipeline(config, { bedrock: bedrockClient(), recorder, guards: guardsFor(config), ...(deferral ? { deferral } : {}) }), recorder };
  }
  const identity = (tenantId: string) => ({ requestId: `defer-${++requestCounter}`, tenantId, userId: 'u1' });

  test.each(['refuse', 'degrade'] as const)('near the limit the work is deferred with its spend reserved, no model called (atLimit %s)', async (atLimit) => {
    const reserved = await reservedUsd();
    configure(limitAtShare(reserved, 0.9), policy('defer', { atLimit }));
    const deferred: Array<{ request: GenAiRequest; degradedBy: string; reservation: StoredReservation }> = [];
    const { pipeline, recorder } = pipelineWith({
      defer: async (request, degradedBy, reservation) => {
        deferred.push({ request, degradedBy, reservation });
        return { receipt: { requestId: request.requestId, day: '2026-12-06', location: `/deferred/2026-12-06/${request.requestId}` }, written: true };
      },
    });
    const tenant = `defer-near-${atLimit}`;

    const result = await pipeline.handle({ ...QUESTION }, identity(tenant));

    expect(result.deferred).toEqual({ requestId: result.requestId, day: '2026-12-06', location: `/deferred/2026-12-06/${result.requestId}` });
    expect(result.degraded).toMatchObject({ action: 'deferred', limit: 'tenant/month/costUsd' });
    expect(deferred).toHaveLength(1);
    expect(deferred[0].degradedBy).toBe('tenant/month/costUsd; used=0.90');
    expect(deferred[0].request).toMatchObject({ tenantId: tenant, message: QUESTION.message });
    expect(modelCalls()).toHaveLength(0);
    expect(recorder.records).toEqual([expect.objectContaining({ status: 202, degraded: result.degraded, costUsd: 0 })]);
    // The 202 is backed by a reservation of the call's bound, held for the scheduled run (which settles it).
    const held = deferred[0].reservation;
    expect(held).toMatchObject({ requestId: result.requestId, tenantId: tenant, holds: [{ guard: 'usage-ledger', hold: expect.any(String) }] });
    expect(Number(held.estimate.costAtto) / 1e18).toBeCloseTo(reserved, 6);
    expect(await tenantCounters(tenant)).toMatchObject({ tokens: held.estimate.tokens, costAtto: BigInt(held.estimate.costAtto) });
  });

  test('past the limit, atLimit degrade cannot defer (its spend does not fit: 429); without a deferral dependency the near limit refuses 429', async () => {
    const reserved = await reservedUsd();
    configure(limitAtShare(reserved, 2), policy('defer', { atLimit: 'degrade' }));
    const receipts: string[] = [];
    const { pipeline } = pipelineWith({
      defer: async (request) => {
        receipts.push(request.requestId);
        return { receipt: { requestId: request.requestId, day: '2026-12-06', location: `/deferred/2026-12-06/${request.requestId}` }, written: true };
      },
    });
    // A deferral is a promise backed by a reservation: what no longer fits is refused like the limit refuses it.
    await expect(pipeline.handle({ ...QUESTION }, identity('defer-at'))).rejects.toMatchObject({ status: 429, code: 'USAGE_LIMIT_EXCEEDED' });
    expect(receipts).toEqual([]);
    expect(await tenantCounters('defer-at')).toMatchObject({ tokens: 0, costAtto: 0n });

    configure(limitAtShare(reserved, 0.9), policy('defer'));
    const { pipeline: without } = pipelineWith();
    await expect(without.handle({ ...QUESTION }, identity('defer-without'))).rejects.toMatchObject({ status: 429, code: 'NEAR_LIMIT_DEFER_UNAVAILABLE' });
    expect(modelCalls()).toHaveLength(0);
    expect(await tenantCounters('defer-without')).toMatchObject({ tokens: 0, costAtto: 0n });
  });
});
