import { performance } from 'node:perf_hooks';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbLedgerGuard, SpendAmount } from '../lambda/pipeline/guards';
import { localClientConfig, startDynamoDbLocal } from '../packages/local/src/services';
import { createLedgerTable } from '../packages/local/src/services/ledger-table';
import { round } from './stats';

/**
 * The usage ledger under a burst: `requests` reservations at once from one user of one tenant against a token
 * limit (user, hour) and a USD limit (tenant, month), on DynamoDB Local. What was admitted never exceeds either
 * limit; every admitted reservation is then settled, and the counters must equal the sum of what was billed.
 */
export async function measureLedgerConcurrency(requests = 1000) {
  const dynamo = await startDynamoDbLocal({ steadyState: true });
  const client = new DynamoDBClient({ ...localClientConfig(dynamo.endpoint) });
  try {
    const table = 'bench-ledger';
    await createLedgerTable(client, table);
    const limitTokens = 100_000;
    const limitUsd = 0.5;
    // DynamoDB Local serializes one item's updates slowly: the burst gets more time than a Lambda's 1.5 s.
    const guard = new DynamoDbLedgerGuard({
      client, tableName: table, timeoutMs: 120_000,
      guards: { usageLimits: [{ scope: 'user', window: 'hour', maxTokens: limitTokens }, { scope: 'tenant', window: 'month', maxCostUsd: limitUsd }] },
    });
    const nowMs = Date.now();
    const ctx = (i: number) => ({ requestId: `b${i}`, tenantId: 'iam:bench', userId: 'burst', feature: 'chat', path: 'converse' as const, nowMs });
    // Each reservation: 250 tokens and $0.0015 at most; half the requests fit the token limit alone, a third the USD one.
    const reserve: SpendAmount = { tokens: 250, cacheReadTokens: 0, costAtto: 15n * 10n ** 14n };
    const billed = (i: number): SpendAmount => ({ tokens: 120 + (i % 31), cacheReadTokens: i % 5, costAtto: (700n + BigInt(i % 13)) * 10n ** 12n });

    const start = performance.now();
    const outcomes = await Promise.allSettled(Array.from({ length: requests }, (_, i) => guard.reserve(ctx(i), reserve)));
    const reserveMs = performance.now() - start;
    const admitted = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ i, hold: o.value! }] : []));
    const refusedOther = outcomes.filter((o) => o.status === 'rejected' && (o.reason as { status?: number }).status !== 429).length;
    const admittedTokens = admitted.length * reserve.tokens;
    const admittedAtto = BigInt(admitted.length) * reserve.costAtto;
    const settleStart = performance.now();
    await Promise.all(admitted.map(({ i, hold }) => guard.settle(ctx(i), hold, reserve, billed(i), `converse:b${i}`)));
    const settleMs = performance.now() - settleStart;
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `tenant#iam%3Abench#${new Date(nowMs).toISOString().slice(0, 7)}` } }, ConsistentRead: true }));
    const tenant = Item ? { tokens: Number(Item.tokens?.N ?? 0), costAtto: BigInt(Item.costAtto?.N ?? '0') } : undefined;
    const expected = admitted.reduce((s, { i }) => ({ tokens: s.tokens + billed(i).tokens, atto: s.atto + billed(i).costAtto }), { tokens: 0, atto: 0n });
    return {
      requests,
      admitted: admitted.length,
      refusedWith429: requests - admitted.length - refusedOther,
      failedOtherwise: refusedOther,
      admittedTokens,
      limitTokens,
      admittedUsd: Number(admittedAtto) / 1e18,
      limitUsd,
      // What the tighter limit lets through at most, and how much of it the burst used (spurious refusals between a
      // refusal and its compensation keep it under 1).
      maxAdmissible: Math.min(Math.floor(limitTokens / reserve.tokens), Math.floor(limitUsd * 1e18 / Number(reserve.costAtto))),
      settledEqualsBilled: tenant?.tokens === expected.tokens && tenant?.costAtto === expected.atto,
      reserveBurstMs: round(reserveMs),
      settleBurstMs: round(settleMs),
    };
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}
