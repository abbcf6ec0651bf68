import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { GuardsConfig } from '../../../shared/contract';
import { handler } from '../../../lambda/api/handler';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { event, pipelineConfigJson, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

const LEDGER_TABLE = 'run-budgets-usage-ledger';

let requestCounter = 0;
const h = useApiHarness({ ledgerTables: [LEDGER_TABLE] });

// These tests are about run budgets, not the ledger's timeout: the deployed 1.5 s would fall back to the container
// guard on a slow DynamoDB Local (cold JVM, loaded CI machine).
function useLedger(usageLimits: GuardsConfig['usageLimits'], ledgerTimeoutMs = SLOW_MACHINE_TIMEOUT_MS): void {
  process.env.GENAI_PIPELINE_CONFIG = pipelineConfigJson({
    retry: { maxAttempts: 2, attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 1 },
    guards: { store: 'dynamodb', ledgerTableName: LEDGER_TABLE, usageLimits, ledgerTimeoutMs },
  });
  resetContainer();
}

/** A request through IAM (the body names the tenant, `iam:<tenantId>`), or with an API key (the key is the tenant). */
function apiEvent(body: Record<string, unknown>, apiKeyId?: string): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  const identity = apiKeyId ? { ...base.requestContext.identity, apiKeyId, user: null, caller: null } : base.requestContext.identity;
  return {
    ...base, body: JSON.stringify(body),
    requestContext: { ...base.requestContext, identity, requestId: `run-${String(requestCounter).padStart(8, '0')}` } as APIGatewayProxyEvent['requestContext'],
  };
}

async function invoke(e: APIGatewayProxyEvent): Promise<{ response: APIGatewayProxyResult; body: any }> {
  const { result } = await withEmf(() => handler(e));
  return { response: result, body: JSON.parse(result.body) };
}

/** A run's counters in the ledger (its key names the tenant and the run), summed over windows. */
async function runCounters(tenantId: string, runId: string): Promise<{ requests: number; tokens: number; costAtto: bigint; items: number }> {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  const prefix = `run#${encodeURIComponent(tenantId)}/${encodeURIComponent(runId)}#`;
  const mine = Items.filter((i) => i.pk.S!.startsWith(prefix));
  return {
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
    items: mine.length,
  };
}

function usdLeft(response: APIGatewayProxyResult): number {
  return Number(response.headers!['x-genai-run-remaining-usd']);
}

function billedTokens(): number {
  return h.sim.calls.filter((c) => c.operation !== 'CountTokens').reduce((s, c) => s + (c.usage?.inputTokens ?? 0) + (c.usage?.outputTokens ?? 0), 0);
}

