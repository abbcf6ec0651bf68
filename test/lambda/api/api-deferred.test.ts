// Deferral, the API's side (`NearLimitAction.DEFER` with `deferTo`): through the real API handlers, the usage ledger
// in DynamoDB Local, the Bedrock simulator and the local S3 standing in for the scheduled workflow's buckets. Near its
// limit a call is answered 202 and written as a record (the authenticated identity, not the body's); the record's
// owner polls `GET /deferred/{day}/{requestId}` (404 until the scheduled run wrote the result, then 200); nobody else
// learns anything from an id.
import { installAwsLambdaGlobal, invokeStreamingHandler, StreamingHandler, StreamedResponseHead } from '../../../packages/local/src/template/lambda-streaming';
installAwsLambdaGlobal();
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { deferredResultName, ENV, GuardsConfig, NearLimitConfig } from '../../../shared/contract';
import { handler } from '../../../lambda/api/handler';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { resetClients } from '../../../lambda/shared/clients';
import { LocalS3, localS3ClientConfig, startLocalS3 } from '../../../packages/local/src/services';
import { event, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';
// Required after installAwsLambdaGlobal(): the module calls awslambda.streamifyResponse when it loads.
const { handler: streamHandler } = require('../../../lambda/api/stream-handler') as typeof import('../../../lambda/api/stream-handler');

const LEDGER_TABLE = 'deferred-usage-ledger';
const INPUT_BUCKET = 'scheduled-input';
const RESULTS_BUCKET = 'scheduled-results';
const RESULTS_PREFIX = 'results/';
// A fixed clock, years ahead: DynamoDB Local expires ledger items by the machine's clock.
const CLOCK = Date.parse('2036-03-15T21:30:00Z');
let clock = CLOCK;
const DAY = '2036-03-15';
const QUESTION = 'Summarise the three plans for my team.';
// 10,000 tokens a month per tenant; a call reserves a few hundred (its prompt's bound and 300 output tokens), which
// is past the 1 % at which the feature defers: every call is deferred, none refused.
const LIMITS: GuardsConfig['usageLimits'] = [{ scope: 'tenant', window: 'month', maxTokens: 10_000 }];
const DEFER: NearLimitConfig = { action: 'defer', atShare: 0.01, atLimit: 'degrade' };

const CACHE_TABLE = 'deferred-response-cache';
const h = useApiHarness({ ledgerTables: [LEDGER_TABLE], cacheTables: [CACHE_TABLE] });
let s3: LocalS3;
let client: S3Client;
let restore: Array<[string, string | undefined]> = [];
let requestCounter = 0;

beforeAll(async () => {
  jest.spyOn(Date, 'now').mockImplementation(() => clock);
  s3 = await startLocalS3();
  client = new S3Client(localS3ClientConfig(s3.endpoint));
  await client.send(new CreateBucketCommand({ Bucket: INPUT_BUCKET }));
  await client.send(new CreateBucketCommand({ Bucket: RESULTS_BUCKET }));
  restore = setEnv({
    [ENV.s3Endpoint]: s3.endpoint, [ENV.deferredBucket]: INPUT_BUCKET, [ENV.deferredResultsBucket]: RESULTS_BUCKET, [ENV.deferredResultsPrefix]: RESULTS_PREFIX,
  });
  resetClients();
  configure();
});

afterAll(async () => {
  setEnv(Object.fromEntries(restore));
  client?.destroy();
  await s3?.stop();
  jest.restoreAllMocks();
});

function setEnv(values: Record<string, string | undefined>): Array<[string, string | undefined]> {
  const saved = Object.keys(values).map((name): [string, string | undefined] => [name, process.env[name]]);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return saved;
}

function configure(nearLimit: NearLimitConfig | 'none' = DEFER, more: { responseCacheTable?: string } = {}): void {
  h.useConfig({ maxTokens: 300, guards: { store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, usageLimits: LIMITS }, ...(nearLimit === 'none' ? {} : { nearLimit }), ...more });
}

/**
 * The scheduled workflow's function, at 02:00 the day after DAY: its own environment (its buckets, no deferral) and
 * configuration (no near-limit policy: a ScheduledWorkflow cannot defer), the same ledger. It answers every deferred
 * record of DAY not answered yet (this file's earlier ones too).
 */
async function runScheduled(more: { responseCacheTable?: string } = {}): Promise<void> {
  const saved = setEnv({
    [ENV.inputBucket]: INPUT_BUCKET, [ENV.inputPrefix]: 'records/', [ENV.resultsBucket]: RESULTS_BUCKET, [ENV.resultsPrefix]: RESULTS_PREFIX,
    [ENV.acceptsDeferred]: 'true', [ENV.deferredBucket]: undefined, [ENV.deferredResultsBucket]: undefined, [ENV.deferredResultsPrefix]: undefined,
  });
  h.useConfig({ maxTokens: 300, guards: { store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, usageLimits: LIMITS }, ...more });
  clock = Date.parse('2036-03-16T02:00:00Z');
  try {
    // Loaded here, as Lambda loads it: the scheduled handler reads its buckets when it is loaded.
    const scheduled = (require('../../../lambda/scheduled/handler') as typeof import('../../../lambda/scheduled/handler')).handler;
    await withEmf(() => scheduled({ 'version': '0', 'id': 'e', 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'account': '1', 'time': new Date(clock).toISOString(), 'region': 'us-east-1', 'resources': [], 'detail': {} } as never));
  } finally {
    setEnv(Object.fromEntries(saved));
    configure();
    clock = CLOCK;
  }
}

/** A deferred call's result as the scheduled run wrote it. */
async function readResult(day: string, requestId: string): Promise<any> {
  const object = await client.send(new GetObjectCommand({ Bucket: RESULTS_BUCKET, Key: `${RESULTS_PREFIX}${day}/${deferredResultName(requestId)}.json` }));
  return JSON.parse(await object.Body!.transformToString());
}

type Caller = { readonly apiKey: string } | { readonly iamUser: string } | { readonly authorizerTenant: string; readonly principalId: string };

/** The recorded API Gateway event, authenticated as `caller` (an API key, or an IAM principal with a session). */
function authenticated(base: APIGatewayProxyEvent, caller: Caller): APIGatewayProxyEvent {
  const identity = { ...base.requestContext.identity };
  if ('authorizerTenant' in caller) {
    Object.assign(identity, { apiKeyId: null, user: null, caller: null });
    return { ...base, requestContext: { ...base.requestContext, identity, authorizer: { tenantId: caller.authorizerTenant, principalId: caller.principalId } } };
  }
  if ('apiKey' in caller) Object.assign(identity, { apiKeyId: caller.apiKey, user: null, caller: null });
  else Object.assign(identity, { user: `${caller.iamUser}:session-1`, caller: `${caller.iamUser}:session-1` });
  return { ...base, requestContext: { ...base.requestContext, identity } };
}

function invokeEvent(caller: Caller, body: unknown, requestId = `deferred-${String(++requestCounter).padStart(6, '0')}`, accept?: string): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy') as APIGatewayProxyEvent;
  const e = authenticated({ ...base, body: JSON.stringify(body), headers: { ...base.headers, ...(accept ? { Accept: accept } : {}) } }, caller);
  return { ...e, requestContext: { ...e.requestContext, requestId } };
}

