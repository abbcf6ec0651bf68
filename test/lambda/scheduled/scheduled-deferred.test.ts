import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeferredRecord, deferredRecordKey, deferredResultName, GuardsConfig } from '../../../shared/contract';
import { containerPipeline } from '../../../lambda/composition/pipeline-runtime';
import { storeReservation } from '../../../lambda/pipeline/spend';
import { HAIKU_45, withEmf } from '../../support/handler-env';
import { scheduledFor, useScheduledHarness } from '../../support/scheduled-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

/*
 * Deferred calls (the API's `deferred/<day>/<request id>.json`) in the scheduled run, end to end: the handler against
 * the local S3, the usage ledger in DynamoDB Local and the Bedrock simulator (runtime and batch control plane). A
 * deferred record runs as its tenant's request and is charged to that tenant's counters; an uploaded record runs as
 * the workflow's own tenant ('internal': the test tags carry no Customer), whatever its body claims.
 */

const INPUT_BUCKET = 'deferred-records';
const RESULTS_BUCKET = 'deferred-results';
const LEDGER_TABLE = 'deferred-usage-ledger';
const WORKFLOW_TENANT = 'internal';
// Claude Haiku 4.5 through a `us.` profile: $1.10 / $5.50 per million on demand, half in batch; in attodollars per
// token (1e18 per USD): 1.1e12 / 5.5e12, and 5.5e11 / 2.75e12.
const ON_DEMAND_ATTO = { input: 1_100_000_000_000n, output: 5_500_000_000_000n };
const BATCH_ATTO = { input: 550_000_000_000n, output: 2_750_000_000_000n };
const BATCH_MINIMUM = 3;
const BATCH_ENV = {
  BATCH_ROLE_ARN: 'arn:aws:iam::123456789012:role/nightly-batch', BATCH_MODEL_ID: `us.${HAIKU_45}`,
  BATCH_MIN_RECORDS: String(BATCH_MINIMUM), BATCH_JOB_PREFIX: 'deferred-nightly',
};

// Every tenant has 1,000 requests and $5 a month; tenants of tier 'broke' a millionth of a dollar, which no call fits.
// An agent run has $1 a day.
const GUARDS: GuardsConfig = {
  store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, tenantTiers: { 'key:broke': 'broke' },
  usageLimits: [{ scope: 'tenant', window: 'month', maxRequests: 1000, maxCostUsd: 5 }, { scope: 'tenant', window: 'month', maxCostUsd: 0.000001, tier: 'broke' },
    { scope: 'run', window: 'day', maxRequests: 1000, maxCostUsd: 1 }],
};

const h = useScheduledHarness({
  inputBucket: INPUT_BUCKET, resultsBucket: RESULTS_BUCKET, ledgerTable: LEDGER_TABLE,
  simulator: (s3Endpoint) => ({ batchCompletion: 'manual', batchS3Endpoint: s3Endpoint, batchMinimumRecords: BATCH_MINIMUM }),
  config: { retry: { baseDelayMs: 1, maxDelayMs: 1 }, guards: GUARDS },
  env: { GENAI_ACCEPTS_DEFERRED: 'true' },
});

/** A deferred call as the API writes it. */
function deferred(day: string, requestId: string, fields: Partial<DeferredRecord> & Pick<DeferredRecord, 'tenantId'>): Promise<unknown> {
  const record: DeferredRecord = {
    version: 1, requestId, userId: 'u1', feature: 'chat', message: `Question ${requestId}: how do I export my invoices?`,
    acceptedAt: `${day}T10:00:00Z`, degradedBy: 'tenant/month/costUsd', ...fields,
  };
  return h.putInput(deferredRecordKey(day, requestId), JSON.stringify(record));
}

/**
 * A deferred call as the API writes it since deferrals are reserved: its spend held on the tenant's ledger (path
 * `batch`, through the same spend port the API uses), the hold stored in the record.
 */
async function reservedDeferred(day: string, requestId: string, tenantId: string, estimate: { tokens: number; costUsd: number }): Promise<void> {
  const context = { requestId, tenantId, userId: 'u1', feature: 'chat', path: 'batch' as const, nowMs: Date.now() };
  const held = await containerPipeline().spend.reserve(context, { tokens: estimate.tokens, cacheReadTokens: 0, costAtto: BigInt(Math.round(estimate.costUsd * 1e6)) * 1_000_000_000_000n });
  await deferred(day, requestId, { tenantId, reservation: storeReservation(context, held) });
}

