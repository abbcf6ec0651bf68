import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { handler } from '../../../lambda/api/handler';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { createLedgerTable } from '../../../packages/local/src/services/ledger-table';
import { proseOfWords, usd } from '../pipeline/support';
import { event, HAIKU_45, OPUS_45, PipelineConfigOptions, pipelineConfigJson, PROFILE_ARNS, SONNET_45, TITAN_EMBED_V2, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { startWindowClock } from '../../support/window-clock';

// Prices per 1M tokens (lambda/core/model-catalog.ts). The API workflow's default routing calls Claude Haiku 4.5
// through a US profile: the global $1 in / $5 out plus the 10% regional premium = $1.10 / $5.50; cache reads
// $0.11 (0.1x input), 5-minute cache writes $1.375 (1.25x input). Titan Text Embeddings v2: $0.02 in.

const CACHE_TABLE = 'support-response-cache';
const EMBEDDING_TABLE = 'support-embedding-cache';

let requestCounter = 0;
const h = useApiHarness({ cacheTables: [CACHE_TABLE, EMBEDDING_TABLE] });

beforeEach(() => h.useConfig({ responseCacheTable: CACHE_TABLE }));

/** Deploys another configuration: the next invocation is a cold start that reads it. */
function useConfig(options: PipelineConfigOptions): void {
  process.env.GENAI_PIPELINE_CONFIG = pipelineConfigJson(options);
  resetContainer();
}

/** The recorded API Gateway event with another body and a request id of its own. */
function apiEvent(body: unknown, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return {
    ...base,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    requestContext: { ...base.requestContext, requestId: `c6af9ac6-7b61-11e6-9a41-${String(requestCounter).padStart(12, '0')}` },
    ...overrides,
  };
}

async function invoke(e: APIGatewayProxyEvent): Promise<{ response: APIGatewayProxyResult; body: any; emf: Array<Record<string, any>> }> {
  const { result, emf } = await withEmf(() => handler(e));
  return { response: result, body: JSON.parse(result.body), emf };
}

/** The response-cache items of a tenant. */
async function cachedItemsOf(tenantId: string): Promise<number> {
  const { Items } = await h.ddb.send(new ScanCommand({
    TableName: CACHE_TABLE, FilterExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: tenantId } },
  }));
  return Items?.length ?? 0;
}