function getEvent(caller: Caller, day: string, requestId: string, method = 'GET'): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy') as APIGatewayProxyEvent;
  const path = `/deferred/${day}/${requestId}`;
  const e = authenticated({
    ...base, resource: '/deferred/{day}/{requestId}', path, httpMethod: method, body: null, pathParameters: { day, requestId },
  }, caller);
  return { ...e, requestContext: { ...e.requestContext, requestId: `poll-${++requestCounter}`, resourcePath: '/deferred/{day}/{requestId}', httpMethod: method, path: `/v1${path}` } };
}

async function call(e: APIGatewayProxyEvent): Promise<{ response: APIGatewayProxyResult; body: any }> {
  const { result } = await withEmf(() => handler(e));
  return { response: result, body: JSON.parse(result.body) };
}

async function recordKeys(): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: INPUT_BUCKET, Prefix: 'deferred/' }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

async function readRecord(day: string, requestId: string): Promise<any> {
  const object = await client.send(new GetObjectCommand({ Bucket: INPUT_BUCKET, Key: `deferred/${day}/${requestId}.json` }));
  return JSON.parse(await object.Body!.transformToString());
}

/** Writes a deferred call's result the way the scheduled run does (`<resultsPrefix><day>/deferred-<id>.json`). */
async function writeResult(day: string, requestId: string, result: Record<string, unknown>): Promise<void> {
  await client.send(new PutObjectCommand({
    Bucket: RESULTS_BUCKET, Key: `${RESULTS_PREFIX}${day}/${deferredResultName(requestId)}.json`, Body: JSON.stringify(result), ContentType: 'application/json',
  }));
}