describe('agent-run budgets through the API handler, in DynamoDB Local', () => {
  test('a run limit refuses the call over it with 429 and the run\'s figures; every answer carries the run\'s remaining budget', async () => {
    useLedger([{ scope: 'run', window: 'month', maxRequests: 2, maxCostUsd: 5 }]);
    const ask = (runId: string) => invoke(apiEvent({ message: 'Summarise ticket 4711 for me.', tenantId: 'run-limit', runId }));

    const first = await ask('task-1');
    const second = await ask('task-1');
    const third = await ask('task-1');

    expect([first.response.statusCode, second.response.statusCode]).toEqual([200, 200]);
    expect(first.response.headers).toMatchObject({ 'x-genai-run-id': 'task-1', 'x-genai-run-remaining-requests': '1' });
    expect(second.response.headers).toMatchObject({ 'x-genai-run-remaining-requests': '0' });
    // The body carries the ledger's exact dollars; the header shows them rounded to the micro-dollar
    expect(first.body.limits.run).toEqual({ runId: 'task-1', requests: 1, costUsd: expect.closeTo(usdLeft(first.response), 6) });
    expect(first.response.headers?.['x-genai-run-remaining-usd']).toMatch(/^\d+(\.\d{1,6})?$/);
    const usd = usdLeft(first.response);
    expect(usd).toBeGreaterThan(0);
    expect(usd).toBeLessThan(5);
    expect(third.response.statusCode).toBe(429);
    expect(third.body).toMatchObject({ error: 'USAGE_LIMIT_EXCEEDED', details: { scope: 'run', runId: 'task-1', measure: 'requests', used: 2, limit: 2 } });
    expect(third.body.message).toContain('task-1');
    expect(third.response.headers).toMatchObject({ 'x-genai-run-id': 'task-1', 'x-genai-run-remaining-requests': '0', 'retry-after': expect.any(String) });
    // Another run of the same tenant has its own budget; a call naming no run is not counted on any run.
    expect((await ask('task-2')).response.statusCode).toBe(200);
    const plain = await invoke(apiEvent({ message: 'Summarise ticket 4711 for me.', tenantId: 'run-limit' }));
    expect(plain.response.statusCode).toBe(200);
    expect(plain.response.headers!['x-genai-run-id']).toBeUndefined();
    expect(await runCounters('iam:run-limit', 'task-1')).toMatchObject({ requests: 2 });
  });

  // DynamoDB Local serializes one item's updates: the ledger gets 30 s so that this test is about the limit only.
  test('50 parallel calls of one run never overshoot: the run\'s counters equal what Bedrock billed', async () => {
    const limit = 12_000;
    useLedger([{ scope: 'run', window: 'month', maxTokens: limit }], 30_000);

    const { result } = await withEmf(() => Promise.all(Array.from({ length: 50 }, (_, i) =>
      handler(apiEvent({ message: `Step ${i}: which refund rule applies to order ${1000 + i}?`, tenantId: 'run-race', runId: 'agent-race' })))));

    const answered = result.filter((r) => r.statusCode === 200).length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(50);
    expect(result.every((r) => r.statusCode === 200 || r.statusCode === 429)).toBe(true);
    const run = await runCounters('iam:run-race', 'agent-race');
    expect(run.tokens).toBe(billedTokens());
    expect(run.tokens).toBeLessThanOrEqual(limit);
  });

  test('a child run\'s calls count on its parent and grandparent; the parent\'s budget stops the child', async () => {
    useLedger([{ scope: 'run', window: 'month', maxRequests: 3 }]);
    const ask = (runId: string, parentRunId?: string) => invoke(apiEvent({ message: 'Look up the warranty terms.', tenantId: 'run-tree', runId, ...(parentRunId ? { parentRunId } : {}) }));

    expect((await ask('root')).response.statusCode).toBe(200);
    expect((await ask('child', 'root')).response.statusCode).toBe(200);
    // The link is kept: later calls of the child need not name the parent, and still count on it.
    const grandchild = await ask('grandchild', 'child');
    expect(grandchild.response.statusCode).toBe(200);
    // The least left on the chain: the root has 0 of 3 left after three calls.
    expect(grandchild.response.headers).toMatchObject({ 'x-genai-run-remaining-requests': '0' });
    const refused = await ask('child');

    expect(refused.response.statusCode).toBe(429);
    expect(refused.body.details).toMatchObject({ scope: 'run', runId: 'root', measure: 'requests', used: 3, limit: 3 });
    expect(await runCounters('iam:run-tree', 'root')).toMatchObject({ requests: 3 });
    expect(await runCounters('iam:run-tree', 'child')).toMatchObject({ requests: 2 });
    expect(await runCounters('iam:run-tree', 'grandchild')).toMatchObject({ requests: 1 });
  });

  test('a run\'s parent cannot change once recorded (409), and a chain deeper than 8 runs is refused (400)', async () => {
    useLedger([{ scope: 'run', window: 'day', maxRequests: 100 }]);
    const ask = (runId: string, parentRunId?: string) => invoke(apiEvent({ message: 'Plan the next step.', tenantId: 'run-links', runId, ...(parentRunId ? { parentRunId } : {}) }));

    expect((await ask('planner-b')).response.statusCode).toBe(200);
    expect((await ask('sub', 'planner-a')).response.statusCode).toBe(200);
    const moved = await ask('sub', 'planner-b');
    expect(moved.response.statusCode).toBe(409);
    expect(moved.body).toMatchObject({ error: 'RUN_PARENT_CONFLICT', details: { runId: 'sub', parentRunId: 'planner-b', recordedParentRunId: 'planner-a' } });
    // A run first seen as a root stays one (nor can a chain loop back on itself).
    const looped = await ask('planner-b', 'sub');
    expect(looped.response.statusCode).toBe(409);
    expect(looped.body.details).toMatchObject({ recordedParentRunId: null });
    expect(await runCounters('iam:run-links', 'planner-b')).toMatchObject({ requests: 1 });
    expect(await runCounters('iam:run-links', 'planner-a')).toMatchObject({ requests: 1 });

    for (let depth = 1; depth < 8; depth++) expect((await ask(`d${depth}`, depth === 1 ? 'd0' : `d${depth - 1}`)).response.statusCode).toBe(200);
    const deep = await ask('d8', 'd7');
    expect(deep.response.statusCode).toBe(400);
    expect(deep.body.message).toMatch(/parentRunId: .*9 runs deep; at most 8/);
    expect(await runCounters('iam:run-links', 'd0')).toMatchObject({ requests: 7 });
  });

  test('a run id reused below its own descendant after its link expired is refused (400), not counted twice', async () => {
    useLedger([{ scope: 'run', window: 'month', maxRequests: 100 }]);
    const ask = (runId: string, parentRunId?: string) => invoke(apiEvent({ message: 'Next step?', tenantId: 'run-loop', runId, ...(parentRunId ? { parentRunId } : {}) }));
    expect((await ask('outer', 'top')).response.statusCode).toBe(200);
    // TTL removed the top run's link (the child's outlives it); a new container has no cached link either.
    await h.ddb.send(new DeleteItemCommand({ TableName: LEDGER_TABLE, Key: { pk: { S: `runlink#${encodeURIComponent('iam:run-loop')}#top` } } }));
    resetContainer();

    const looped = await ask('top', 'outer');

    expect(looped.response.statusCode).toBe(400);
    expect(looped.body.message).toMatch(/parentRunId: makes run "top" its own ancestor/);
    expect(await runCounters('iam:run-loop', 'top')).toMatchObject({ requests: 1 });
  });

  test('another tenant naming the same run id neither spends nor sees the first tenant\'s run', async () => {
    useLedger([{ scope: 'run', window: 'month', maxRequests: 1 }]);

    const a = await invoke(apiEvent({ message: 'Draft a reply to the customer.', runId: 'shared-run' }, 'key-tenant-a'));
    const b = await invoke(apiEvent({ message: 'Draft a reply to the customer.', runId: 'shared-run' }, 'key-tenant-b'));
    const bAgain = await invoke(apiEvent({ message: 'Draft a reply to the customer.', runId: 'shared-run' }, 'key-tenant-b'));

    expect([a.response.statusCode, b.response.statusCode]).toEqual([200, 200]);
    // Tenant B's own run starts full: nothing of tenant A's shows.
    expect(b.response.headers).toMatchObject({ 'x-genai-run-remaining-requests': '0' });
    expect(bAgain.response.statusCode).toBe(429);
    expect(await runCounters('key:key-tenant-a', 'shared-run')).toMatchObject({ requests: 1, items: 1 });
    expect(await runCounters('key:key-tenant-b', 'shared-run')).toMatchObject({ requests: 1, items: 1 });
  });

  test.each([
    [{ runId: 'has spaces' }, 'runId'],
    [{ runId: 'x'.repeat(129) }, 'runId'],
    [{ runId: 42 }, 'runId'],
    [{ runId: 'r1', parentRunId: 'bad/parent' }, 'parentRunId'],
    [{ parentRunId: 'orphan' }, 'parentRunId'],
    [{ runId: 'self', parentRunId: 'self' }, 'parentRunId'],
  ])('bad run fields %j are a 400 naming %s, and nothing is counted', async (fields, field) => {
    useLedger([{ scope: 'run', window: 'month', maxRequests: 10 }]);

    const { response, body } = await invoke(apiEvent({ message: 'Hello?', tenantId: 'run-bad', ...fields }));

    expect(response.statusCode).toBe(400);
    expect(body).toMatchObject({ error: 'INVALID_REQUEST', details: { field } });
    expect(h.sim.calls).toHaveLength(0);
  });
});
