import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { UsageLimitConfig } from '../../../shared/contract';
import { DEFAULT_MODEL_CATALOG, lookupModel, priceUsageExact } from '../../../shared/core';
import { handler as apiHandler } from '../../../lambda/api/handler';
import { DynamoDbLedgerGuard } from '../../../lambda/pipeline/guards';
import { resetClients } from '../../../lambda/shared/clients';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { LocalDynamoDb, LocalS3, localClientConfig, localS3ClientConfig, startDynamoDbLocal, startLocalS3 } from '../../../packages/local/src/services';
import { createLedgerTable } from '../../../packages/local/src/services/ledger-table';
import { dynamoDbOperation, FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';
import { captureLogs, createCacheTable, event, HAIKU_45, MODEL_ALIASES, pipelineConfigJson, setHandlerEnv, withEmf } from '../../support/handler-env';

/*
 * The ledger equals the bill under faults (issue 14): the real handlers, the real SDK, DynamoDB Local, the local S3
 * and the Bedrock simulator (its throttles, errors and latency), with loopback proxies in front of DynamoDB, S3 and
 * the Bedrock control plane that delay or fail requests. After each scenario, once every delayed write has landed: the ledger's tokens and
 * attodollars equal what the simulator billed (its call log: usage on billed calls only; a batch job's billed
 * tokens), no hold is left live, and every refusal that says nothing was charged charged nothing.
 */

type Simulator = Awaited<ReturnType<typeof startBedrockSimulator>>;
type ScheduledModule = typeof import('../../../lambda/scheduled/handler');

const CACHE_TABLE = 'faults-response-cache';
const INPUT_BUCKET = 'faults-records';
const BATCH_MODEL = `us.${HAIKU_45}`;
const ROLE = 'arn:aws:iam::123456789012:role/nightly-batch';
const RETRY = { maxAttempts: 2, attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 1 };
// Quotas and budgets fail closed; the request limit shares the day counter with a token quota (one hold).
const LIMITS: UsageLimitConfig[] = [
  { scope: 'tenant', window: 'month', maxTokens: 5_000_000, maxCostUsd: 50 },
  { scope: 'user', window: 'day', maxRequests: 30, maxTokens: 1_000_000 },
];

let sim: Simulator;
let dynamodb: LocalDynamoDb;
let s3: LocalS3;
let ddbProxy: FaultProxy;
let s3Proxy: FaultProxy;
let bedrockProxy: FaultProxy;
let ddb: DynamoDBClient;
let s3Client: S3Client;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;
let tableCounter = 0;
let requestCounter = 0;

/** One scenario's figures, for the table in the README. */
interface Figures {
  readonly scenario: string;
  readonly billedTokens: number;
  readonly billedAtto: bigint;
  readonly ledgerTokens: number;
  readonly ledgerAtto: bigint;
  readonly modelCalls: number;
  readonly statuses: string;
}
const figures: Figures[] = [];

beforeAll(async () => {
  [dynamodb, s3] = await Promise.all([startDynamoDbLocal(), startLocalS3()]);
  sim = await startBedrockSimulator({ modelAliases: MODEL_ALIASES, batchCompletion: 'manual', batchS3Endpoint: s3.endpoint });
  [ddbProxy, s3Proxy, bedrockProxy] = await Promise.all([startFaultProxy(dynamodb.endpoint), startFaultProxy(s3.endpoint), startFaultProxy(sim.endpoint)]);
  ddb = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
  s3Client = new S3Client(localS3ClientConfig(s3.endpoint));
  await createCacheTable(ddb, CACHE_TABLE);
  await s3Client.send(new CreateBucketCommand({ Bucket: INPUT_BUCKET }));
  // The runtime speaks HTTP/2 to the simulator directly; the control plane (batch jobs) goes through the proxy.
  restoreEnv = setHandlerEnv({ bedrock: sim.endpoint, dynamodb: ddbProxy.endpoint, s3: s3Proxy.endpoint }, {
    GENAI_PIPELINE_CONFIG: pipelineConfigJson(), INPUT_BUCKET, INPUT_PREFIX: 'records/', RESULTS_PREFIX: 'results/',
    GENAI_BEDROCK_CONTROL_ENDPOINT: bedrockProxy.endpoint,
  });
  resetClients();
});

afterAll(async () => {
  if (process.env.GENAI_PRINT_FAULT_TABLE) printTable();
  resetClients();
  resetContainer();
  ddb?.destroy();
  s3Client?.destroy();
  await Promise.all([ddbProxy?.close(), s3Proxy?.close(), bedrockProxy?.close()]);
  await Promise.all([dynamodb?.stop(), s3?.stop(), sim?.close()]);
  restoreEnv?.();
});

beforeEach(() => {
  sim.reset();
  sim.setLatency(0);
  ddbProxy.rule = undefined;
  s3Proxy.rule = undefined;
  bedrockProxy.rule = undefined;
  logs = captureLogs();
});
afterEach(() => logs.restore());

/**
 * A new ledger table, and the pipeline configuration that names it (the API container is rebuilt with it). Its ledger
 * timeout is long unless the test is about it: the deployed 1.5 s can pass on a loaded CI machine's DynamoDB Local.
 */
async function newLedger(extra: { limits?: UsageLimitConfig[]; ledgerTimeoutMs?: number; maxTokens?: number; responseCache?: boolean } = {}): Promise<string> {
  const table = `faults-ledger-${++tableCounter}`;
  await createLedgerTable(ddb, table);
  process.env.GENAI_PIPELINE_CONFIG = pipelineConfigJson({
    ...(extra.responseCache === false ? {} : { responseCacheTable: CACHE_TABLE }), retry: RETRY, ...(extra.maxTokens ? { maxTokens: extra.maxTokens } : {}),
    guards: { store: 'dynamodb', ledgerTableName: table, usageLimits: extra.limits ?? LIMITS, ledgerTimeoutMs: extra.ledgerTimeoutMs ?? SLOW_MACHINE_TIMEOUT_MS },
  });
  resetContainer();
  return table;
}

/** The ledger's counters of one scope summed over its items, and whatever live holds are left. */
async function ledgerOf(table: string, scope: 'tenant' | 'user' | 'workflow' = 'tenant') {
  const { Items = [] } = await ddb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  const mine = Items.filter((i) => i.pk.S!.startsWith(`${scope}#`));
  return {
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
    // Live reservations: amounts still held in a bucket, or hold ids still live.
    held: mine.flatMap((i) => Object.entries(i).filter(([k, v]) => (/^h[0-9a-z]+[tc]$/.test(k) && v.N !== '0') || (/^h[0-9a-z]+s$/.test(k) && (v.SS ?? []).length > 0))),
  };
}

/** What the simulator billed: the usage of its billed model calls (CountTokens is free), priced as Bedrock bills a `us.` profile. */
function billedBySimulator(): { tokens: number; costAtto: bigint; calls: number } {
  const billed = sim.calls.filter((c) => c.operation === 'Converse' && c.usage);
  let tokens = 0;
  let costAtto = 0n;
  for (const call of billed) {
    const usage = call.usage!;
    tokens += usage.inputTokens + usage.outputTokens + usage.cacheWriteInputTokens;
    costAtto += priceUsageExact(usage, lookupModel(`us.${call.baseModelId}`, DEFAULT_MODEL_CATALOG).price).totalAtto;
  }
  return { tokens, costAtto, calls: sim.calls.filter((c) => c.operation === 'Converse').length };
}

/** A batch job's bill: the tokens the simulator says it billed, at the batch price. */
function billedBatch(): { tokens: number; costAtto: bigint } {
  const price = lookupModel(BATCH_MODEL, DEFAULT_MODEL_CATALOG).price;
  let tokens = 0;
  let costAtto = 0n;
  for (const job of sim.batchJobs) {
    const usage = { inputTokens: job.billedInputTokens ?? 0, outputTokens: job.billedOutputTokens ?? 0 };
    tokens += usage.inputTokens + usage.outputTokens;
    costAtto += priceUsageExact(usage, price, { batch: true }).totalAtto;
  }
  return { tokens, costAtto };
}

/** Asserts the scenario's ledger equals the bill and no hold is live; records its figures. */
async function expectLedgerEqualsBill(scenario: string, table: string, billed: { tokens: number; costAtto: bigint }, extra: { calls?: number; statuses?: number[]; scope?: 'tenant' | 'workflow' } = {}) {
  await Promise.all([ddbProxy.idle(), s3Proxy.idle(), bedrockProxy.idle()]);
  const ledger = await ledgerOf(table, extra.scope);
  figures.push({
    scenario, billedTokens: billed.tokens, billedAtto: billed.costAtto, ledgerTokens: ledger.tokens, ledgerAtto: ledger.costAtto,
    modelCalls: extra.calls ?? 0, statuses: (extra.statuses ?? []).join(', '),
  });
  expect({ tokens: ledger.tokens, costAtto: ledger.costAtto, held: ledger.held }).toEqual({ tokens: billed.tokens, costAtto: billed.costAtto, held: [] });
  return ledger;
}

/**
 * Asserts the ledger counted at least what was billed (a call that may have been billed without an answer counts at
 * its upper bound) and no hold is live; records its figures.
 */
async function expectLedgerCoversBill(scenario: string, table: string, billed: { tokens: number; costAtto: bigint }, extra: { calls?: number; statuses?: number[] } = {}) {
  await Promise.all([ddbProxy.idle(), s3Proxy.idle(), bedrockProxy.idle()]);
  const ledger = await ledgerOf(table);
  figures.push({
    scenario, billedTokens: billed.tokens, billedAtto: billed.costAtto, ledgerTokens: ledger.tokens, ledgerAtto: ledger.costAtto,
    modelCalls: extra.calls ?? 0, statuses: (extra.statuses ?? []).join(', '),
  });
  expect(ledger.held).toEqual([]);
  expect(ledger.tokens).toBeGreaterThanOrEqual(billed.tokens);
  expect(ledger.costAtto >= billed.costAtto).toBe(true);
  return ledger;
}

function apiEvent(message: string, requestId = `faults-${String(++requestCounter).padStart(6, '0')}`): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  return { ...base, body: JSON.stringify({ message, tenantId: 'tenant-faults', userId: 'u1' }), requestContext: { ...base.requestContext, requestId } };
}