/** The tenant's ledger counters (every window and shard), summed. */
async function tenantCounters(tenant: string): Promise<{ windows: number; tokens: number; costAtto: bigint }> {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  const mine = Items.filter((i) => i.pk.S!.startsWith(`tenant#${encodeURIComponent(tenant)}#`));
  return {
    windows: mine.length,
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
  };
}

function modelCalls(): string[] {
  return h.sim.calls.filter((c) => c.operation !== 'CountTokens').map((c) => c.operation);
}

describe('POST /invoke near the limit with a defer policy', () => {
  test('answers 202 with where the result will be, writes the record with the authenticated identity, calls no model and charges nothing', async () => {
    const requestId = 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';
    const { response, body } = await call(invokeEvent({ apiKey: 'key-alpha' }, { message: QUESTION, tenantId: 'someone-else', userId: 'not-me', maxOutputTokens: 200 }, requestId));

    expect(response.statusCode).toBe(202);
    expect(body).toEqual({
      requestId,
      deferred: { day: DAY, location: `/deferred/${DAY}/${requestId}` },
      degraded: { action: 'deferred', limit: 'tenant/month/tokens', usedShare: expect.any(Number) },
    });
    // The stage of the URL the client called is part of the location it is sent to.
    expect(response.headers).toMatchObject({
      'location': `/v1/deferred/${DAY}/${requestId}`,
      'x-genai-request-id': requestId,
      'x-genai-degraded': expect.stringMatching(/^deferred; limit=tenant\/month\/tokens; used=0\.\d\d$/),
    });
    expect(await readRecord(DAY, requestId)).toEqual({
      version: 1, requestId, tenantId: 'key:key-alpha', userId: 'key-alpha', feature: 'chat', message: QUESTION, maxTokens: 200,
      acceptedAt: new Date(CLOCK).toISOString(), degradedBy: expect.stringMatching(/^tenant\/month\/tokens; used=0\.\d\d$/),
      reservation: expect.any(Object),
    });
    expect(modelCalls()).toEqual([]);
    // The 202 is a promise its budget keeps: the call's spend stays reserved, as a hold the scheduled run settles.
    const { reservation } = await readRecord(DAY, requestId);
    expect(reservation).toMatchObject({ requestId, tenantId: 'key:key-alpha', userId: 'key-alpha', feature: 'chat', holds: [{ guard: 'usage-ledger', hold: expect.any(String) }] });
    // Its bound: the prompt's input bound and the 200 output tokens asked for.
    expect(reservation.estimate.tokens).toBeGreaterThan(200);
    expect(reservation.reservedAt).toBe(new Date(CLOCK).toISOString());
    expect(await tenantCounters('key:key-alpha')).toEqual({ windows: 1, tokens: reservation.estimate.tokens, costAtto: BigInt(reservation.estimate.costAtto) });
  });

  test('a retried request (the same request id) leaves one record, as first written', async () => {
    const requestId = 'retried-0001';
    const first = await call(invokeEvent({ apiKey: 'key-retry' }, { message: 'first text' }, requestId));
    const again = await call(invokeEvent({ apiKey: 'key-retry' }, { message: 'second text' }, requestId));

    expect([first.response.statusCode, again.response.statusCode]).toEqual([202, 202]);
    expect(again.body.deferred).toEqual(first.body.deferred);
    expect((await recordKeys()).filter((k) => k.includes(requestId))).toEqual([`deferred/${DAY}/${requestId}.json`]);
    expect((await readRecord(DAY, requestId)).message).toBe('first text');
    // The retry's own reservation went back: the spend is held once, by the record that stands.
    const { reservation } = await readRecord(DAY, requestId);
    expect(await tenantCounters('key:key-retry')).toMatchObject({ tokens: reservation.estimate.tokens, costAtto: BigInt(reservation.estimate.costAtto) });
  });

  test('an IAM caller\'s record carries its principal, with the body\'s user under it, and the tenant it named', async () => {
    const requestId = 'iam-0001';
    const { response } = await call(invokeEvent({ iamUser: 'AROAPRINCIPALA' }, { message: QUESTION, tenantId: 'acme', userId: 'u-7' }, requestId));
    expect(response.statusCode).toBe(202);
    expect(await readRecord(DAY, requestId)).toMatchObject({ tenantId: 'iam:acme', userId: 'AROAPRINCIPALA/u-7' });
  });

  test('the streaming handler answers a deferred call with a plain 202 JSON, even to Accept: text/event-stream', async () => {
    const requestId = 'stream-0001';
    let head: StreamedResponseHead | undefined;
    let text = '';
    await withEmf(async () => {
      const invocation = invokeStreamingHandler(streamHandler as unknown as StreamingHandler,
        invokeEvent({ apiKey: 'key-stream' }, { message: QUESTION }, requestId, 'text/event-stream'), { getRemainingTimeInMillis: () => 30_000 });
      void invocation.prelude.then((p) => { if (p.kind === 'prelude') head = p.head; });
      invocation.payload.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
      const outcome = await invocation.completion;
      if (outcome.error) throw outcome.error;
      await invocation.prelude;
    });

    expect(head?.statusCode).toBe(202);
    expect(head?.headers).toMatchObject({ 'content-type': 'application/json', 'location': `/v1/deferred/${DAY}/${requestId}` });
    expect(JSON.parse(text)).toMatchObject({ requestId, deferred: { day: DAY, location: `/deferred/${DAY}/${requestId}` } });
    expect(await readRecord(DAY, requestId)).toMatchObject({ tenantId: 'key:key-stream' });
    expect(modelCalls()).toEqual([]);
  });

  test('a record that cannot be written is a 503 the caller may retry, with nothing charged', async () => {
    const saved = setEnv({ [ENV.deferredBucket]: 'no-such-bucket' });
    resetContainer();
    try {
      const { response, body } = await call(invokeEvent({ apiKey: 'key-down' }, { message: QUESTION }));
      expect(response.statusCode).toBe(503);
      expect(body.error).toBe('DEFERRAL_UNAVAILABLE');
      expect(response.headers!['retry-after']).toBe('5');
      expect(modelCalls()).toEqual([]);
      // The reservation taken for the deferral went back with the record that was not written.
      expect(await tenantCounters('key:key-down')).toMatchObject({ windows: 1, tokens: 0, costAtto: 0n });
    } finally {
      setEnv(Object.fromEntries(saved));
      resetContainer();
    }
  });
});

