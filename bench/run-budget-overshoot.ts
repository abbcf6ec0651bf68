import { performance } from 'node:perf_hooks';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { UsageLimitConfig } from '../shared/contract';
import { DynamoDbLedgerGuard, NO_SPEND, SpendAmount, SpendContext } from '../lambda/pipeline/guards';
import { localClientConfig, startDynamoDbLocal } from '../packages/local/src/services';
import { createLedgerTable } from '../packages/local/src/services/ledger-table';
import { round } from './stats';

/** Which of a run's three limits the burst runs into; the other two are set out of reach. */
type Binding = 'requests' | 'tokens' | 'usd';

const TENANT = 'iam:bench';
const ROOT_RUN = 'agent-1';
/** A quarter of the calls come from sub-agents: child runs of the root, each call counted on the child and the root. */
const CHILD_RUNS = ['agent-1.planner', 'agent-1.search', 'agent-1.writer', 'agent-1.critic'];
// Each reservation: 250 tokens and $0.0015 at most, as a short Converse call's upper bound; billed less.
const RESERVE: SpendAmount = { tokens: 250, cacheReadTokens: 0, costAtto: 15n * 10n ** 14n };
const billed = (i: number): SpendAmount => ({ tokens: 120 + (i % 31), cacheReadTokens: i % 5, costAtto: (700n + BigInt(i % 13)) * 10n ** 12n });
// Each scenario lets about 150 of the 1,000 calls through on its binding measure.
const LIMITS: Record<Binding, { maxRequests: number; maxTokens: number; maxCostUsd: number }> = {
  requests: { maxRequests: 150, maxTokens: 10_000_000, maxCostUsd: 1_000 },
  tokens: { maxRequests: 1_000_000, maxTokens: 150 * 250, maxCostUsd: 1_000 },
  usd: { maxRequests: 1_000_000, maxTokens: 10_000_000, maxCostUsd: 150 * 0.0015 },
};

/**
 * Issue 17's agent-run budget under a burst: `requests` calls of one run fired at once through the real ledger on
 * DynamoDB Local, a quarter of them from child runs (each reserving on the child and on the root), against a run
 * limit of N calls, T tokens and $U; once for each of the three measures binding. Every admitted call is then
 * settled to what it was billed. Overshoot is what the root run's settled counters hold beyond its limit (calls
 * admitted beyond N, tokens or USD settled beyond T or $U): it must be 0 in every scenario, and the counters must
 * equal the sum billed over the admitted calls (nothing lost, nothing doubled).
 */
