import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PipelineError } from '../../../../lambda/pipeline/errors';
import type { DynamoDbLedgerGuard, SpendAmount, SpendContext } from '../../../../lambda/pipeline/guards';
import { LocalDynamoDb, localClientConfig, startDynamoDbLocal } from '../../../../packages/local/src/services';
import { createLedgerTable } from '../../../../packages/local/src/services/ledger-table';
import { FaultProxy, startFaultProxy } from '../../../support/fault-proxy';

export const NOW = Date.UTC(2026, 11, 1, 9, 30, 15);

export const ctx = (overrides: Partial<SpendContext> = {}): SpendContext => ({
  requestId: 'req-1', tenantId: 'iam:acme', userId: 'user-1', feature: 'chat', path: 'converse', nowMs: NOW, ...overrides,
});

/** An amount in tokens and micro-dollars (exact in attodollars). */
export const amount = (tokens: number, microUsd = 0, cacheReadTokens = 0): SpendAmount => ({ tokens, cacheReadTokens, costAtto: BigInt(microUsd) * 10n ** 12n });

/** What {@link reserveOrRefused} returns for a call the ledger refused with 429. */
export const REFUSED = Symbol('refused');

/** Reserves a call's bound (counting the request): its hold, or {@link REFUSED} on a 429 (anything else fails the test). */
export async function reserveOrRefused(guard: DynamoDbLedgerGuard, context: SpendContext, bound: SpendAmount): Promise<string | undefined | typeof REFUSED> {
  try {
    return await guard.reserve(context, bound, true);
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).status).toBe(429);
    return REFUSED;
  }
}

/** The counters of one item, as numbers and exact attodollars, with its expiry buckets. */
export interface CounterState {
  readonly requests: number;
  readonly tokens: number;
  readonly cacheReadTokens: number;
  readonly costAtto: bigint;
  readonly buckets: Record<string, string>;
}

export async function counterOf(client: DynamoDBClient, table: string, key: string): Promise<CounterState | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }));
  if (!Item) return undefined;
  const buckets: Record<string, string> = {};
  for (const [name, value] of Object.entries(Item)) if (/^[hk][0-9a-z]+[tc]$/.test(name)) buckets[name] = value.N!;
  return {
    requests: Number(Item.requests?.N ?? 0), tokens: Number(Item.tokens?.N ?? 0), cacheReadTokens: Number(Item.cacheReadTokens?.N ?? 0),
    costAtto: BigInt(Item.costAtto?.N ?? '0'), buckets,
  };
}

/** Every counter item whose key starts with `prefix` (all shards of a scope's window). */
export async function countersWithPrefix(client: DynamoDBClient, table: string, prefix: string): Promise<CounterState[]> {
  const { Items = [] } = await client.send(new ScanCommand({
    TableName: table, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': { S: prefix } }, ConsistentRead: true,
  }));
  return Promise.all(Items.map((i) => counterOf(client, table, i.pk.S!))).then((all) => all.filter((c): c is CounterState => c !== undefined));
}

/** The clients and table of {@link useLedgerBehindProxy}, read inside tests (set by its hooks). */
export interface LedgerBehindProxy {
  /** Straight to DynamoDB Local: what the table really holds. */
  readonly direct: DynamoDBClient;
  /** Through the fault proxy, without SDK retries: each test says what reaches the table. */
  readonly proxied: DynamoDBClient;
  readonly proxy: FaultProxy;
  /** A fresh ledger table for each test. */
  readonly table: string;
}

/** DynamoDB Local behind a loopback proxy that delays or fails requests, with a new ledger table `<prefix>-<n>` per test. */
export function useLedgerBehindProxy(prefix: string): LedgerBehindProxy {
  let dynamodb: LocalDynamoDb | undefined;
  let tableCounter = 0;
  const state: { direct?: DynamoDBClient; proxied?: DynamoDBClient; proxy?: FaultProxy; table?: string } = {};
  beforeAll(async () => {
    dynamodb = await startDynamoDbLocal();
    state.proxy = await startFaultProxy(dynamodb.endpoint);
    state.direct = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
    state.proxied = new DynamoDBClient({ ...localClientConfig(state.proxy.endpoint), maxAttempts: 1 });
  }, 120_000); // above startDynamoDbLocal's own 90 s startup bound: a cold JVM on a loaded CI machine is slow
  afterAll(async () => {
    state.direct?.destroy();
    state.proxied?.destroy();
    await state.proxy?.close();
    await dynamodb?.stop();
  });
  beforeEach(async () => {
    state.proxy!.rule = undefined;
    state.table = `${prefix}-${++tableCounter}`;
    await createLedgerTable(state.direct!, state.table);
  });
  return {
    get direct() { return state.direct!; },
    get proxied() { return state.proxied!; },
    get proxy() { return state.proxy!; },
    get table() { return state.table!; },
  };
}