describe('GET /deferred/{day}/{requestId}', () => {
  test('the tenant that asked gets 404 until the scheduled run wrote the result, then 200 with the answer and its cost', async () => {
    const requestId = 'poll-owner-0001';
    const owner = { apiKey: 'key-owner' };
    expect((await call(invokeEvent(owner, { message: QUESTION }, requestId))).response.statusCode).toBe(202);

    const before = await call(getEvent(owner, DAY, requestId));
    expect(before.response.statusCode).toBe(404);
    expect(before.body).toMatchObject({ error: 'DEFERRED_PENDING', details: { requestId, runsAfter: '2036-03-16T00:00:00.000Z' } });

    // The run's mark while it calls the model is not a result yet.
    await writeResult(DAY, requestId, { source: `deferred/${DAY}/${requestId}.json`, status: 'invoking', requestId, startedAt: '2036-03-16T02:00:01.000Z' });
    expect((await call(getEvent(owner, DAY, requestId))).body.error).toBe('DEFERRED_PENDING');

    const cost = { inputUsd: 0.00002, outputUsd: 0.0001, cacheReadUsd: 0, cacheWrite5mUsd: 0, cacheWrite1hUsd: 0, totalUsd: 0.00012, batch: true };
    await writeResult(DAY, requestId, {
      source: `deferred/${DAY}/${requestId}.json`, status: 'processed', requestId, tenantId: 'key:key-owner', answer: 'Plan B fits.',
      model: { id: 'anthropic.claude-haiku-4-5-20251001-v1:0', tier: 'simple' }, usage: { inputTokens: 20, outputTokens: 20, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, cost,
    });
    const after = await call(getEvent(owner, DAY, requestId));
    expect(after.response.statusCode).toBe(200);
    expect(after.response.headers!['x-genai-request-id']).toMatch(/^poll-/);
    expect(after.body).toMatchObject({ requestId, deferred: { day: DAY, location: `/deferred/${DAY}/${requestId}` }, status: 'processed', answer: 'Plan B fits.', cost });
    // The record's key in the workflow's bucket is not the caller's business.
    expect(after.body.source).toBeUndefined();
  });

  test('a refused deferred call is a final result too: 200 with its code and reason', async () => {
    const requestId = 'poll-rejected-0001';
    const owner = { apiKey: 'key-rejected' };
    await call(invokeEvent(owner, { message: QUESTION }, requestId));
    await writeResult(DAY, requestId, { source: `deferred/${DAY}/${requestId}.json`, status: 'rejected', requestId, code: 'USAGE_LIMIT_EXCEEDED', reason: 'The tenant\'s monthly limit is spent.' });
    const { response, body } = await call(getEvent(owner, DAY, requestId));
    expect(response.statusCode).toBe(200);
    expect(body).toMatchObject({ status: 'rejected', code: 'USAGE_LIMIT_EXCEEDED' });
  });

  test('another tenant gets the same 404 as for an id that was never deferred, before and after the result', async () => {
    const requestId = 'poll-private-0001';
    await call(invokeEvent({ apiKey: 'key-owner-2' }, { message: QUESTION }, requestId));
    const stranger = { apiKey: 'key-stranger' };
    const shape = (r: { response: APIGatewayProxyResult; body: any }) => ({ status: r.response.statusCode, error: r.body.error, details: r.body.details });

    const unknown = await call(getEvent(stranger, DAY, 'never-deferred-0001'));
    const pending = await call(getEvent(stranger, DAY, requestId));
    await writeResult(DAY, requestId, { source: `deferred/${DAY}/${requestId}.json`, status: 'processed', requestId, answer: 'secret' });
    const done = await call(getEvent(stranger, DAY, requestId));

    expect(unknown.response.statusCode).toBe(404);
    expect(unknown.body.error).toBe('NOT_FOUND');
    expect(shape(pending)).toEqual({ ...shape(unknown), details: { day: DAY, requestId } });
    expect(shape(done)).toEqual(shape(pending));
    expect(done.response.body).not.toContain('secret');
  });

  test('an IAM caller reads what its own principal deferred, in any session, and no other principal does', async () => {
    const requestId = 'poll-iam-0001';
    await call(invokeEvent({ iamUser: 'AROAPRINCIPALA' }, { message: QUESTION, tenantId: 'acme', userId: 'u-1' }, requestId));
    await writeResult(DAY, requestId, { source: `deferred/${DAY}/${requestId}.json`, status: 'processed', requestId, answer: 'ok' });

    expect((await call(getEvent({ iamUser: 'AROAPRINCIPALA' }, DAY, requestId))).response.statusCode).toBe(200);
    expect((await call(getEvent({ iamUser: 'AROAPRINCIPALB' }, DAY, requestId))).body.error).toBe('NOT_FOUND');
    // An API key naming the same tenant in a body is another caller.
    expect((await call(getEvent({ apiKey: 'acme' }, DAY, requestId))).body.error).toBe('NOT_FOUND');
  });

  test.each([
    ['a day that is not a date', 'yesterday', 'abc-1', 'day'],
    ['a day the calendar lacks', '2036-02-30', 'abc-1', 'day'],
    ['an id with a slash', DAY, 'abc/../records', 'requestId'],
    ['an id longer than 128', DAY, 'a'.repeat(129), 'requestId'],
  ])('%s is a 400 naming the field', async (_name, day, requestId, field) => {
    const { response, body } = await call(getEvent({ apiKey: 'key-owner' }, day, requestId));
    expect(response.statusCode).toBe(400);
    expect(body).toMatchObject({ error: 'INVALID_REQUEST', details: { field } });
  });

  test('the streaming handler serves the same route, as plain JSON', async () => {
    const requestId = 'poll-stream-0001';
    const owner = { apiKey: 'key-stream-poll' };
    await call(invokeEvent(owner, { message: QUESTION }, requestId));
    await writeResult(DAY, requestId, { source: `deferred/${DAY}/${requestId}.json`, status: 'processed', requestId, answer: 'streamed poll' });
    let head: StreamedResponseHead | undefined;
    let text = '';
    const invocation = invokeStreamingHandler(streamHandler as unknown as StreamingHandler, { ...getEvent(owner, DAY, requestId), headers: { Accept: 'text/event-stream' } }, { getRemainingTimeInMillis: () => 30_000 });
    void invocation.prelude.then((p) => { if (p.kind === 'prelude') head = p.head; });
    invocation.payload.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
    expect((await invocation.completion).error).toBeUndefined();
    await invocation.prelude;

    expect(head?.statusCode).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ requestId, status: 'processed', answer: 'streamed poll' });
  });

  test('a method but GET is a 405', async () => {
    const { response, body } = await call(getEvent({ apiKey: 'key-owner' }, DAY, 'abc-1', 'DELETE'));
    expect(response.statusCode).toBe(405);
    expect(body.error).toBe('METHOD_NOT_ALLOWED');
  });
});