async function invoke(e: APIGatewayProxyEvent, remainingMs?: number): Promise<APIGatewayProxyResult> {
  const context = remainingMs === undefined ? undefined : { getRemainingTimeInMillis: (() => { const until = Date.now() + remainingMs; return () => until - Date.now(); })() };
  return (await withEmf(() => apiHandler(e, context))).result;
}

/** A refusal that says nothing was charged. */
const saysNothingCharged = (r: APIGatewayProxyResult) => r.statusCode >= 429 && /nothing was charged|not charged/.test(r.body);

describe('the ledger equals the bill under faults: API handler', () => {
  test('throttled once, then answered: the retry within the request is billed once and counted once', async () => {
    const table = await newLedger();
    sim.injectFaults('throttle', 1);

    const response = await invoke(apiEvent('How do I change my billing address?'));

    expect(response.statusCode).toBe(200);
    const billed = billedBySimulator();
    expect(billed.calls).toBe(2);
    await expectLedgerEqualsBill('throttled once, then answered', table, billed, { calls: billed.calls, statuses: [response.statusCode] });
  });

  test('Lambda retries a request whose attempts were all throttled, under the same request id: the billed retry is counted', async () => {
    const table = await newLedger();
    const e = apiEvent('Why was I charged twice this month?');
    sim.injectFaults('throttle', RETRY.maxAttempts);

    const first = await invoke(e);
    const retry = await invoke(e);

    expect([first.statusCode, retry.statusCode]).toEqual([429, 200]);
    const billed = billedBySimulator();
    expect(billed.tokens).toBeGreaterThan(0);
    await expectLedgerEqualsBill('all attempts throttled, then Lambda\'s retry (same request id) answered', table, billed, { calls: billed.calls, statuses: [first.statusCode, retry.statusCode] });
  });

  test('Bedrock errors on every attempt: refused, and nothing counted', async () => {
    const table = await newLedger();
    sim.injectFaults('service-unavailable', RETRY.maxAttempts);

    const response = await invoke(apiEvent('Where is my parcel?'));

    expect(response.statusCode).toBe(503);
    await expectLedgerEqualsBill('5xx on every attempt', table, billedBySimulator(), { calls: billedBySimulator().calls, statuses: [response.statusCode] });
  });

  test('a connection reset after the model ran (billed, no answer): counted at its upper bound, never less than the bill', async () => {
    const table = await newLedger();
    sim.injectFaults('connection-reset', 1);

    const response = await invoke(apiEvent('What is the cancellation period?'));

    expect(response.statusCode).toBe(502);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'MODEL_CONNECTION_LOST' });
    // Not retried (a second call could bill again), and the refusal does not say nothing was charged.
    const billed = billedBySimulator();
    expect(billed.calls).toBe(1);
    expect(billed.tokens).toBeGreaterThan(0);
    expect(saysNothingCharged(response)).toBe(false);
    await expectLedgerCoversBill('connection reset after the model ran (API)', table, billed, { calls: billed.calls, statuses: [response.statusCode] });
  });

  test('an unbilled attempt, then the deadline before the next one: nothing billed, nothing charged', async () => {
    const table = await newLedger();
    // The model times out after 1.5 s (unbilled); 4.1 s were left, 2 s of them kept back to settle and answer, so no
    // second attempt fits before the deadline.
    sim.setLatency(1_500);
    sim.injectFaults('model-timeout', 1);

    const response = await invoke(apiEvent('Can I pay by bank transfer?'), 4_100);

    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'MODEL_DEADLINE_EXCEEDED' });
    const billed = billedBySimulator();
    expect(billed.tokens).toBe(0);
    await expectLedgerEqualsBill('an unbilled attempt, then the deadline', table, billed, { calls: billed.calls, statuses: [response.statusCode] });
  });

  test('DynamoDB slower than the ledger timeout: ten 503s that say nothing was charged, and nothing is, requests included', async () => {
    const table = await newLedger({ ledgerTimeoutMs: 400 });
    // Every reservation lands at once, but its answer comes 1 s late: after the client gave up on it.
    ddbProxy.rule = (request) => (request.body.includes(table) && dynamoDbOperation(request) === 'UpdateItem' ? { delayResponseMs: 1_000 } : undefined);

    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => invoke(apiEvent(`Slow ledger question ${i}?`))));

    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(503));
    expect(responses.every(saysNothingCharged)).toBe(true);
    const ledger = await expectLedgerEqualsBill('DynamoDB slower than the ledger timeout (10 requests)', table, billedBySimulator(), { calls: billedBySimulator().calls, statuses: [...new Set(responses.map((r) => r.statusCode))] });
    expect(ledger.requests).toBe(0);
    expect((await ledgerOf(table, 'user')).requests).toBe(0);
  });

  test('a settlement slower than the ledger timeout is waited for: the answer is counted once', async () => {
    // The reservation is not delayed: the timeout leaves it the time a loaded CI machine's DynamoDB Local needs. The
    // settlement's first writes (one UpdateItem per counter, the only writes that count cache reads) reach the table
    // 5x the timeout late, so its tries after them overtake them.
    const table = await newLedger({ ledgerTimeoutMs: 2_000 });
    let settlementWrites = 0;
    ddbProxy.rule = (request) => (request.body.includes(table) && dynamoDbOperation(request) === 'UpdateItem'
      && request.body.includes('cacheReadTokens') && settlementWrites++ < LIMITS.length ? { delayMs: 10_000 } : undefined);

    const response = await invoke(apiEvent('What does the premium plan include?'));

    expect(response.statusCode).toBe(200);
    const billed = billedBySimulator();
    await expectLedgerEqualsBill('settlement slower than the ledger timeout', table, billed, { calls: billed.calls, statuses: [response.statusCode] });
  });

  test('a duplicate delivery of the same request: each billed call counted once', async () => {
    const table = await newLedger();
    const e = apiEvent('How long does a refund take?');

    const responses = [await invoke(e), await invoke(e)];

    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    const billed = billedBySimulator();
    await expectLedgerEqualsBill('the same request delivered twice', table, billed, { calls: billed.calls, statuses: responses.map((r) => r.statusCode) });
  });
});