export async function measureRunBudgetOvershoot(requests = 1000) {
  const dynamo = await startDynamoDbLocal({ steadyState: true });
  const client = new DynamoDBClient({ ...localClientConfig(dynamo.endpoint) });
  try {
    const scenarios: Record<string, Awaited<ReturnType<typeof burst>>> = {};
    for (const binding of Object.keys(LIMITS) as Binding[]) {
      const table = `bench-run-budget-${binding}`;
      await createLedgerTable(client, table);
      scenarios[binding] = await burst(client, table, binding, requests);
    }
    const all = Object.values(scenarios);
    return {
      requests,
      childRunShare: 0.25,
      // The figure: 0 in every scenario (each measure of the root run and of every child run).
      overshoot: Math.max(...all.map((s) => s.overshoot)),
      settledEqualsBilled: all.every((s) => s.settledEqualsBilled),
      scenarios,
    };
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

async function burst(client: DynamoDBClient, tableName: string, binding: Binding, requests: number) {
  const limits = LIMITS[binding];
  const limit: UsageLimitConfig = { scope: 'run', window: 'day', ...limits };
  // DynamoDB Local serializes one item's updates slowly: the burst gets more time than a Lambda's 1.5 s, and so do the
  // withdrawals of a refused call's increments on its other runs (with the default 5 s, those not confirmed in time
  // are left to the hold's expiry sweep: never an overshoot, but a child run's counters would then hold them a while).
  const guard = new DynamoDbLedgerGuard({ client, tableName, timeoutMs: 120_000, confirmTimeoutMs: 120_000, guards: { usageLimits: [limit] } });
  const nowMs = Date.now();
  const runOf = (i: number) => (i % 4 === 3 ? { runId: CHILD_RUNS[(i >> 2) % CHILD_RUNS.length], parentRunId: ROOT_RUN } : { runId: ROOT_RUN });
  const ctx = (i: number): SpendContext => ({ requestId: `r${i}`, tenantId: TENANT, userId: 'agent', feature: 'chat', path: 'converse', nowMs, ...runOf(i) });

  // An agent starts its sub-agents before their calls race: each child run's link to the root is written by its first
  // reservation (here one of nothing, which counts nothing), so the burst's child calls are not a round behind.
  for (const runId of CHILD_RUNS) {
    const first: SpendContext = { ...ctx(0), requestId: `start-${runId}`, runId, parentRunId: ROOT_RUN };
    await guard.settle(first, await guard.reserve(first, NO_SPEND), NO_SPEND, NO_SPEND, `start-${runId}`);
  }

  const start = performance.now();
  // `admits`: the request is counted in the same write as its tokens and USD, as the pipeline reserves on a miss.
  const outcomes = await Promise.allSettled(Array.from({ length: requests }, (_, i) => guard.reserve(ctx(i), RESERVE, true)));
  const reserveMs = performance.now() - start;
  const admitted = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ i, hold: o.value }] : []));
  const failedOtherwise = outcomes.filter((o) => o.status === 'rejected' && (o.reason as { status?: number }).status !== 429);
  await Promise.all(admitted.map(({ i, hold }) => guard.settle(ctx(i), hold, RESERVE, billed(i), `converse:r${i}`)));

  const counters = await runCounters(client, tableName);
  const root = counters.get(ROOT_RUN) ?? ZERO;
  const expected = (which: (i: number) => boolean) => admitted.filter(({ i }) => which(i))
    .reduce((s, { i }) => ({ requests: s.requests + 1, tokens: s.tokens + billed(i).tokens, costAtto: s.costAtto + billed(i).costAtto }), ZERO);
  const settledEqualsBilled = same(root, expected(() => true))
    && CHILD_RUNS.every((run) => same(counters.get(run) ?? ZERO, expected((i) => runOf(i).runId === run)));
  const limitAtto = BigInt(Math.round(limits.maxCostUsd * 1e6)) * 10n ** 12n;
  // Every run's counters against the limit (the root carries its children's calls, so it binds first).
  const overshoots = [...counters.values()].map((c) => Math.max(0,
    (c.requests - limits.maxRequests) / limits.maxRequests,
    (c.tokens - limits.maxTokens) / limits.maxTokens,
    Number(c.costAtto - limitAtto) / Number(limitAtto)));
  return {
    limit: { calls: limits.maxRequests, tokens: limits.maxTokens, usd: limits.maxCostUsd },
    admitted: admitted.length,
    admittedFromChildRuns: admitted.filter(({ i }) => runOf(i).parentRunId !== undefined).length,
    refusedWith429: requests - admitted.length - failedOtherwise.length,
    failedOtherwise: failedOtherwise.length,
    // What the binding measure lets through at most: the burst's admitted share of it (spurious refusals between a
    // refusal and its compensation keep it under 1).
    maxAdmissible: Math.min(limits.maxRequests, Math.floor(limits.maxTokens / RESERVE.tokens), Number(limitAtto / RESERVE.costAtto)),
    settled: { calls: root.requests, tokens: root.tokens, usd: Number(root.costAtto) / 1e18 },
    // The largest excess over a limit, as a fraction of it, over every run's counters and measures.
    overshoot: Math.max(...overshoots),
    settledEqualsBilled,
    reserveBurstMs: round(reserveMs),
  };
}

interface Counters { readonly requests: number; readonly tokens: number; readonly costAtto: bigint }
const ZERO: Counters = { requests: 0, tokens: 0, costAtto: 0n };
const same = (a: Counters, b: Counters) => a.requests === b.requests && a.tokens === b.tokens && a.costAtto === b.costAtto;

/** Each run's counters (`run#<tenant>/<run>#<window>[#<shard>]`), summed over windows and shards. */
async function runCounters(client: DynamoDBClient, tableName: string): Promise<Map<string, Counters>> {
  const byRun = new Map<string, Counters>();
  let ExclusiveStartKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      const match = /^run#([^/]+)\/([^#]+)#/.exec(item.pk.S ?? '');
      if (!match || decodeURIComponent(match[1]) !== TENANT) continue;
      const run = decodeURIComponent(match[2]);
      const c = byRun.get(run) ?? ZERO;
      byRun.set(run, {
        requests: c.requests + Number(item.requests?.N ?? 0),
        tokens: c.tokens + Number(item.tokens?.N ?? 0),
        costAtto: c.costAtto + BigInt(item.costAtto?.N ?? '0'),
      });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return byRun;
}
