import {
  AttributeValue, DynamoDBClient, TransactWriteItem, TransactWriteItemsCommand, TransactWriteItemsCommandOutput, UpdateItemCommand,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { GuardsConfig, UsageLimitConfig } from '../../contract';
import { PipelineError } from '../errors';
import { ContainerUsageGuard, limitExceeded } from './container-usage-guard';
import {
  counterGroups, CounterGroup, counterKey, limitsForTenant, limitsSpend, scopeIdOf, shareOf, shareOfAtto, tierOf,
} from './ledger-limits';
import { LimitStatus, SpendAmount, SpendContext, SpendGuard } from './spend-guard';
import { windowOf } from './usage-windows';

/** Something the ledger guard reports: each is a metric (`GuardFailOpen`, `GuardFailClosed`, `GuardHoldsExpired`). */
export interface LedgerEvent {
  readonly kind: 'failOpen' | 'failClosed' | 'holdsExpired';
  readonly scope: string;
  readonly window: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly feature: string;
  /** For `holdsExpired`: what the expired reservations held and was given back. */
  readonly tokens?: number;
  readonly costUsd?: number;
  /** For `failOpen` and `failClosed`: why the ledger could not be used. */
  readonly error?: string;
}

/** How a {@link DynamoDbLedgerGuard} is built. */
export interface DynamoDbLedgerGuardOptions {
  /** The container's DynamoDB client. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The limits and the tenant tiers. */
  readonly guards: Pick<GuardsConfig, 'usageLimits' | 'tenantTiers' | 'defaultTier'>;
  /** Fail-open, fail-closed and expired-reservation events (the runtime turns them into EMF metrics). */
  readonly onEvent?: (event: LedgerEvent) => void;
  /** How long one ledger call may take, SDK retries included, before the ledger counts as unreachable. @default 1500 */
  readonly timeoutMs?: number;
  /**
   * How long a Converse or embedding reservation lives unsettled before it is given back: longer than the
   * function's timeout (at most 15 minutes), so a live request is never released under its feet.
   * @default 960 (16 minutes)
   */
  readonly holdSeconds?: number;
  /** The same for a batch reservation, settled when the job is collected. @default 8 days */
  readonly batchHoldSeconds?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** One counter a hold reserved tokens on: its key, the TTL its item gets, and whether its bucket was swept. */
interface HeldCounter {
  readonly k: string;
  readonly e: number;
}

/** The hold string's content: the counters reserved, the bucket, the amounts, fallback holds and the status. */
interface HoldDocument {
  readonly i: HeldCounter[];
  readonly b: string;
  readonly t: number;
  readonly c: string;
  readonly f?: Array<{ readonly g: string; readonly h: string | undefined }>;
  readonly s?: LimitStatus;
}

type Item = Record<string, AttributeValue>;

/** The outcome of writing one group's counter. */
type GroupOutcome =
  | { readonly kind: 'reserved'; readonly group: CounterGroup; readonly key?: string; readonly expiresAt: number; readonly item?: Item; readonly counted: Counted; readonly fallbackHold?: string; readonly share?: Shares }
  | { readonly kind: 'refused'; readonly error: PipelineError }
  | { readonly kind: 'unavailable'; readonly group: CounterGroup; readonly error: unknown };

/** What a group's update added: the request, and the reservation's amounts when it reserved spend. */
interface Counted {
  readonly requests: number;
  readonly spend: boolean;
  readonly tokens: number;
  readonly costAtto: bigint;
}

interface Shares {
  readonly requests?: number;
  readonly tokens?: number;
  readonly costAtto?: bigint;
}

const BUCKET_ATTR = /^h([0-9a-z]+)t$/;
/** Settled idempotency keys are remembered this long: longer than any retry of the same delivery. */
const SETTLE_MARKER_SECONDS = 7 * 86_400;
/** Counter items outlive their window by this much, then TTL removes them. */
const COUNTER_GRACE_SECONDS = 86_400;
const MAX_SHARD_TRIES = 4;
const MAX_CONFLICT_RETRIES = 8;

/**
 * Usage limits counted in a shared DynamoDB ledger: exact across every container of every workflow that shares
 * the table. The DynamoDB counterpart of {@link ContainerUsageGuard}, with the same limits and the same refusals.
 *
 * - **Reserve**: one conditional `UpdateItem` per counter (a scope's window, or one shard of it), all in parallel:
 *   `ADD tokens :t` only `IF tokens <= :share - :t`, so however many arrive at once no counter passes its share.
 *   When one counter refuses, the ones that reserved are compensated (`ADD -:t`). Chosen over `TransactWriteItems`:
 *   the same single round, half the write units (a transaction costs 2×), and no `TransactionConflict` on a hot
 *   counter (concurrent transactions on one item cancel each other; conditional updates on it just serialize). The
 *   price: between a refusal and its compensation another request may be refused spuriously, never over-admitted.
 * - **Settle**: one `TransactWriteItems`: `ADD actual - reserved` to each counter and a `settle#<key>` marker put
 *   only if absent, so a duplicate settlement changes nothing, however late (the marker lives 7 days).
 * - **Expiry**: a reservation also adds its amounts to an expiry bucket on each counter (`h<end>t`, `h<end>c`:
 *   one bucket per 5 minutes of expiry, so items stay small however many requests are in flight). A settlement takes
 *   its amounts out of the bucket. A bucket past its end that still holds something holds reservations whose Lambda
 *   died: the next request that sees it (every update returns the item) gives it back and reports `holdsExpired`.
 * - **Cache reads** are counted apart (`cacheReadTokens`, at settlement) and limit nothing.
 * - **Speculative**: the pipeline reserves alongside the response-cache read, and the request is counted in the
 *   same update: a miss adds no sequential round trip; a hit gives the tokens back with one more write.
 * - **Unreachable ledger**: per limit, fail closed (503) or open (counted in this container by a
 *   {@link ContainerUsageGuard}), each time reported.
 */
export class DynamoDbLedgerGuard implements SpendGuard {
  readonly name = 'usage-ledger';
  readonly speculative = true;
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly guards: DynamoDbLedgerGuardOptions['guards'];
  private readonly groupsByTier = new Map<string, CounterGroup[]>();
  private readonly fallbacks = new Map<string, ContainerUsageGuard>();
  private readonly sweeping = new Set<string>();
  private readonly sweeps = new Map<string, Promise<void>>();
  private readonly timeoutMs: number;
  private readonly holdMs: number;
  private readonly batchHoldMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: DynamoDbLedgerGuardOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.guards = options.guards;
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.holdMs = (options.holdSeconds ?? 960) * 1000;
    this.batchHoldMs = (options.batchHoldSeconds ?? 8 * 86_400) * 1000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Counts the request on every request-rate limit (the paths that do not reserve speculatively). */
  async admit(context: SpendContext): Promise<void> {
    const groups = this.groupsFor(context.tenantId).filter((g) => g.maxRequests !== undefined);
    if (groups.length === 0) return;
    const outcomes = await Promise.all(groups.map((g) => this.reserveGroup(g, context, undefined, true, '')));
    await this.conclude(context, outcomes, undefined, true);
  }

  async reserve(context: SpendContext, estimate: SpendAmount, admits = false): Promise<string | undefined> {
    const groups = this.groupsFor(context.tenantId).filter((g) => limitsSpend(g) || (admits && g.maxRequests !== undefined));
    if (groups.length === 0) return undefined;
    const bucket = this.bucketOf(context);
    const outcomes = await Promise.all(groups.map((g) => this.reserveGroup(g, context, limitsSpend(g) ? estimate : undefined, admits && g.maxRequests !== undefined, bucket)));
    const reserved = await this.conclude(context, outcomes, estimate, admits);
    const held = reserved.filter((r) => r.key !== undefined && r.counted.spend);
    const fallback = reserved.filter((r) => r.fallbackHold !== undefined);
    const status = tightest(reserved, context.nowMs);
    const doc: HoldDocument = {
      i: held.map((r) => ({ k: r.key!, e: r.expiresAt })), b: bucket, t: estimate.tokens, c: estimate.costAtto.toString(),
      ...(fallback.length > 0 ? { f: fallback.map((r) => ({ g: r.group.signature, h: r.fallbackHold })) } : {}),
      ...(status ? { s: status } : {}),
    };
    const hold = JSON.stringify(doc);
    // Expired buckets seen in the returned items are swept beside the model call; the settlement waits for it.
    const sweeps = reserved.filter((r) => r.item && r.key).map((r) => this.sweep(r.key!, r.item!, r.group, context));
    if (sweeps.length > 0) {
      const all = Promise.all(sweeps).then(() => undefined);
      if (context.path === 'batch') await all;
      else this.sweeps.set(hold, all);
    }
    return hold;
  }

  async settle(context: SpendContext, hold: string | undefined, _reserved: SpendAmount, actual: SpendAmount, idempotencyKey: string): Promise<void> {
    if (hold === undefined) return;
    const doc = JSON.parse(hold) as HoldDocument;
    const sweep = this.sweeps.get(hold);
    this.sweeps.delete(hold);
    await sweep;
    for (const { g, h } of doc.f ?? []) await this.fallbacks.get(g)?.settle(context, h, _reserved, actual, idempotencyKey);
    if (doc.i.length === 0) return;
    const reserved = { tokens: doc.t, costAtto: BigInt(doc.c) };
    const swept = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const items: TransactWriteItem[] = [
        {
          Put: {
            TableName: this.table,
            Item: { pk: { S: `settle#${idempotencyKey}` }, expiresAt: { N: String(Math.ceil(this.now() / 1000) + SETTLE_MARKER_SECONDS) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...doc.i.map((counter): TransactWriteItem => ({ Update: this.settleUpdate(counter, doc.b, reserved, actual, swept.has(counter.k)) })),
      ];
      try {
        await this.send(new TransactWriteItemsCommand({ TransactItems: items }));
        return;
      } catch (error) {
        const reasons: Array<{ Code?: string }> = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
        if ((error as Error).name !== 'TransactionCanceledException' || attempt >= MAX_CONFLICT_RETRIES) throw error;
        // Settled before: a duplicate delivery changes nothing.
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return;
        // A counter whose bucket was swept (this reservation expired and was given back): charge the whole actual.
        reasons.forEach((r, i) => { if (i > 0 && r.Code === 'ConditionalCheckFailed') swept.add(doc.i[i - 1].k); });
        if (reasons.some((r) => r.Code === 'TransactionConflict')) await pause(this.random() * 20 * (attempt + 1));
      }
    }
  }

  statusOf(hold: string): LimitStatus | undefined {
    return (JSON.parse(hold) as HoldDocument).s;
  }

  /** Waits for the sweeps started beside reservations (tests; the settlement of a hold waits for its own). */
  async flush(): Promise<void> {
    await Promise.all(this.sweeps.values());
  }

  private settleUpdate(counter: HeldCounter, bucket: string, reserved: { tokens: number; costAtto: bigint }, actual: SpendAmount, swept: boolean) {
    const values: Item = {
      ':e': { N: String(counter.e) },
      ':cr': { N: String(actual.cacheReadTokens) },
    };
    if (swept) {
      // The reservation was given back already: what was billed is added in full.
      values[':t'] = { N: String(actual.tokens) };
      values[':c'] = { N: actual.costAtto.toString() };
      return {
        TableName: this.table, Key: { pk: { S: counter.k } },
        UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD tokens :t, costAtto :c, cacheReadTokens :cr',
        ExpressionAttributeValues: values,
      };
    }
    values[':t'] = { N: String(actual.tokens - reserved.tokens) };
    values[':c'] = { N: (actual.costAtto - reserved.costAtto).toString() };
    values[':bt'] = { N: String(-reserved.tokens) };
    values[':bc'] = { N: (-reserved.costAtto).toString() };
    return {
      TableName: this.table, Key: { pk: { S: counter.k } },
      UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD tokens :t, costAtto :c, cacheReadTokens :cr, #bt :bt, #bc :bc',
      ConditionExpression: 'attribute_exists(#bt)',
      ExpressionAttributeNames: { '#bt': `${bucket}t`, '#bc': `${bucket}c` },
      ExpressionAttributeValues: values,
    };
  }

  /**
   * All counters reserved, or none: on a refusal or a fail-closed ledger the reserved ones are compensated and the
   * refusal thrown; a fail-open group is counted by its container fallback instead.
   */
  private async conclude(context: SpendContext, outcomes: GroupOutcome[], estimate: SpendAmount | undefined, admits: boolean) {
    const resolved: GroupOutcome[] = [];
    for (const outcome of outcomes) {
      if (outcome.kind !== 'unavailable') {
        resolved.push(outcome);
        continue;
      }
      const event = { scope: outcome.group.scope, window: outcome.group.window, tenantId: context.tenantId, userId: context.userId, feature: context.feature, error: String(outcome.error) };
      if (outcome.group.failure === 'closed') {
        this.options.onEvent?.({ kind: 'failClosed', ...event });
        resolved.push({
          kind: 'refused',
          error: new PipelineError(503, 'USAGE_LEDGER_UNAVAILABLE',
            `The usage ledger cannot be reached, and the ${outcome.group.scope} limit per ${outcome.group.window} fails closed; nothing was charged. Retry in a few seconds.`,
            { scope: outcome.group.scope, window: outcome.group.window, retryAfterSeconds: 5 }),
        });
        continue;
      }
      this.options.onEvent?.({ kind: 'failOpen', ...event });
      const fallback = this.fallbackOf(outcome.group);
      try {
        let fallbackHold: string | undefined;
        if (admits && outcome.group.maxRequests !== undefined) await fallback.admit(context);
        if (estimate !== undefined && limitsSpend(outcome.group)) fallbackHold = await fallback.reserve(context, estimate);
        resolved.push({ kind: 'reserved', group: outcome.group, expiresAt: 0, counted: { requests: 0, spend: false, tokens: 0, costAtto: 0n }, fallbackHold });
      } catch (error) {
        resolved.push({ kind: 'refused', error: error as PipelineError });
      }
    }
    const refused = resolved.filter((o): o is Extract<GroupOutcome, { kind: 'refused' }> => o.kind === 'refused');
    const reserved = resolved.filter((o): o is Extract<GroupOutcome, { kind: 'reserved' }> => o.kind === 'reserved');
    if (refused.length === 0) return reserved;
    await Promise.allSettled(reserved.map((r) => this.compensate(context, r)));
    // A limit reached (429) says more than an unreachable ledger (503).
    throw (refused.find((r) => r.error.status === 429) ?? refused[0]).error;
  }

  private async compensate(context: SpendContext, reserved: Extract<GroupOutcome, { kind: 'reserved' }>): Promise<void> {
    if (reserved.fallbackHold !== undefined) {
      await this.fallbackOf(reserved.group).settle(context, reserved.fallbackHold, { tokens: 0, cacheReadTokens: 0, costAtto: 0n }, { tokens: 0, cacheReadTokens: 0, costAtto: 0n }, `${context.path}:${context.requestId}:refused`);
    }
    if (!reserved.key) return;
    const { requests, tokens, costAtto, spend: spends } = reserved.counted;
    if (requests === 0 && !spends) return;
    const bucket = this.bucketOf(context);
    await this.send(new UpdateItemCommand({
      TableName: this.table, Key: { pk: { S: reserved.key } },
      UpdateExpression: `ADD requests :r${spends ? ', tokens :t, costAtto :c, #bt :t, #bc :c' : ''}`,
      ...(spends ? { ExpressionAttributeNames: { '#bt': `${bucket}t`, '#bc': `${bucket}c` } } : {}),
      ExpressionAttributeValues: {
        ':r': { N: String(-requests) },
        ...(spends ? { ':t': { N: String(-tokens) }, ':c': { N: (-costAtto).toString() } } : {}),
      },
    }));
  }

  /**
   * Reserves on one group's counter: a random shard first, then the next ones (at most {@link MAX_SHARD_TRIES}),
   * each only within its share of the limit. A refusal whose item holds expired reservations sweeps them and
   * tries again once.
   */
  private async reserveGroup(group: CounterGroup, context: SpendContext, estimate: SpendAmount | undefined, countRequest: boolean, bucket: string): Promise<GroupOutcome> {
    const window = windowOf(group.window, context.nowMs);
    const scopeId = scopeIdOf(group.scope, context);
    const expiresAt = Math.ceil(window.endsAtMs / 1000) + COUNTER_GRACE_SECONDS;
    const first = Math.floor(this.random() * group.shards);
    const tries = Math.min(group.shards, MAX_SHARD_TRIES);
    const counted: Counted = { requests: countRequest ? 1 : 0, spend: estimate !== undefined, tokens: estimate?.tokens ?? 0, costAtto: estimate?.costAtto ?? 0n };
    let refusal: { item: Item | undefined; share: Shares } | undefined;
    for (let n = 0; n < tries; n++) {
      const shard = (first + n) % group.shards;
      const share: Shares = {
        requests: group.maxRequests !== undefined ? shareOf(group.maxRequests, group.shards, shard) : undefined,
        tokens: group.maxTokens !== undefined ? shareOf(group.maxTokens, group.shards, shard) : undefined,
        costAtto: group.maxCostAtto !== undefined ? shareOfAtto(group.maxCostAtto, group.shards, shard) : undefined,
      };
      // A request bigger than a whole share can never fit this shard: no write needed to know.
      if ((countRequest && share.requests !== undefined && share.requests < 1)
        || (estimate && share.tokens !== undefined && share.tokens < estimate.tokens)
        || (estimate && share.costAtto !== undefined && share.costAtto < estimate.costAtto)) {
        refusal ??= { item: undefined, share };
        continue;
      }
      const key = counterKey(group.scope, scopeId, window.id, shard, group.shards);
      for (let attempt = 0; ; attempt++) {
        try {
          const item = await this.updateCounter(key, expiresAt, countRequest, estimate, bucket, share);
          return { kind: 'reserved', group, key, expiresAt, item, counted, share };
        } catch (error) {
          const name = (error as Error).name;
          if (name === 'ConditionalCheckFailedException') {
            const item = (error as { Item?: Item }).Item;
            if (attempt === 0 && item && expiredBuckets(item, context.nowMs).length > 0) {
              await this.sweep(key, item, group, context);
              continue;
            }
            refusal = { item, share };
            break;
          }
          if (name === 'TransactionConflictException' && attempt < MAX_CONFLICT_RETRIES) {
            await pause(this.random() * 10 * (attempt + 1));
            continue;
          }
          return { kind: 'unavailable', group, error };
        }
      }
    }
    return { kind: 'refused', error: this.refusalOf(group, context, countRequest, estimate, refusal!, window.endsAtMs) };
  }

  private async updateCounter(key: string, expiresAt: number, countRequest: boolean, estimate: SpendAmount | undefined, bucket: string, share: Shares): Promise<Item | undefined> {
    const adds: string[] = [];
    const conditions: string[] = [];
    const values: Item = { ':e': { N: String(expiresAt) } };
    const names: Record<string, string> = {};
    if (countRequest) {
      adds.push('requests :r');
      values[':r'] = { N: '1' };
      if (share.requests !== undefined) {
        conditions.push('(attribute_not_exists(requests) OR requests <= :rmax)');
        values[':rmax'] = { N: String(share.requests - 1) };
      }
    }
    if (estimate) {
      adds.push('tokens :t', 'costAtto :c', '#bt :t', '#bc :c');
      names['#bt'] = `${bucket}t`;
      names['#bc'] = `${bucket}c`;
      values[':t'] = { N: String(estimate.tokens) };
      values[':c'] = { N: estimate.costAtto.toString() };
      if (share.tokens !== undefined) {
        conditions.push('(attribute_not_exists(tokens) OR tokens <= :tmax)');
        values[':tmax'] = { N: String(share.tokens - estimate.tokens) };
      }
      if (share.costAtto !== undefined) {
        conditions.push('(attribute_not_exists(costAtto) OR costAtto <= :cmax)');
        values[':cmax'] = { N: (share.costAtto - estimate.costAtto).toString() };
      }
    }
    const result = await this.send(new UpdateItemCommand({
      TableName: this.table, Key: { pk: { S: key } },
      UpdateExpression: `SET expiresAt = if_not_exists(expiresAt, :e) ADD ${adds.join(', ')}`,
      ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
    return result.Attributes;
  }

  private refusalOf(group: CounterGroup, context: SpendContext, countRequest: boolean, estimate: SpendAmount | undefined, refusal: { item: Item | undefined; share: Shares }, endsAtMs: number): PipelineError {
    const { item, share } = refusal;
    const limit: Pick<UsageLimitConfig, 'scope' | 'window'> = { scope: group.scope, window: group.window };
    // The shard's usage, scaled to the whole limit (exact when the limit is not sharded).
    const scaled = (used: number, part: number, whole: number) => (part > 0 ? Math.min(whole, Math.round((used * whole) / part)) : whole);
    if (countRequest && share.requests !== undefined && (num(item?.requests) + 1 > share.requests)) {
      return limitExceeded(limit, 'requests', scaled(num(item?.requests), share.requests, group.maxRequests!), group.maxRequests!, endsAtMs, context.nowMs);
    }
    if (estimate && share.tokens !== undefined && num(item?.tokens) + estimate.tokens > share.tokens) {
      return limitExceeded(limit, 'tokens', scaled(num(item?.tokens), share.tokens, group.maxTokens!), group.maxTokens!, endsAtMs, context.nowMs, estimate.tokens);
    }
    const usedAtto = big(item?.costAtto);
    const costShare = Number(share.costAtto ?? 0n) / 1e18;
    return limitExceeded(limit, 'costUsd', scaled(Number(usedAtto) / 1e18, costShare, group.maxCostUsd ?? 0), group.maxCostUsd ?? 0, endsAtMs, context.nowMs, Number(estimate?.costAtto ?? 0n) / 1e18);
  }

  /**
   * Gives back what expired buckets of a counter still hold (reservations whose Lambda died before settling), only
   * if they still hold what was seen, and drops emptied ones so the item stays small.
   */
  private async sweep(key: string, item: Item, group: CounterGroup, context: SpendContext): Promise<void> {
    const expired = expiredBuckets(item, context.nowMs);
    await Promise.all(expired.map(async (b) => {
      const id = `${key}|${b}`;
      if (this.sweeping.has(id)) return;
      this.sweeping.add(id);
      const tokens = num(item[`h${b}t`]);
      const costAtto = big(item[`h${b}c`]);
      try {
        await this.send(new UpdateItemCommand({
          TableName: this.table, Key: { pk: { S: key } },
          UpdateExpression: `REMOVE #bt, #bc${tokens !== 0 || costAtto !== 0n ? ' ADD tokens :nt, costAtto :nc' : ''}`,
          ConditionExpression: '#bt = :t AND #bc = :c',
          ExpressionAttributeNames: { '#bt': `h${b}t`, '#bc': `h${b}c` },
          ExpressionAttributeValues: {
            ':t': { N: String(tokens) }, ':c': { N: costAtto.toString() },
            ...(tokens !== 0 || costAtto !== 0n ? { ':nt': { N: String(-tokens) }, ':nc': { N: (-costAtto).toString() } } : {}),
          },
        }));
        if (tokens !== 0 || costAtto !== 0n) {
          this.options.onEvent?.({
            kind: 'holdsExpired', scope: group.scope, window: group.window, tenantId: context.tenantId, userId: context.userId,
            feature: context.feature, tokens, costUsd: Number(costAtto) / 1e18,
          });
        }
      } catch {
        // Another request swept it first, or a late settlement changed it: the next one to see it tries again.
      } finally {
        this.sweeping.delete(id);
      }
    }));
  }

  private groupsFor(tenantId: string): CounterGroup[] {
    const tier = tierOf(this.guards, tenantId) ?? '';
    let groups = this.groupsByTier.get(tier);
    if (!groups) {
      groups = counterGroups(limitsForTenant({ ...this.guards, store: 'dynamodb' }, tenantId));
      this.groupsByTier.set(tier, groups);
    }
    return groups;
  }

  private fallbackOf(group: CounterGroup): ContainerUsageGuard {
    let fallback = this.fallbacks.get(group.signature);
    if (!fallback) {
      fallback = new ContainerUsageGuard([{
        scope: group.scope, window: group.window,
        ...(group.maxRequests !== undefined ? { maxRequests: group.maxRequests } : {}),
        ...(group.maxTokens !== undefined ? { maxTokens: group.maxTokens } : {}),
        ...(group.maxCostUsd !== undefined ? { maxCostUsd: group.maxCostUsd } : {}),
      }]);
      this.fallbacks.set(group.signature, fallback);
    }
    return fallback;
  }

  // The bucket a reservation made now expires in: 5-minute buckets for requests (about 5 live at once, so a counter
  // item stays under the 1 KB of one write unit), 12-hour buckets for batch jobs.
  private bucketOf(context: SpendContext): string {
    const [lifeMs, widthMs] = context.path === 'batch' ? [this.batchHoldMs, 12 * 3_600_000] : [this.holdMs, 300_000];
    return `h${(Math.ceil((context.nowMs + lifeMs) / widthMs) * widthMs / 1000).toString(36)}`;
  }

  // Every ledger call is bounded in time (SDK retries included): a hanging ledger is an unreachable one.
  private send(command: UpdateItemCommand): Promise<UpdateItemCommandOutput>;
  private send(command: TransactWriteItemsCommand): Promise<TransactWriteItemsCommandOutput>;
  private send(command: UpdateItemCommand | TransactWriteItemsCommand): Promise<unknown> {
    return this.client.send(command as UpdateItemCommand, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
  }
}

/** The tightest limit the reserved counters left, from the items the updates returned. */
function tightest(reserved: ReadonlyArray<Extract<GroupOutcome, { kind: 'reserved' }>>, nowMs: number): LimitStatus | undefined {
  let best: LimitStatus | undefined;
  let bestShare = Infinity;
  for (const r of reserved) {
    if (!r.item || !r.share) continue;
    const { group, item, share } = r;
    const resetsAt = new Date(windowOf(group.window, nowMs).endsAtMs).toISOString();
    const candidates: Array<[LimitStatus['measure'], number | undefined, number | undefined, number]> = [
      ['requests', group.maxRequests, share.requests, num(item.requests)],
      ['tokens', group.maxTokens, share.tokens, num(item.tokens)],
      ['costUsd', group.maxCostUsd, share.costAtto !== undefined ? Number(share.costAtto) / 1e18 : undefined, Number(big(item.costAtto)) / 1e18],
    ];
    for (const [measure, limit, part, used] of candidates) {
      if (limit === undefined || part === undefined) continue;
      // A sharded limit shows this shard's room, scaled to the whole: an estimate.
      const left = Math.max(0, part - used) * group.shards;
      const remaining = measure === 'costUsd' ? Math.min(limit, Math.round(left * 1e6) / 1e6) : Math.min(limit, Math.floor(left));
      const fraction = limit > 0 ? remaining / limit : 0;
      if (fraction < bestShare) {
        bestShare = fraction;
        best = { scope: group.scope, window: group.window, measure, limit, remaining, resetsAt };
      }
    }
  }
  return best;
}

/** The expiry buckets of a counter item whose time has come (their holds are given back by a sweep). */
function expiredBuckets(item: Item, nowMs: number): string[] {
  return Object.keys(item).map((a) => BUCKET_ATTR.exec(a)?.[1]).filter((b): b is string => b !== undefined && parseInt(b, 36) * 1000 <= nowMs);
}

function num(value: AttributeValue | undefined): number {
  return value?.N !== undefined ? Number(value.N) : 0;
}

// DynamoDB returns numbers as written (plain digits); an exponent form is expanded, never rounded through a float.
function big(value: AttributeValue | undefined): bigint {
  const n = value?.N;
  if (n === undefined) return 0n;
  const m = /^(-?)(\d+)(?:\.(\d+))?[eE]\+?(\d+)$/.exec(n);
  if (!m) return BigInt(n);
  const digits = (m[2] + (m[3] ?? '')).padEnd(m[2].length + Number(m[4]), '0');
  return BigInt(`${m[1]}${digits}`);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