const uploaded = (day: string, name: string, text: string) => h.putInput(`records/${day}/${name}`, text);
const deferredResult = (day: string, requestId: string) => h.resultJson(`results/${day}/${deferredResultName(requestId)}.json`);

const run = (day: string) => withEmf(() => h.handler(scheduledFor(day)));

/** A tenant's ledger counters (every window), summed; or those of one of its runs. */
async function countersOf(tenant: string, scope: 'tenant' | 'run' = 'tenant', runId = ''): Promise<{ requests: number; tokens: number; costAtto: bigint }> {
  const { Items = [] } = await h.dynamo.client.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  const id = scope === 'run' ? `${encodeURIComponent(tenant)}/${encodeURIComponent(runId)}` : encodeURIComponent(tenant);
  const mine = Items.filter((i) => i.pk.S!.startsWith(`${scope}#${id}#`));
  return {
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
  };
}

/** What the simulator billed the tenant's Converse calls (by the tenant each call's request metadata names). */
function billedTo(tenant: string, prices = ON_DEMAND_ATTO): { requests: number; tokens: number; costAtto: bigint } {
  const calls = h.sim.calls.filter((c) => c.operation === 'Converse' && c.status === 200 && c.requestMetadata?.tenantId === tenant);
  return {
    requests: calls.length,
    tokens: calls.reduce((s, c) => s + c.usage!.inputTokens + c.usage!.outputTokens + c.usage!.cacheWriteInputTokens, 0),
    costAtto: calls.reduce((s, c) => s + BigInt(c.usage!.inputTokens) * prices.input + BigInt(c.usage!.outputTokens) * prices.output, 0n),
  };
}

const converseCalls = () => h.sim.calls.filter((c) => c.operation === 'Converse');