describe('with the scheduled workflow\'s runner', () => {
  test('a deferred call is answered by the run after its day, charged to its tenant, and then read by its owner', async () => {
    const requestId = 'e2e-0001';
    const owner = { apiKey: 'key-e2e' };
    expect((await call(invokeEvent(owner, { message: QUESTION }, requestId))).response.statusCode).toBe(202);
    const { reservation } = await readRecord(DAY, requestId);
    expect(await tenantCounters('key:key-e2e')).toMatchObject({ tokens: reservation.estimate.tokens });

    await runScheduled();

    const polled = await call(getEvent(owner, DAY, requestId));
    expect(polled.response.statusCode).toBe(200);
    expect(polled.body).toMatchObject({ requestId, status: 'processed', answer: expect.stringMatching(/\S/), cost: { totalUsd: expect.any(Number) } });
    expect(polled.body.cost.totalUsd).toBeGreaterThan(0);
    // The run answers the day's other deferred calls too (this file's earlier ones): this tenant's is one call.
    expect(h.sim.calls.filter((c) => c.operation === 'Converse' && c.requestMetadata?.tenantId === 'key:key-e2e')).toHaveLength(1);
    // Charged to the tenant that asked, at what Bedrock billed: its hold was settled to that, not reserved again.
    const charged = await tenantCounters('key:key-e2e');
    expect(charged.tokens).toBe(polled.body.usage.inputTokens + polled.body.usage.outputTokens);
    expect(Number(charged.costAtto) / 1e18).toBeCloseTo(polled.body.cost.totalUsd, 9);
  });

  // The API accepts what authentication gives (an authorizer's principal of up to 512 characters, a tenant of up to 128
  // before its prefix, an IAM principal with the body's user after a '/'): the run must answer those calls, not refuse
  // a promise the 202 made with INVALID_DEFERRED_RECORD.
  test('a deferred call of any identity the API accepts is answered by the run: an authorizer principal with a |, a 128-character tenant, an IAM principal\'s user', async () => {
    const authorizer = { authorizerTenant: 't'.repeat(128), principalId: 'auth0|65f0c8a1b2' };
    const iam = { iamUser: 'AROAIDENTITYTEST' };
    expect((await call(invokeEvent(authorizer, { message: QUESTION }, 'ident-0001'))).response.statusCode).toBe(202);
    expect((await call(invokeEvent(iam, { message: QUESTION, tenantId: 'acme', userId: 'alice' }, 'ident-0002'))).response.statusCode).toBe(202);

    await runScheduled();

    for (const [caller, requestId] of [[authorizer, 'ident-0001'], [iam, 'ident-0002']] as const) {
      const polled = await call(getEvent(caller, DAY, requestId));
      expect({ status: polled.response.statusCode, result: polled.body.status, code: polled.body.code }).toEqual({ status: 200, result: 'processed', code: undefined });
    }
    const charged = await tenantCounters(`authorizer:${'t'.repeat(128)}`);
    expect(charged.tokens).toBeGreaterThan(0);
  });

  test('a budget that fits N deferred calls accepts N (202, each reserved) and refuses the rest (429); the run settles each hold to what it billed, once', async () => {
    const owner = { apiKey: 'key-budget' };
    const tenant = 'key:key-budget';
    const first = await call(invokeEvent(owner, { message: QUESTION }, 'budget-000'));
    expect(first.response.statusCode).toBe(202);
    const perCall = (await readRecord(DAY, 'budget-000')).reservation.estimate.tokens as number;
    expect(perCall).toBeGreaterThan(0);
    // More calls than the month's 10,000 tokens can hold at that size.
    const attempts = Math.ceil(10_000 / perCall) + 3;
    const statuses = [202];
    const errors: string[] = [];
    for (let i = 1; i < attempts; i++) {
      const { response, body } = await call(invokeEvent(owner, { message: QUESTION }, `budget-${String(i).padStart(3, '0')}`));
      statuses.push(response.statusCode);
      if (response.statusCode !== 202) errors.push(body.error);
    }

    const accepted = statuses.filter((status) => status === 202).length;
    // Accepted while they fit, then refused like the limit: never a 202 after a 429.
    expect(statuses).toEqual([...Array(accepted).fill(202), ...Array(attempts - accepted).fill(429)]);
    expect(attempts - accepted).toBeGreaterThanOrEqual(3);
    expect(new Set(errors)).toEqual(new Set(['USAGE_LIMIT_EXCEEDED']));
    const ids = statuses.map((_, i) => `budget-${String(i).padStart(3, '0')}`);
    expect((await recordKeys()).filter((k) => k.includes('/budget-'))).toHaveLength(accepted);
    // Before the run, the ledger holds exactly the accepted calls' reservations, within the limit, with no room for one more.
    const held = await Promise.all(ids.slice(0, accepted).map(async (id) => (await readRecord(DAY, id)).reservation.estimate));
    const heldTokens = held.reduce((sum, e) => sum + e.tokens, 0);
    const before = await tenantCounters(tenant);
    expect(before).toMatchObject({ tokens: heldTokens, costAtto: held.reduce((sum, e) => sum + BigInt(e.costAtto), 0n) });
    expect(heldTokens).toBeLessThanOrEqual(10_000);
    expect(10_000 - heldTokens).toBeLessThan(Math.min(...held.map((e) => e.tokens)));

    await runScheduled();

    // Every promised call was answered (none refused at run time), and the ledger counts exactly what was billed.
    const results = await Promise.all(ids.slice(0, accepted).map((id) => readResult(DAY, id)));
    expect(results.map((r) => r.status)).toEqual(Array(accepted).fill('processed'));
    const billedTokens = results.reduce((sum, r) => sum + r.usage.inputTokens + r.usage.outputTokens, 0);
    const after = await tenantCounters(tenant);
    expect(after.tokens).toBe(billedTokens);
    expect(billedTokens).toBeLessThan(heldTokens);
    expect(Number(after.costAtto) / 1e18).toBeCloseTo(results.reduce((sum, r) => sum + r.cost.totalUsd, 0), 9);

    // A rerun of the day finds every result written: nothing is called, settled or charged again.
    const calls = h.sim.calls.length;
    await runScheduled();
    expect(h.sim.calls.length).toBe(calls);
    expect(await tenantCounters(tenant)).toEqual(after);
  });

  test('a deferred call the response cache answers at run time settles its hold to nothing', async () => {
    const owner = { apiKey: 'key-cached' };
    const tenant = 'key:key-cached';
    configure(DEFER, { responseCacheTable: CACHE_TABLE });
    expect((await call(invokeEvent(owner, { message: QUESTION }, 'cached-0001'))).response.statusCode).toBe(202);
    // The same question, asked again by the same tenant without the policy: answered (and cached) now.
    configure('none', { responseCacheTable: CACHE_TABLE });
    const asked = await call(invokeEvent(owner, { message: QUESTION }, 'cached-0002'));
    expect(asked.response.statusCode).toBe(200);
    const { reservation } = await readRecord(DAY, 'cached-0001');
    const billed = asked.body.usage.inputTokens + asked.body.usage.outputTokens;
    expect(await tenantCounters(tenant)).toMatchObject({ tokens: billed + reservation.estimate.tokens });
    const converse = () => h.sim.calls.filter((c) => c.operation === 'Converse' && c.requestMetadata?.tenantId === tenant).length;
    expect(converse()).toBe(1);

    await runScheduled({ responseCacheTable: CACHE_TABLE });

    expect(await readResult(DAY, 'cached-0001')).toMatchObject({ status: 'processed', answer: asked.body.answer, cost: { totalUsd: 0 } });
    expect(converse()).toBe(1);
    expect(await tenantCounters(tenant)).toMatchObject({ tokens: billed });
  });

  test('a deferred record the run rejects (an unknown feature, a version it cannot read) gives its hold back', async () => {
    const cases = [['key-badfeature', 'reject-0001', { feature: 'search' }, 'INVALID_REQUEST'], ['key-badversion', 'reject-0002', { version: 2 }, 'INVALID_DEFERRED_RECORD']] as const;
    for (const [apiKey, requestId, change] of cases) {
      expect((await call(invokeEvent({ apiKey }, { message: QUESTION }, requestId))).response.statusCode).toBe(202);
      const record = await readRecord(DAY, requestId);
      expect((await tenantCounters(`key:${apiKey}`)).tokens).toBe(record.reservation.estimate.tokens);
      // The record changed after it was accepted (its feature was removed, a newer writer's version), its hold unchanged.
      await client.send(new PutObjectCommand({ Bucket: INPUT_BUCKET, Key: `deferred/${DAY}/${requestId}.json`, Body: JSON.stringify({ ...record, ...change }) }));
    }

    await runScheduled();

    for (const [apiKey, requestId, , code] of cases) {
      expect(await readResult(DAY, requestId)).toMatchObject({ status: 'rejected', code });
      expect(await tenantCounters(`key:${apiKey}`)).toMatchObject({ windows: 1, tokens: 0, costAtto: 0n });
    }
    expect(h.sim.calls.filter((c) => c.operation === 'Converse' && String(c.requestMetadata?.tenantId).startsWith('key:key-bad'))).toEqual([]);
  });
});