describe('API handler (POST /invoke) with the real SDK, DynamoDB Local and the Bedrock simulator', () => {
  test('answers the recorded API Gateway event with the answer, model, usage, cost, cache status and request id', async () => {
    // Given the recorded event: "How do I reset my password?" from customer-123
    const e = event('api-gateway-proxy');

    // When the handler runs
    const { response, body } = await invoke(e);

    // Then it answers 200 with what the simulated Haiku 4.5 billed, priced at $1.10 / $5.50 per 1M tokens
    const billed = h.sim.calls[0].usage!;
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(body.requestId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    expect(body.answer).toEqual(expect.any(String));
    expect(body.answer.length).toBeGreaterThan(0);
    expect(body.model).toMatchObject({ id: `us.${HAIKU_45}`, tier: 'simple' });
    expect(body.usage).toEqual({ inputTokens: billed.inputTokens, outputTokens: billed.outputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(body.cost.inputUsd).toBeCloseTo(usd(billed.inputTokens, 1.1), 12);
    expect(body.cost.outputUsd).toBeCloseTo(usd(billed.outputTokens, 5.5), 12);
    expect(body.cost.totalUsd).toBeCloseTo(usd(billed.inputTokens, 1.1) + usd(billed.outputTokens, 5.5), 12);
    expect(body.cost.priced).toBe('catalog');
    expect(body.cache).toEqual({ response: 'miss', prompt: 'none' });
  });

  test('calls Bedrock through the application inference profile of the routed tier', async () => {
    await invoke(apiEvent({ message: 'What are your opening hours?', tenantId: 'tenant-profile' }));

    expect(h.sim.calls.map((c) => c.modelId)).toEqual([PROFILE_ARNS.simple]);
  });

  test('serves a repeated request from the response cache: zero tokens and cost, the first cost saved, one model call', async () => {
    // Given a first answer
    const request = { message: 'Where can I download my invoices?', tenantId: 'tenant-repeat', userId: 'user-1' };
    const first = await invoke(apiEvent(request));

    // When the same request comes again
    const second = await invoke(apiEvent(request));

    // Then it is a hit that cost nothing and saved what the first cost
    expect(second.response.statusCode).toBe(200);
    expect(second.body.answer).toBe(first.body.answer);
    expect(second.body.cache).toEqual({ response: 'hit', prompt: 'none', savedUsd: first.body.cost.totalUsd });
    expect(second.body.usage).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(second.body.cost.totalUsd).toBe(0);
    expect(h.sim.calls).toHaveLength(1);
  });

  test('never gives tenant A the answer cached for tenant B: same message, two model calls, two cache entries', async () => {
    // Given tenant B's answer in the cache
    const message = 'What is included in the premium support plan?';
    await invoke(apiEvent({ message, tenantId: 'tenant-b' }));

    // When tenant A asks the same
    const a = await invoke(apiEvent({ message, tenantId: 'tenant-a' }));

    // Then A's answer comes from the model, and each tenant has its own entry
    expect(a.body.cache.response).toBe('miss');
    expect(h.sim.calls).toHaveLength(2);
    expect(await cachedItemsOf('iam:tenant-a')).toBe(1);
    expect(await cachedItemsOf('iam:tenant-b')).toBe(1);
  });

  test("files the request under the authorizer's tenant, not the one the body claims", async () => {
    // Given an authorizer that says tenant-real and a body that claims tenant-claimed
    const message = 'Can I change my billing address?';
    const base = apiEvent({ message, tenantId: 'tenant-claimed' });
    await invoke({ ...base, requestContext: { ...base.requestContext, authorizer: { principalId: 'user-real', tenantId: 'tenant-real' } } });

    // When tenant-claimed then asks the same itself
    const claimed = await invoke(apiEvent({ message, tenantId: 'tenant-claimed' }));

    // Then the first answer was filed under the authorizer's tenant only
    expect(await cachedItemsOf('authorizer:tenant-real')).toBe(1);
    expect(claimed.body.cache.response).toBe('miss');
  });

  test('with API keys, files the request under the key, whatever tenant the body claims', async () => {
    // Given a request made with API key abc123 that claims to be tenant-victim
    const message = 'What is my current plan?';
    const base = apiEvent({ message, tenantId: 'tenant-victim' });
    await invoke({ ...base, requestContext: { ...base.requestContext, identity: { ...base.requestContext.identity, apiKeyId: 'abc123' } } });

    // Then the answer is cached for the key's tenant, never for the claimed one
    expect(await cachedItemsOf('key:abc123')).toBe(1);
    expect(await cachedItemsOf('iam:tenant-victim')).toBe(0);
  });

  test('answers a browser request from an allowed origin with the CORS header, and no other origin', async () => {
    // Given a handler configured for https://support.example.com (the construct sets ALLOWED_ORIGINS)
    jest.resetModules();
    process.env.ALLOWED_ORIGINS = JSON.stringify(['https://support.example.com']);
    const { handler: corsHandler } = require('../../../lambda/api/handler') as typeof import('../../../lambda/api/handler');
    delete process.env.ALLOWED_ORIGINS;
    const e = apiEvent({ message: 'hi there', tenantId: 'tenant-cors' });

    // When that origin and another one call
    const allowed = await withEmf(() => corsHandler({ ...e, headers: { ...e.headers, Origin: 'https://support.example.com' } }));
    const other = await withEmf(() => corsHandler({ ...e, headers: { ...e.headers, Origin: 'https://evil.example' } }));

    // Then only the allowed origin is echoed
    expect(allowed.result.headers).toMatchObject({ 'access-control-allow-origin': 'https://support.example.com', 'vary': 'Origin' });
    expect(other.result.headers).not.toHaveProperty('access-control-allow-origin');
    // And the page may read the request id, limit, retry and run-budget headers (not CORS-safelisted)
    const exposed = String(allowed.result.headers?.['access-control-expose-headers']).split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['x-genai-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'x-genai-run-remaining-usd']));
  });

  test('refuses a prompt over maxInputTokens with 413 and the numbers, without calling Bedrock or charging anything', async () => {
    // Given a message of 60,000 words: at least 60,000 tokens (one per word), over the 50,000 limit
    const e = apiEvent({ message: 'word '.repeat(60_000), tenantId: 'tenant-huge' });

    // When it is sent
    const { response, body, emf } = await invoke(e);

    // Then it is refused with the numbers, Bedrock never saw it and nothing was cached or costed
    expect(response.statusCode).toBe(413);
    expect(body).toMatchObject({ error: 'PROMPT_TOO_LARGE', details: { measure: 'floor', floorInputTokens: 60_000, maxInputTokens: 50_000 }, requestId: e.requestContext.requestId });
    expect(body.message).toContain('at least 60000 tokens');
    expect(h.sim.calls).toEqual([]);
    expect(await cachedItemsOf('iam:tenant-huge')).toBe(0);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ RejectedRequests: 1, status: '413', errorCode: 'PROMPT_TOO_LARGE' });
    expect(emf[0].CostUSD).toBeUndefined();
  });

  test('stops retrying at maxAttempts model calls, fallbacks included, and answers 429 with retry-after', async () => {
    // Given maxAttempts 3 (2 per model), a feature that lets hints pick the complex tier, and Bedrock throttling far
    // more often than that
    useConfig({ responseCacheTable: CACHE_TABLE, maxHintedTier: 'complex', retry: { maxAttempts: 3, attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    h.sim.injectFaults('throttle', 10);

    // When a complex request is sent
    const { response, body } = await invoke(apiEvent({ message: 'Why did my bill double?', tenantId: 'tenant-throttled', complexity: 'complex' }));

    // Then exactly three calls were made: Opus twice, then one fallback to Sonnet
    expect(h.sim.calls.map((c) => c.baseModelId)).toEqual([OPUS_45, OPUS_45, SONNET_45]);
    expect(response.statusCode).toBe(429);
    expect(response.headers?.['retry-after']).toBe('5');
    expect(body).toMatchObject({ error: 'MODEL_THROTTLED', details: { attempts: 3, lastError: 'ThrottlingException' } });
    expect(await cachedItemsOf('iam:tenant-throttled')).toBe(0);
  });

  describe('prompt caching of a long system prompt', () => {
    // 4,200 four-letter words: 4,200 simulator tokens and ceil(20,999 / 3.5) = 6,000 estimated tokens, both above
    // the 4,096-token minimum of Claude Haiku 4.5 (catalog and simulator), so a cache point follows the system prompt.
    const system = proseOfWords(4_200);
    // Each test is its own tenant, so that no answer comes from the response cache of another test.
    const ask = (tenantId: string, message: string) => invoke(apiEvent({ message, system, tenantId }));

    test('writes the prefix to the cache on the first request, priced at the 5-minute write price', async () => {
      const { body } = await ask('tenant-kb-write', 'How do I export my data?');

      // 4,200 tokens x $1.375 / 1M = $0.005775
      expect(body.cache.prompt).toBe('write');
      expect(body.usage.cacheWriteInputTokens).toBe(4_200);
      expect(body.cost.cacheWrite5mUsd).toBe(0.005775);
    });

    test('reads the prefix from the cache on the next request, priced at the read price', async () => {
      // Given a first request that wrote the prefix
      await ask('tenant-kb-read', 'How do I export my data?');

      // When another question comes with the same system prompt
      const { body } = await ask('tenant-kb-read', 'How do I delete my account?');

      // Then the 4,200 prefix tokens are read at $0.11 / 1M = $0.000462, and only the rest at the input price
      const billed = h.sim.calls[1].usage!;
      expect(body.cache.prompt).toBe('read');
      expect(body.usage.cacheReadInputTokens).toBe(4_200);
      expect(body.usage.cacheWriteInputTokens).toBe(0);
      expect(body.cost.cacheReadUsd).toBe(0.000462);
      expect(body.cost.totalUsd).toBeCloseTo(0.000462 + usd(billed.inputTokens, 1.1) + usd(billed.outputTokens, 5.5), 12);
    });

    test('makes the cached prefix 12.5 times cheaper to read than to write', async () => {
      const first = await ask('tenant-kb-ratio', 'How do I export my data?');
      const second = await ask('tenant-kb-ratio', 'How do I delete my account?');

      // $1.375 / $0.11 = 12.5
      expect(first.body.cost.cacheWrite5mUsd / second.body.cost.cacheReadUsd).toBeCloseTo(12.5, 9);
    });
  });

  describe('the EMF record', () => {
    test('is one JSON line on stdout per request, with dimensions Application, Feature and Model', async () => {
      const { emf } = await invoke(apiEvent({ message: 'Is there a student discount?', tenantId: 'tenant-emf', userId: 'user-7' }));

      expect(emf).toHaveLength(1);
      const dimensions = emf[0]._aws.CloudWatchMetrics[0].Dimensions;
      expect(dimensions).toHaveLength(1);
      expect([...dimensions[0]].sort()).toEqual(['Application', 'Feature', 'Model']);
      expect(emf[0]).toMatchObject({ Application: 'support', Feature: 'chat', Model: HAIKU_45, Requests: 1 });
    });

    test('carries tenant and user as properties, not dimensions', async () => {
      const { emf } = await invoke(apiEvent({ message: 'Is there a student discount?', tenantId: 'tenant-emf', userId: 'user-7' }));

      // The recorded event is signed by a session of role AROAEXAMPLE, whose user-7 it names
      expect(emf[0]).toMatchObject({ tenantId: 'iam:tenant-emf', userId: 'AROAEXAMPLE/user-7' });
      expect(emf[0]._aws.CloudWatchMetrics[0].Dimensions[0]).not.toContain('tenantId');
      expect(emf[0]._aws.CloudWatchMetrics[0].Dimensions[0]).not.toContain('userId');
    });

    test('carries the cost the response reported', async () => {
      const { body, emf } = await invoke(apiEvent({ message: 'Do you ship to Canada?', tenantId: 'tenant-emf-cost' }));

      expect(emf[0].CostUSD).toBe(body.cost.totalUsd);
      expect(emf[0].InputTokens).toBe(body.usage.inputTokens);
    });
  });

  describe('bodies', () => {
    test('decodes a base64-encoded body', async () => {
      const raw = Buffer.from(JSON.stringify({ message: 'Wie setze ich mein Passwort zurück?', tenantId: 'tenant-b64' })).toString('base64');

      const { response } = await invoke(apiEvent(raw, { isBase64Encoded: true }));

      expect(response.statusCode).toBe(200);
      expect(h.sim.calls).toHaveLength(1);
    });

    test('refuses a body over 2,000,000 characters with 413, without calling Bedrock', async () => {
      const { response, body } = await invoke(apiEvent({ message: 'x'.repeat(2_000_000), tenantId: 'tenant-body' }));

      expect(response.statusCode).toBe(413);
      expect(body).toMatchObject({ error: 'BODY_TOO_LARGE', details: { limit: 2_000_000 } });
      expect(h.sim.calls).toEqual([]);
    });

    test('answers a body that is not JSON with 400, a reason and the request id, without calling Bedrock', async () => {
      const e = apiEvent('message=hello');

      const { response, body } = await invoke(e);

      expect(response.statusCode).toBe(400);
      expect(body).toEqual({ error: 'INVALID_REQUEST', message: 'body: is not valid JSON.', details: { field: 'body' }, requestId: e.requestContext.requestId });
      expect(h.sim.calls).toEqual([]);
    });
  });
});

describe('API handler: routes, tenants and refusals, each refusal one metric record', () => {
  const withAuthorizer = (e: APIGatewayProxyEvent, authorizer: Record<string, unknown>): APIGatewayProxyEvent =>
    ({ ...e, requestContext: { ...e.requestContext, authorizer } });

  test('a body cannot claim an API-key tenant: IAM tenants and key tenants live in different namespaces', async () => {
    // Given tenant key:abc123's answer cached through its API key
    const message = 'What does my plan include?';
    const keyed = apiEvent({ message, tenantId: 'whoever' });
    await invoke({ ...keyed, requestContext: { ...keyed.requestContext, identity: { ...keyed.requestContext.identity, apiKeyId: 'abc123' } } });

    // When an IAM caller names that tenant in the body
    const { body } = await invoke(apiEvent({ message, tenantId: 'key:abc123' }));

    // Then it is a different tenant (iam:key:abc123), which gets no cached answer of the key's
    expect(body.cache.response).toBe('miss');
    expect(await cachedItemsOf('iam:key:abc123')).toBe(1);
  });

  test.each<[string, Record<string, unknown>]>([
    ['missing', { principalId: 'user-9' }], ['undefined', { tenantId: undefined }], ['empty', { tenantId: '' }], ['not a string', { tenantId: 42 }],
  ])('refuses with 403 when an authorizer gives a tenant that is %s, never falling back to the body', async (_case, authorizer) => {
    const { response, body, emf } = await invoke(withAuthorizer(apiEvent({ message: 'hello', tenantId: 'tenant-claimed' }), authorizer));

    expect(response.statusCode).toBe(403);
    expect(body.error).toBe('TENANT_NOT_AUTHORIZED');
    expect(h.sim.calls).toHaveLength(0);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ RejectedRequests: 1, status: '403', errorCode: 'TENANT_NOT_AUTHORIZED' });
  });

  test('a complexity hint cannot send a one-line question to Opus unless the feature allows it', async () => {
    const { body } = await invoke(apiEvent({ message: 'What are your opening hours?', tenantId: 'tenant-hint', complexity: 'complex' }));

    expect(body.model.tier).toBe('simple');
    expect(h.sim.calls.map((c) => c.baseModelId)).toEqual([HAIKU_45]);
  });

  test('refuses a message with a lone surrogate with 400, before any model call', async () => {
    const { response, body, emf } = await invoke(apiEvent('{"message": "two \\uD800 messages", "tenantId": "tenant-surrogate"}'));

    expect(response.statusCode).toBe(400);
    expect(body.details).toEqual({ field: 'message' });
    expect(h.sim.calls).toHaveLength(0);
    expect(emf[0]).toMatchObject({ RejectedRequests: 1, status: '400' });
  });

  test.each<[string, Partial<APIGatewayProxyEvent>, number, string]>([
    ['GET /invoke', { httpMethod: 'GET' }, 405, 'METHOD_NOT_ALLOWED'],
    ['POST /admin', { path: '/admin', resource: '/admin' }, 404, 'NOT_FOUND'],
  ])('answers %s with %i and records it', async (_case, overrides, status, code) => {
    const { response, body, emf } = await invoke(apiEvent({ message: 'hello', tenantId: 'tenant-route' }, overrides));

    expect(response.statusCode).toBe(status);
    expect(body.error).toBe(code);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ RejectedRequests: 1, status: String(status), errorCode: code, Model: 'none' });
  });

  test('records a malformed body and an oversize body once each', async () => {
    const malformed = await invoke(apiEvent('{"message": "unterminated'));
    const oversize = await invoke(apiEvent({ message: 'x'.repeat(2_000_001), tenantId: 'tenant-oversize' }));

    expect([malformed.response.statusCode, oversize.response.statusCode]).toEqual([400, 413]);
    expect(malformed.emf).toEqual([expect.objectContaining({ RejectedRequests: 1, status: '400', errorCode: 'INVALID_REQUEST' })]);
    expect(oversize.emf).toEqual([expect.objectContaining({ RejectedRequests: 1, status: '413', errorCode: 'BODY_TOO_LARGE' })]);
  });

  test('a usage limit refuses with 429, the limit that was hit and a retry-after to the end of its window', async () => {
    // Given a workflow whose users may make 2 requests a minute
    useConfig({ responseCacheTable: CACHE_TABLE, guards: { store: 'container', usageLimits: [{ scope: 'user', window: 'minute', maxRequests: 2 }] } });
    const ask = (i: number) => invoke(apiEvent({ message: `Question number ${i} about invoices?`, tenantId: 'tenant-limited', userId: 'user-burst' }));

    // On a clock whose minute does not end between the three requests
    const clock = startWindowClock();
    const answers = await (async () => [await ask(1), await ask(2), await ask(3)])().finally(() => clock.mockRestore());

    expect(answers.map((a) => a.response.statusCode)).toEqual([200, 200, 429]);
    expect(answers[2].body).toMatchObject({ error: 'USAGE_LIMIT_EXCEEDED', details: { scope: 'user', window: 'minute', measure: 'requests', limit: 2 } });
    const retryAfter = Number(answers[2].response.headers?.['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(h.sim.calls).toHaveLength(2);
  });
});

describe('API handler: the user a per-user limit counts comes from authentication, never from the body', () => {
  const withAuthorizer = (e: APIGatewayProxyEvent, authorizer: Record<string, unknown>): APIGatewayProxyEvent =>
    ({ ...e, requestContext: { ...e.requestContext, authorizer } });
  const withApiKey = (e: APIGatewayProxyEvent, apiKeyId: string): APIGatewayProxyEvent =>
    ({ ...e, requestContext: { ...e.requestContext, identity: { ...e.requestContext.identity, apiKeyId } } });
  const withIamCaller = (e: APIGatewayProxyEvent, user: string | undefined): APIGatewayProxyEvent => ({
    ...e,
    requestContext: {
      ...e.requestContext,
      identity: { ...e.requestContext.identity, user: user ?? null, caller: user ?? null, userArn: user ? e.requestContext.identity.userArn : null },
    },
  });
  // Counted by the usage ledger in DynamoDB Local, as deployed with a UsageLedger; a fresh ledger table per test, and a
  // ledger timeout long enough that a busy machine cannot turn an answer into a 503. The hour windows run on a clock
  // whose hour does not end during a test.
  beforeEach(() => { startWindowClock(); });
  afterEach(() => jest.restoreAllMocks());
  let ledgers = 0;
  const perUserLimit = async (maxRequests: number) => {
    const ledgerTableName = `identity-usage-ledger-${++ledgers}`;
    await createLedgerTable(h.ddb, ledgerTableName);
    useConfig({
      responseCacheTable: CACHE_TABLE,
      guards: { store: 'dynamodb', ledgerTableName, ledgerTimeoutMs: 30_000, usageLimits: [{ scope: 'user', window: 'hour', maxRequests }] },
    });
  };

  test('with an API key, a caller that names a new userId in every request still gets 3 of a 3-an-hour user limit', async () => {
    // Given users may make 3 requests an hour
    await perUserLimit(3);

    // When one API key sends 10 requests, each claiming another userId
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { response } = await invoke(withApiKey(apiEvent({ message: `Rotated question ${i} about my order?`, tenantId: 'x', userId: `rotated-${i}` }), 'key-rotating'));
      statuses.push(response.statusCode);
    }

    // Then the key is the user: 3 answers, then 429s, and Bedrock was called 3 times
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
    expect(h.sim.calls).toHaveLength(3);
  });

  test("behind an authorizer, a caller that names a colleague in the body spends its own quota, not the colleague's", async () => {
    // Given users may make 1 request an hour, and alice and bob of one tenant, authenticated by the authorizer
    await perUserLimit(1);
    const as = (principalId: string, message: string, userId?: string) =>
      invoke(withAuthorizer(apiEvent({ message, userId }), { principalId, tenantId: 'tenant-colleagues' }));

    // When alice sends a request that names bob, then bob sends his own
    const alice = await as('alice', 'What is on my invoice this month?', 'bob');
    const bob = await as('bob', 'When is my next payment due?', 'bob');

    // Then each spent their own quota: both answered, and alice's second request is refused
    const aliceAgain = await as('alice', 'And the month before?', 'bob');
    expect([alice.response.statusCode, bob.response.statusCode, aliceAgain.response.statusCode]).toEqual([200, 200, 429]);
    expect(alice.emf[0]).toMatchObject({ tenantId: 'authorizer:tenant-colleagues', userId: 'alice' });
  });

  test("a Cognito authorizer's tenant is the token's custom:tenantId claim, and its user the token's sub", async () => {
    // Cognito user pool authorizers pass the token's claims and nothing else
    const e = withAuthorizer(apiEvent({ message: 'Which seats do we have?', tenantId: 'tenant-claimed-in-body' }), {
      claims: { 'sub': '0b6c2f8e-0000-4000-8000-000000000007', 'custom:tenantId': 'tenant-from-token' },
    });

    const { response, emf } = await invoke(e);

    expect(response.statusCode).toBe(200);
    expect(emf[0]).toMatchObject({ tenantId: 'authorizer:tenant-from-token', userId: '0b6c2f8e-0000-4000-8000-000000000007' });
  });

  test("a Cognito authorizer's user is the token's sub", async () => {
    const e = withAuthorizer(apiEvent({ message: 'Which plan am I on?', userId: 'someone-else' }), {
      claims: { 'sub': '7d2f1c9e-0000-4000-8000-000000000042', 'cognito:username': 'carol' }, tenantId: 'tenant-cognito',
    });

    const { response, emf } = await invoke(e);

    expect(response.statusCode).toBe(200);
    expect(emf[0]).toMatchObject({ tenantId: 'authorizer:tenant-cognito', userId: '7d2f1c9e-0000-4000-8000-000000000042' });
  });

  test("with IAM, the body's userId is a sub-id of the signing principal: two backends' user-1 are two users", async () => {
    // Given users may make 1 request an hour, and two backends that both act for their own 'user-1' of one tenant
    await perUserLimit(1);
    const from = (principal: string, message: string) =>
      invoke(withIamCaller(apiEvent({ message, tenantId: 'tenant-shared', userId: 'user-1' }), principal));

    // When each backend sends one request for its user-1, then the first sends another
    const first = await from('AROAFRONTEND:web', 'How do I add a seat?');
    const second = await from('AROAMOBILE:app', 'How do I remove a seat?');
    const firstAgain = await from('AROAFRONTEND:web', 'How do I rename a seat?');

    // Then each backend's user-1 has a quota of its own, named under its principal
    expect([first.response.statusCode, second.response.statusCode, firstAgain.response.statusCode]).toEqual([200, 200, 429]);
    expect(first.emf[0]).toMatchObject({ tenantId: 'iam:tenant-shared', userId: 'AROAFRONTEND/user-1' });
    expect(second.emf[0]).toMatchObject({ userId: 'AROAMOBILE/user-1' });
  });

  test("with IAM, two sessions of one role are one principal: a backend's user-1 keeps one quota whatever session calls", async () => {
    // Given users may make 1 request an hour, and one backend role whose tasks each sign with a session of their own
    await perUserLimit(1);
    const from = (session: string, message: string) =>
      invoke(withIamCaller(apiEvent({ message, tenantId: 'tenant-sessions', userId: 'user-1' }), `AROABACKEND:${session}`));

    // When user-1 is served by task-a, then by task-b
    const first = await from('task-a', 'How do I export my data?');
    const second = await from('task-b', 'How do I import my data?');

    // Then the second request finds the quota spent: the session name does not make a new user
    expect([first.response.statusCode, second.response.statusCode]).toEqual([200, 429]);
    expect(first.emf[0]).toMatchObject({ userId: 'AROABACKEND/user-1' });
  });

  test('with IAM and no userId in the body, the user is the signing principal', async () => {
    const { emf } = await invoke(withIamCaller(apiEvent({ message: 'Is there a trial?', tenantId: 'tenant-principal' }), 'AROAFRONTEND:web'));

    expect(emf[0]).toMatchObject({ userId: 'AROAFRONTEND' });
  });

  test('refuses with 403 an event with no authenticated caller (no IAM principal, API key or authorizer), before any model call', async () => {
    const { response, body, emf } = await invoke(withIamCaller(apiEvent({ message: 'hello', tenantId: 'tenant-open', userId: 'user-1' }), undefined));

    expect(response.statusCode).toBe(403);
    expect(body.error).toBe('CALLER_NOT_AUTHENTICATED');
    expect(h.sim.calls).toHaveLength(0);
    expect(emf).toEqual([expect.objectContaining({ RejectedRequests: 1, status: '403', errorCode: 'CALLER_NOT_AUTHENTICATED' })]);
  });

  test('refuses with 403 an authorizer that gives a tenant but no principal, never taking the user from the body', async () => {
    const { response, body } = await invoke(withAuthorizer(apiEvent({ message: 'hello', userId: 'user-claimed' }), { tenantId: 'tenant-real' }));

    expect(response.statusCode).toBe(403);
    expect(body.error).toBe('USER_NOT_AUTHORIZED');
    expect(h.sim.calls).toHaveLength(0);
  });
});

describe('API handler (POST /embed) with the embedding cache in DynamoDB Local', () => {
  const embedEvent = (texts: unknown) => apiEvent({ texts, tenantId: 'tenant-embed' }, { path: '/embed', resource: '/embed' });
  // The table outlives each test: every test embeds texts of its own so that its first call is a miss.
  const texts = ['Refunds are accepted within 30 days.', 'Shipping takes 3 to 5 business days.'];
  const passages = ['Premium support answers within 4 hours.', 'Invoices are issued on the first of the month.'];
  // The same passages, spaced differently: the cache keys normalised text (whitespace runs folded, ends trimmed)
  const respaced = ['  Premium support answers   within 4 hours. ', 'Invoices are issued\non the first of the month.'];

  beforeEach(() => useConfig({ responseCacheTable: CACHE_TABLE, embeddingTable: EMBEDDING_TABLE }));

  test('embeds texts it has not seen with Titan, one call each, and prices them', async () => {
    const { response, body } = await invoke(embedEvent(texts));

    // $0.02 per 1M input tokens
    const tokens = h.sim.calls.reduce((sum, c) => sum + c.usage!.inputTokens, 0);
    expect(response.statusCode).toBe(200);
    expect(h.sim.calls.map((c) => [c.operation, c.modelId])).toEqual([['InvokeModel', TITAN_EMBED_V2], ['InvokeModel', TITAN_EMBED_V2]]);
    expect(body).toMatchObject({ inputTokens: tokens });
    expect(body).not.toHaveProperty('hits');
    expect(body.costUsd).toBeCloseTo(usd(tokens, 0.02), 15);
    expect(body.vectors.map((v: number[]) => v.length)).toEqual([256, 256]);
  });

  test('serves the same texts, spaced differently, from the cache without calling Bedrock, with equal vectors', async () => {
    // Given passages embedded once, by the model
    const first = await invoke(embedEvent(passages));
    expect(h.sim.calls).toHaveLength(2);
    h.sim.reset();

    // When they come again with other whitespace
    const second = await invoke(embedEvent(respaced));

    // Then nothing is invoked or charged and the vectors are the same
    expect(h.sim.calls).toEqual([]);
    expect(second.body).toMatchObject({ inputTokens: 0, costUsd: 0 });
    expect(second.body.vectors).toEqual(first.body.vectors);
  });

  test('never tells a tenant what another tenant embedded: a second API key pays for the same passage like a new one', async () => {
    // Given a passage one API key (the victim's) has embedded
    const passage = ['The merger with Northwind closes on 14 March; keep it confidential.'];
    const byKey = (apiKeyId: string) => {
      const e = apiEvent({ texts: passage }, { path: '/embed', resource: '/embed' });
      return invoke({ ...e, requestContext: { ...e.requestContext, identity: { ...e.requestContext.identity, apiKeyId } } });
    };
    const victim = await byKey('key-victim');
    h.sim.reset();

    // When another key embeds the same text
    const probe = await byKey('key-prober');

    // Then it is embedded and charged for the prober as for any text the prober never sent: nothing shows a hit
    expect(probe.response.statusCode).toBe(200);
    expect(h.sim.calls).toHaveLength(1);
    expect(probe.body.inputTokens).toBe(victim.body.inputTokens);
    expect(probe.body.costUsd).toBe(victim.body.costUsd);
    expect(probe.body.costUsd).toBeGreaterThan(0);
    expect(probe.emf[0]).toMatchObject({ EmbeddingCacheHits: 0, EmbeddingCacheMisses: 1 });

    // And the victim's own repeat is still a hit
    h.sim.reset();
    const again = await byKey('key-victim');
    expect(again.body).toMatchObject({ inputTokens: 0, costUsd: 0 });
    expect(h.sim.calls).toHaveLength(0);
  });

  test('records the embedding calls as one EMF record of the embedding path, with their exact cost', async () => {
    const { body, emf } = await invoke(embedEvent(['Loyalty points expire after a year.', 'Gift cards never expire.']));

    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      path: 'embedding', Model: TITAN_EMBED_V2, Requests: 1, InputTokens: body.inputTokens, CostUSD: body.costUsd,
      EmbeddingCacheHits: 0, EmbeddingCacheMisses: 2, ModelAttempts: 2, tenantId: 'iam:tenant-embed',
    });
  });

  test('a usage limit refuses the embedding calls with 429 before any model call', async () => {
    // Given a tenant token limit below what two fresh passages can use
    useConfig({ responseCacheTable: CACHE_TABLE, embeddingTable: EMBEDDING_TABLE, guards: { store: 'container', usageLimits: [{ scope: 'tenant', window: 'day', maxTokens: 5 }] } });

    const { response, body, emf } = await invoke(embedEvent(['Returns need the original receipt.', 'Exchanges are free within 14 days.']));

    expect(response.statusCode).toBe(429);
    expect(body).toMatchObject({ error: 'USAGE_LIMIT_EXCEEDED', details: { scope: 'tenant', measure: 'tokens', limit: 5 } });
    expect(h.sim.calls).toHaveLength(0);
    expect(emf).toEqual([expect.objectContaining({ path: 'embedding', RejectedRequests: 1, status: '429' })]);
  });

  test('refuses an empty list of texts with 400', async () => {
    const { response, body } = await invoke(embedEvent([]));

    expect(response.statusCode).toBe(400);
    expect(body.details).toEqual({ field: 'texts' });
  });

  test('answers 413 naming the text when Titan rejects it as longer than its 8,192-token input', async () => {
    // Given 42,000 characters of prose: under the cache's 50,000-character limit, ~14,000 tokens for Titan
    const { response, body } = await invoke(embedEvent(['Short passage.', 'lorem ipsum '.repeat(3_500)]));

    expect(response.statusCode).toBe(413);
    expect(body).toMatchObject({ error: 'TEXT_TOO_LONG', details: { field: 'texts[1]' } });
  });

  test('answers 429 with retry-after when Bedrock throttles the embedding call', async () => {
    h.sim.injectFaults('throttle', 1);

    const { response, body } = await invoke(embedEvent(['A passage nobody embedded before.']));

    expect(response.statusCode).toBe(429);
    expect(response.headers?.['retry-after']).toBe('5');
    expect(body.error).toBe('MODEL_THROTTLED');
  });

  test('answers 404 when the workflow has no embedding cache', async () => {
    useConfig({ responseCacheTable: CACHE_TABLE });

    const { response, body } = await invoke(embedEvent(texts));

    expect(response.statusCode).toBe(404);
    expect(body.error).toBe('NOT_FOUND');
    expect(h.sim.calls).toEqual([]);
  });
});