describe('scheduled run: deferred calls on an on-demand day', () => {
  test('each deferred record is charged to its own tenant, and the uploaded records to the workflow\'s', async () => {
    const day = '2026-10-01';
    await uploaded(day, 'ticket-1.txt', 'Order 1 arrived broken; the customer wants a refund.');
    await uploaded(day, 'ticket-2.txt', 'Customer asks whether the warranty covers water damage.');
    await deferred(day, 'req-alpha-1', { tenantId: 'key:alpha', userId: 'alice', runId: 'run-7' });
    await deferred(day, 'req-beta-1', { tenantId: 'key:beta', userId: 'bob' });

    const { result, emf } = await run(day);

    expect(converseCalls()).toHaveLength(4);
    for (const tenant of ['key:alpha', 'key:beta', WORKFLOW_TENANT]) {
      expect(await countersOf(tenant)).toEqual(billedTo(tenant));
    }
    expect(billedTo('key:alpha').requests).toBe(1);
    expect(billedTo('key:beta').requests).toBe(1);
    expect(billedTo(WORKFLOW_TENANT).requests).toBe(2);
    // Each result names its request and tenant; the EMF record carries the identity the call ran as.
    const alpha = await deferredResult(day, 'req-alpha-1');
    expect(alpha).toMatchObject({ source: `deferred/${day}/req-alpha-1.json`, status: 'processed', requestId: 'req-alpha-1', tenantId: 'key:alpha' });
    expect(alpha.answer.length).toBeGreaterThan(0);
    expect(emf.find((r) => r.tenantId === 'key:alpha')).toMatchObject({ userId: 'alice', Feature: 'chat' });
    // Its run's budget counted it too, under its tenant.
    expect(await countersOf('key:alpha', 'run', 'run-7')).toEqual(billedTo('key:alpha'));
    expect(result).toMatchObject({
      mode: 'on-demand', records: 4, processed: 4, rejected: 0,
      deferred: { records: 2, processed: 2, rejected: 0, alreadyDone: 0, costUsd: alpha.cost.totalUsd + (await deferredResult(day, 'req-beta-1')).cost.totalUsd },
    });
    expect(await h.resultKeys(`results/${day}/`)).toEqual([
      `results/${day}/_manifest.json`, `results/${day}/deferred-req-alpha-1.json`, `results/${day}/deferred-req-beta-1.json`,
      `results/${day}/ticket-1.txt.json`, `results/${day}/ticket-2.txt.json`,
    ]);
  });

  test('a deferred record runs with its system prompt, context, history and output cap', async () => {
    const day = '2026-10-02';
    const message = 'How do I change the e-mail address on my account?';
    await deferred(day, 'req-plain', { tenantId: 'key:gamma', message });
    await deferred(day, 'req-shaped', { tenantId: 'key:gamma', message, systemPrompt: 'You are a billing assistant. '.repeat(20), maxTokens: 3 });
    await deferred(day, 'req-context', { tenantId: 'key:gamma', message, context: 'Accounts are managed under Settings. '.repeat(20) });
    await deferred(day, 'req-history', {
      tenantId: 'key:gamma', message, history: [{ role: 'user', content: 'I moved to a new company. '.repeat(20) }, { role: 'assistant', content: 'Congratulations.' }],
    });

    await run(day);

    const [plain, shaped, context, history] = await Promise.all(['req-plain', 'req-shaped', 'req-context', 'req-history'].map((id) => deferredResult(day, id)));
    expect(shaped.usage.outputTokens).toBe(3);
    expect(plain.usage.outputTokens).toBeGreaterThan(3);
    // Twenty repetitions of a five-word sentence: at least 100 more input tokens than the message alone.
    for (const longer of [shaped, context, history]) expect(longer.usage.inputTokens - plain.usage.inputTokens).toBeGreaterThanOrEqual(100);
  });

  test('a deferred record whose tenant is over its limit gets a rejected result with the 429\'s reason, and nothing is charged', async () => {
    const day = '2026-10-03';
    await deferred(day, 'req-broke', { tenantId: 'key:broke' });
    await deferred(day, 'req-delta', { tenantId: 'key:delta' });

    const { result } = await run(day);

    const broke = await deferredResult(day, 'req-broke');
    expect(broke).toMatchObject({ status: 'rejected', requestId: 'req-broke', tenantId: 'key:broke', code: 'USAGE_LIMIT_EXCEEDED' });
    expect(broke.reason).toMatch(/The tenant limit of 0.000001 USD per month is reached/);
    expect(converseCalls().map((c) => c.requestMetadata?.tenantId)).toEqual(['key:delta']);
    expect(await countersOf('key:broke')).toEqual({ requests: 0, tokens: 0, costAtto: 0n });
    expect(await countersOf('key:delta')).toEqual(billedTo('key:delta'));
    expect(result).toMatchObject({ processed: 1, rejected: 1, deferred: { records: 2, processed: 1, rejected: 1 } });
  });

  test('a rerun of the day charges nothing twice', async () => {
    const day = '2026-10-04';
    await uploaded(day, 'ticket-9.txt', 'Customer reports a duplicate charge on the last invoice.');
    await deferred(day, 'req-epsilon', { tenantId: 'key:epsilon' });
    await run(day);
    const first = { epsilon: await countersOf('key:epsilon'), calls: converseCalls().length };
    const workflowBefore = await countersOf(WORKFLOW_TENANT);

    const { result } = await run(day);

    expect(converseCalls()).toHaveLength(first.calls);
    expect(await countersOf('key:epsilon')).toEqual(first.epsilon);
    expect(await countersOf(WORKFLOW_TENANT)).toEqual(workflowBefore);
    expect(result).toMatchObject({ processed: 0, alreadyDone: 2, deferred: { records: 1, processed: 0, alreadyDone: 1 } });
  });

  test('Bedrock\'s throttling is no answer for a deferred record: the run fails, nothing is charged, and the retry runs it once', async () => {
    const day = '2026-10-07';
    await deferred(day, 'req-kappa', { tenantId: 'key:kappa' });
    h.sim.injectFaults('throttle', 10);

    const failure = await run(day).then(() => undefined, (error: unknown) => error);

    expect(failure).toMatchObject({ status: 429, code: 'MODEL_THROTTLED' });
    expect(await deferredResult(day, 'req-kappa')).toMatchObject({ status: 'not-started', code: 'MODEL_THROTTLED' });
    // The attempt counts as a request (a rate limit counts attempts); no token or cent of it stays counted.
    expect(await countersOf('key:kappa')).toMatchObject({ tokens: 0, costAtto: 0n });

    h.sim.reset();
    const { result } = await run(day);
    expect(result).toMatchObject({ deferred: { records: 1, processed: 1 } });
    expect(await deferredResult(day, 'req-kappa')).toMatchObject({ status: 'processed', tenantId: 'key:kappa' });
    const { tokens, costAtto } = billedTo('key:kappa');
    expect(await countersOf('key:kappa')).toMatchObject({ tokens, costAtto });
    expect(billedTo('key:kappa').requests).toBe(1);
  });

  test('a reserved deferred record keeps its hold through a throttled run; the retry settles it to what was billed, once', async () => {
    const day = '2026-10-08';
    await reservedDeferred(day, 'req-lambda', 'key:lambda', { tokens: 5000, costUsd: 0.01 });
    const held = { tokens: 5000, costAtto: 10_000_000_000_000_000n };
    expect(await countersOf('key:lambda')).toMatchObject(held);
    h.sim.injectFaults('throttle', 10);

    await expect(run(day)).rejects.toMatchObject({ status: 429, code: 'MODEL_THROTTLED' });
    // Nothing was billed, and the promise stands: the hold is kept for the retry (not given back, not charged).
    expect(await countersOf('key:lambda')).toMatchObject(held);

    h.sim.reset();
    const { result } = await run(day);
    expect(result).toMatchObject({ deferred: { records: 1, processed: 1 } });
    const { tokens, costAtto } = billedTo('key:lambda');
    expect(billedTo('key:lambda').requests).toBe(1);
    // Settled on the stored hold, not reserved again: the counters hold what was billed and nothing of the bound.
    expect(await countersOf('key:lambda')).toMatchObject({ tokens, costAtto });

    await run(day);
    expect(converseCalls()).toHaveLength(1);
    expect(await countersOf('key:lambda')).toMatchObject({ tokens, costAtto });
  });

  test('a malformed deferred record is rejected with a clear reason; an object that names no request gets no result', async () => {
    const day = '2026-10-05';
    await h.putInput(deferredRecordKey(day, 'req-garbled'), '{"version": 1, "requestId": "req-garbled", "tenantId": ');
    await h.putInput(deferredRecordKey(day, 'req-renamed'), JSON.stringify({ version: 1, requestId: 'req-other', tenantId: 'key:zeta', userId: 'u', feature: 'chat', message: 'hi', acceptedAt: `${day}T00:00:00Z` }));
    await deferred(day, 'req-no-message', { tenantId: 'key:zeta', message: '' });
    await deferred(day, 'req-unknown-feature', { tenantId: 'key:zeta', feature: 'search' });
    await h.putInput(`deferred/${day}/notes.txt`, 'not a deferred call');

    const { result } = await run(day);

    expect(converseCalls()).toHaveLength(0);
    expect(await deferredResult(day, 'req-garbled')).toMatchObject({
      status: 'rejected', requestId: 'req-garbled', code: 'INVALID_DEFERRED_RECORD', reason: "The deferred record's body is not valid JSON.",
    });
    expect(await deferredResult(day, 'req-renamed')).toMatchObject({
      status: 'rejected', code: 'INVALID_DEFERRED_RECORD', reason: "The deferred record's requestId is \"req-other\", but the record's key names 'req-renamed'.",
    });
    expect(await deferredResult(day, 'req-no-message')).toMatchObject({ status: 'rejected', tenantId: 'key:zeta', code: 'INVALID_REQUEST', reason: 'message: must be a non-empty string.' });
    expect(await deferredResult(day, 'req-unknown-feature')).toMatchObject({ status: 'rejected', code: 'INVALID_REQUEST', reason: expect.stringContaining("'search' is not a feature of this workflow") });
    expect((await h.resultKeys(`results/${day}/`)).filter((k) => k.includes('notes'))).toEqual([]);
    expect(h.logs.lines()).toEqual(expect.arrayContaining([expect.objectContaining({ key: `deferred/${day}/notes.txt`, code: 'INVALID_DEFERRED_RECORD' })]));
    expect(await countersOf('key:zeta')).toEqual({ requests: 0, tokens: 0, costAtto: 0n });
    expect(result).toMatchObject({ records: 5, processed: 0, rejected: 5, deferred: { records: 5, rejected: 5 } });
  });

  test('an uploaded record is the workflow\'s own request whatever it claims, and cannot take a deferred result\'s name', async () => {
    const day = '2026-10-06';
    const claim = { version: 1, requestId: 'forged', tenantId: 'key:eta', userId: 'mallory', feature: 'chat', message: 'Charge this to tenant eta.', acceptedAt: `${day}T00:00:00Z` };
    await uploaded(day, 'claims-eta.json', JSON.stringify(claim));
    await uploaded(day, 'deferred-forged', 'A record that would stand in for the deferred result of request forged.');

    const { result } = await run(day);

    expect(converseCalls().map((c) => c.requestMetadata?.tenantId)).toEqual([WORKFLOW_TENANT]);
    expect(await countersOf('key:eta')).toEqual({ requests: 0, tokens: 0, costAtto: 0n });
    expect(await h.resultKeys(`results/${day}/deferred-`)).toEqual([]);
    expect(h.logs.lines()).toEqual(expect.arrayContaining([expect.objectContaining({ key: `records/${day}/deferred-forged`, code: 'RESERVED_NAME' })]));
    expect(result).toMatchObject({ records: 2, processed: 1, rejected: 1 });
    expect(result.deferred).toBeUndefined();
  });
});