describe('the ledger equals the bill under faults: a process killed between reserve and settle', () => {
  test('its hold is given back once expired: the counter equals the bill of the requests that settled', async () => {
    const table = await newLedger();
    // A fixed clock: the hold's expiry is reached by moving it, not by waiting (the table has no TTL).
    const now = Date.UTC(2026, 11, 1, 9, 30);
    const context = (requestId: string, nowMs: number) => ({ requestId, tenantId: 'tenant-faults', userId: 'u1', feature: 'chat', path: 'converse' as const, nowMs });
    const killed = new DynamoDbLedgerGuard({ client: ddb, tableName: table, guards: { usageLimits: LIMITS } });
    await killed.reserve(context('killed', now), { tokens: 4_000, cacheReadTokens: 0, costAtto: 10n ** 15n }, true);

    const later = new DynamoDbLedgerGuard({ client: ddb, tableName: table, guards: { usageLimits: LIMITS } });
    const at = now + 22 * 60_000;
    const hold = await later.reserve(context('later', at), { tokens: 4_000, cacheReadTokens: 0, costAtto: 10n ** 15n }, true);
    const billed = { tokens: 321, cacheReadTokens: 0, costAtto: 7n * 10n ** 12n };
    await later.settle(context('later', at), hold, { tokens: 4_000, cacheReadTokens: 0, costAtto: 10n ** 15n }, billed, 'converse:later');

    await expectLedgerEqualsBill('a process killed between reserve and settle, after its hold expired', table, billed, { calls: 1 });
  });
});

describe('the ledger equals the bill under faults: scheduled workflows', () => {
  /** A scheduled workflow's handler as its own function (its own module instance: container, settings, clients). */
  function scheduledWorkflow(resultsBucket: string): ScheduledModule['handler'] {
    process.env.RESULTS_BUCKET = resultsBucket;
    let loaded: ScheduledModule | undefined;
    jest.isolateModules(() => {
      loaded = require('../../../lambda/scheduled/handler') as ScheduledModule;
    });
    return loaded!.handler;
  }

  const scheduledFor = (day: string) => {
    const next = new Date(`${day}T02:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return { 'version': '0', 'id': 'e', 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'account': '1', 'time': next.toISOString(), 'region': 'us-east-1', 'resources': [], 'detail': {} } as any;
  };

  async function writeDay(day: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await s3Client.send(new PutObjectCommand({ Bucket: INPUT_BUCKET, Key: `records/${day}/chat-${String(i).padStart(3, '0')}.txt`, Body: `Customer ${i} asked about invoice ${1000 + i} and a refund for order ${i * 7}.` }));
    }
  }

  async function newBucket(name: string): Promise<string> {
    await s3Client.send(new CreateBucketCommand({ Bucket: name }));
    return name;
  }

  test('two workflows sharing a ledger and the same records: every billed call of both is counted', async () => {
    // The scheduled workflow has no response cache: every record is a model call.
    const table = await newLedger({ responseCache: false });
    await writeDay('2026-10-01', 3);
    const first = scheduledWorkflow(await newBucket('faults-results-a'));
    const second = scheduledWorkflow(await newBucket('faults-results-b'));

    const runs = [await withEmf(() => first(scheduledFor('2026-10-01'))), await withEmf(() => second(scheduledFor('2026-10-01')))];

    expect(runs.map((r) => r.result)).toEqual([expect.objectContaining({ processed: 3 }), expect.objectContaining({ processed: 3 })]);
    // Each workflow's requests are its own: the request id names the workflow's result, not only the day and record.
    expect(runs.map((r) => [...new Set(r.emf.filter((m) => m.requestId).map((m) => String(m.requestId).split('/')[2]))])).toEqual([['faults-results-a'], ['faults-results-b']]);
    const billed = billedBySimulator();
    expect(billed.calls).toBe(6);
    await expectLedgerEqualsBill('two scheduled workflows sharing a ledger and records', table, billed, { calls: billed.calls });
  });

  test('result writes that fail after billed calls: Lambda\'s retry writes the kept answers and calls the model for no record again', async () => {
    // The scheduled workflow has no response cache: every record is a model call.
    const table = await newLedger({ responseCache: false });
    await writeDay('2026-10-02', 2);
    const workflow = scheduledWorkflow(await newBucket('faults-results-c'));
    // Every write of a processed result fails (S3 5xx through the SDK's retries and the handler's own).
    s3Proxy.rule = (request) => (request.method === 'PUT' && request.body.includes('"status":"processed"') ? { fail: { status: 500, body: '<Error><Code>InternalError</Code></Error>', headers: { 'content-type': 'application/xml' } } } : undefined);

    const failed = await withEmf(() => workflow(scheduledFor('2026-10-02'))).then(() => undefined, (error: unknown) => error);
    s3Proxy.rule = undefined;
    const retry = (await withEmf(() => workflow(scheduledFor('2026-10-02')))).result;

    expect(failed).toBeInstanceOf(Error);
    expect(retry).toMatchObject({ records: 2, processed: 2 });
    const billed = billedBySimulator();
    expect(billed.calls).toBe(2);
    await expectLedgerEqualsBill('result writes fail after billed calls; Lambda retries (warm container)', table, billed, { calls: billed.calls });
  });

  test('result writes that fail, then a retry in a new container: the records are marked not saved, not paid for again', async () => {
    // The scheduled workflow has no response cache: every record is a model call.
    const table = await newLedger({ responseCache: false });
    await writeDay('2026-10-03', 2);
    const bucket = await newBucket('faults-results-d');
    const workflow = scheduledWorkflow(bucket);
    s3Proxy.rule = (request) => (request.method === 'PUT' && request.body.includes('"status":"processed"') ? { fail: { status: 500, body: '<Error><Code>InternalError</Code></Error>', headers: { 'content-type': 'application/xml' } } } : undefined);

    await withEmf(() => workflow(scheduledFor('2026-10-03'))).catch(() => undefined);
    s3Proxy.rule = undefined;
    const retry = (await withEmf(() => scheduledWorkflow(bucket)(scheduledFor('2026-10-03')))).result;

    expect(retry).toMatchObject({ records: 2, processed: 0, unsaved: 2 });
    const billed = billedBySimulator();
    expect(billed.calls).toBe(2);
    await expectLedgerEqualsBill('result writes fail; Lambda retries in a new container', table, billed, { calls: billed.calls });
  });

  test('a connection reset after a billed call: counted at its upper bound, and Lambda\'s retry does not call the model again', async () => {
    const table = await newLedger({ responseCache: false });
    await writeDay('2026-10-04', 1);
    const bucket = await newBucket('faults-results-reset');
    sim.injectFaults('connection-reset', 1);

    const failed = await withEmf(() => scheduledWorkflow(bucket)(scheduledFor('2026-10-04'))).then(() => undefined, (error: unknown) => error);
    const retry = (await withEmf(() => scheduledWorkflow(bucket)(scheduledFor('2026-10-04')))).result;

    expect(failed).toMatchObject({ code: 'MODEL_CONNECTION_LOST' });
    expect(retry).toMatchObject({ records: 1, processed: 0, unsaved: 1 });
    const billed = billedBySimulator();
    expect(billed.calls).toBe(1);
    await expectLedgerCoversBill('connection reset after a billed call; Lambda retries (scheduled)', table, billed, { calls: billed.calls });
  });

  test('the not-started mark cannot be written after an unbilled failure: the run fails with the model\'s error, not the write\'s', async () => {
    const table = await newLedger({ responseCache: false });
    await writeDay('2026-10-05', 1);
    const workflow = scheduledWorkflow(await newBucket('faults-results-unmarked'));
    sim.injectFaults('throttle', RETRY.maxAttempts);
    s3Proxy.rule = (request) => (request.method === 'PUT' && request.body.includes('"status":"not-started"') ? { fail: { status: 500, body: '<Error><Code>InternalError</Code></Error>', headers: { 'content-type': 'application/xml' } } } : undefined);

    const failed = await withEmf(() => workflow(scheduledFor('2026-10-05'))).then(() => undefined, (error: unknown) => error);

    expect(failed).toMatchObject({ status: 429, code: 'MODEL_THROTTLED' });
    await expectLedgerEqualsBill('throttled, and the not-started mark cannot be written', table, billedBySimulator(), { calls: billedBySimulator().calls });
  });

  test('two runs of the same day at once (a duplicate schedule delivery): each record goes to the model once', async () => {
    const table = await newLedger({ responseCache: false });
    await writeDay('2026-10-06', 3);
    const bucket = await newBucket('faults-results-twice');
    // Each mark reaches S3 late: both runs read every record's result key before either run's mark lands.
    s3Proxy.rule = (request) => (request.method === 'PUT' && request.body.includes('"status":"invoking"') ? { delayMs: 300 } : undefined);
    const context = (awsRequestId: string) => ({ awsRequestId, getRemainingTimeInMillis: () => 600_000 });
    const [a, b] = [scheduledWorkflow(bucket), scheduledWorkflow(bucket)];

    const runs = await Promise.allSettled([withEmf(() => a(scheduledFor('2026-10-06'), context('run-a'))), withEmf(() => b(scheduledFor('2026-10-06'), context('run-b')))]);
    s3Proxy.rule = undefined;

    expect(billedBySimulator().calls).toBe(3);
    // A record is the run's that wrote its mark first; the other run leaves it and fails, so that its retry counts it.
    const processed = runs.map((r) => (r.status === 'fulfilled' ? r.value.result.processed : (r.reason as { summary?: { processed: number } }).summary?.processed));
    expect(processed.reduce((sum, n) => sum! + n!, 0)).toBe(3);
    const retry = (await withEmf(() => scheduledWorkflow(bucket)(scheduledFor('2026-10-06'), context('run-b')))).result;
    expect(retry).toMatchObject({ records: 3, processed: 0, alreadyDone: 3 });
    const billed = billedBySimulator();
    expect(billed.calls).toBe(3);
    await expectLedgerEqualsBill('two runs of the same day at once', table, billed, { calls: billed.calls });
  });

  test('three failed CreateModelInvocationJob attempts hold nothing: the next run\'s job fits the budget, and its collection equals the bill', async () => {
    // A month's budget with room for one day's upper bound (100 records × 1000 output tokens) but not two.
    const table = await newLedger({ limits: [{ scope: 'workflow', window: 'month', maxCostUsd: 0.4 }], maxTokens: 1_000, responseCache: false });
    await writeDay('2026-10-04', 100);
    Object.assign(process.env, { BATCH_ROLE_ARN: ROLE, BATCH_MODEL_ID: BATCH_MODEL, BATCH_MIN_RECORDS: '100', BATCH_JOB_PREFIX: 'faults-nightly' });
    try {
      const workflow = scheduledWorkflow(await newBucket('faults-results-e'));
      bedrockProxy.rule = (request) => (request.method === 'POST' && request.url.startsWith('/model-invocation-job')
        ? { fail: { status: 400, body: JSON.stringify({ message: 'simulated refusal' }), headers: { 'x-amzn-errortype': 'ValidationException' } } }
        : undefined);
      const failures = [];
      for (let i = 0; i < 3; i++) failures.push(await withEmf(() => workflow(scheduledFor('2026-10-04'))).then(() => undefined, (error: unknown) => error));
      expect(failures.every((f) => f instanceof Error)).toBe(true);
      expect(await ledgerOf(table, 'workflow')).toMatchObject({ tokens: 0, costAtto: 0n, held: [] });

      bedrockProxy.rule = undefined;
      const started = (await withEmf(() => workflow(scheduledFor('2026-10-04')))).result;
      expect(started).toMatchObject({ mode: 'batch', batch: { status: 'started' } });
      await sim.completeBatchJobs();
      await withEmf(() => workflow({ collect: true, time: scheduledFor('2026-10-04').time } as never));

      await expectLedgerEqualsBill('three failed batch job creations, then a job created and collected', table, billedBatch(), { scope: 'workflow', calls: 1 });
    } finally {
      for (const name of ['BATCH_ROLE_ARN', 'BATCH_MODEL_ID', 'BATCH_MIN_RECORDS', 'BATCH_JOB_PREFIX']) delete process.env[name];
    }
  });

  test('a batch marker rewritten in S3 moves no ledger counter: the hold is kept in the ledger, the marker only names it', async () => {
    const table = await newLedger({ limits: [{ scope: 'workflow', window: 'month', maxCostUsd: 0.4 }], maxTokens: 1_000, responseCache: false });
    await writeDay('2026-10-05', 100);
    // Another tenant's counter, with a live bucket, that a forged hold names
    const victim = 'tenant#victim#2026-10';
    await ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: victim }, tokens: { N: '1000' }, costAtto: { N: '0' }, hforgedt: { N: '1000' }, hforgedc: { N: '0' } } }));
    Object.assign(process.env, { BATCH_ROLE_ARN: ROLE, BATCH_MODEL_ID: BATCH_MODEL, BATCH_MIN_RECORDS: '100', BATCH_JOB_PREFIX: 'faults-forged' });
    try {
      const bucket = await newBucket('faults-results-f');
      const workflow = scheduledWorkflow(bucket);
      await withEmf(() => workflow(scheduledFor('2026-10-05')));
      const markerKey = 'results/2026-10-05/_batch.json';
      const marker = JSON.parse(await (await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: markerKey }))).Body!.transformToString('utf8'));
      const forged = { h: 'forged', i: [{ k: victim, e: 0 }], b: 'hforged', t: 1_000, c: '0' };
      marker.spend.holds = marker.spend.holds.map((h: { guard: string }) => ({ ...h, hold: JSON.stringify(forged) }));
      await s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: markerKey, Body: JSON.stringify(marker) }));

      await sim.completeBatchJobs();
      await withEmf(() => workflow({ collect: true, time: scheduledFor('2026-10-05').time } as never));

      expect(await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: victim } }, ConsistentRead: true }))).toMatchObject({ Item: { tokens: { N: '1000' }, hforgedt: { N: '1000' } } });
      // Reported, not silent: the forged hold is a settle failure in the day's manifest.
      const manifest = JSON.parse(await (await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: 'results/2026-10-05/_manifest.json' }))).Body!.transformToString('utf8'));
      expect(manifest).toMatchObject({ status: 'Completed', settleFailures: 1 });
    } finally {
      for (const name of ['BATCH_ROLE_ARN', 'BATCH_MODEL_ID', 'BATCH_MIN_RECORDS', 'BATCH_JOB_PREFIX']) delete process.env[name];
    }
  });
});

function printTable(): void {
  const usd = (atto: bigint) => (Number(atto) / 1e18).toFixed(9);
  const lines = [
    '| Scenario | Model calls | Statuses | Billed tokens | Ledger tokens | Billed USD | Ledger USD |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
    ...figures.map((f) => `| ${f.scenario} | ${f.modelCalls} | ${f.statuses || '—'} | ${f.billedTokens} | ${f.ledgerTokens} | ${usd(f.billedAtto)} | ${usd(f.ledgerAtto)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