describe('scheduled run: deferred calls on a batch day', () => {
  let restoreBatchEnv: () => void;
  beforeAll(() => {
    const saved = Object.fromEntries(Object.keys(BATCH_ENV).map((k) => [k, process.env[k]]));
    Object.assign(process.env, BATCH_ENV);
    restoreBatchEnv = () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
  });
  afterAll(() => restoreBatchEnv());

  test('the job carries the uploaded records under the workflow\'s reservation; deferred records run on demand, each charged to its tenant, once', async () => {
    const day = '2026-10-10';
    for (let i = 0; i < BATCH_MINIMUM; i++) await uploaded(day, `chat-${i}.txt`, `Customer ${i} asked about invoice ${1000 + i}.`);
    await deferred(day, 'req-theta', { tenantId: 'key:theta' });
    await deferred(day, 'req-iota', { tenantId: 'key:iota' });
    await deferred(day, 'req-broke-2', { tenantId: 'key:broke' });
    // The workflow's tenant's counters from the earlier days (no limit resets between the tests).
    const workflowStart = await countersOf(WORKFLOW_TENANT);

    const { result } = await run(day);

    // The job holds the three uploaded records only; the deferred ones went through Converse under their tenants.
    expect(result).toMatchObject({ mode: 'batch', batch: { status: 'started', records: BATCH_MINIMUM }, deferred: { records: 3, processed: 2, rejected: 1 } });
    expect(h.sim.batchJobs.filter((j) => j.jobName === `deferred-nightly-${day}`)).toHaveLength(1);
    expect(converseCalls().map((c) => c.requestMetadata?.tenantId).sort()).toEqual(['key:iota', 'key:theta']);
    expect(await countersOf('key:theta')).toEqual(billedTo('key:theta'));
    expect(await countersOf('key:iota')).toEqual(billedTo('key:iota'));
    expect(await countersOf('key:broke')).toEqual({ requests: 0, tokens: 0, costAtto: 0n });
    expect(await deferredResult(day, 'req-broke-2')).toMatchObject({ status: 'rejected', code: 'USAGE_LIMIT_EXCEEDED' });

    // A retry of the run (Lambda's) finds the job started and the deferred results written: nothing runs or counts again.
    const workflowBefore = await countersOf(WORKFLOW_TENANT);
    const again = await run(day);
    expect(again.result).toMatchObject({ mode: 'batch', batch: { status: 'already-started' }, deferred: { records: 3, processed: 0, alreadyDone: 3, rejected: 0 } });
    expect(converseCalls()).toHaveLength(2);
    expect(await countersOf('key:theta')).toEqual(billedTo('key:theta'));
    expect(await countersOf(WORKFLOW_TENANT)).toEqual(workflowBefore);

    // Collected, the job's reservation is settled to the workflow's tenant at the batch price: its records' usage, exactly.
    await h.sim.completeBatchJobs();
    await withEmf(() => h.handler({ collect: true, time: scheduledFor(day).time } as never));
    const batchResults = await Promise.all(Array.from({ length: BATCH_MINIMUM }, (_, i) => h.resultJson(`results/${day}/chat-${i}.txt.json`)));
    expect(batchResults.every((r) => r.status === 'processed' && r.mode === 'batch')).toBe(true);
    const workflowAfter = await countersOf(WORKFLOW_TENANT);
    expect(workflowAfter.requests - workflowStart.requests).toBe(1);
    expect(workflowAfter.tokens - workflowStart.tokens).toBe(batchResults.reduce((s, r) => s + r.usage.inputTokens + r.usage.outputTokens, 0));
    expect(workflowAfter.costAtto - workflowStart.costAtto).toBe(batchResults.reduce((s, r) => s + BigInt(r.usage.inputTokens) * BATCH_ATTO.input + BigInt(r.usage.outputTokens) * BATCH_ATTO.output, 0n));
    expect(await countersOf('key:theta')).toEqual(billedTo('key:theta'));
  });
});
