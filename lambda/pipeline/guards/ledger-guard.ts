import {
  AttributeValue, DynamoDBClient, PutItemCommand, PutItemCommandOutput, TransactWriteItem, Update, TransactWriteItemsCommand, TransactWriteItemsCommandOutput, UpdateItemCommand,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
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
   * How long each try of a write whose outcome must be known may take: withdrawing a reservation whose write timed
   * out, or a settlement (both idempotent per hold, so a slow write is waited for or tried again, never doubled).
   * @default 5000
   */
  readonly confirmTimeoutMs?: number;
  /**
   * Before a 503 or 429, how long withdrawing writes of unknown outcome may take in all (each try still at most
   * `confirmTimeoutMs`, and never past the request's deadline): the caller is told to retry in seconds, so it is
   * not kept waiting longer. What is not confirmed withdrawn in that time is reported as possibly charged. One
   * confirmation's time, not three rounds of two: a table answering within it still gets its "nothing was charged".
   * @default confirmTimeoutMs
   */
  readonly refusalConfirmMs?: number;
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
  /** The signal that ends a call after `ms` (tests observe the time each call is given). @default AbortSignal.timeout */
  readonly abortAfter?: (ms: number) => AbortSignal;
}

/** One counter a hold reserved tokens on: its key, the TTL its item gets, and whether its bucket was swept. */
interface HeldCounter {
  readonly k: string;
  readonly e: number;
}

/**
 * The hold string's content: the hold's own id, the counters reserved, the bucket, the amounts, fallback holds and
 * the status. The id names this reservation and no other: a retry of the same request reserves under a new id.
 */
interface HoldDocument {
  /** Absent on holds reserved before hold ids existed. */
  readonly h?: string;
  readonly i: HeldCounter[];
  readonly b: string;
  readonly t: number;
  readonly c: string;
  readonly f?: Array<{ readonly g: string; readonly h: string | undefined }>;
  readonly s?: LimitStatus;
  /** A batch hold's tenant: only a settlement for the same tenant may use it (absent on holds kept before it was). */
  readonly n?: string;
}

/**
 * What a batch reservation hands its caller: only the id of a hold document kept in the ledger table (`hold#<id>`).
 * A batch job's hold travels in the day's marker in S3; whoever could write there could otherwise name any counter
 * and any amount in it, and the settlement would move them.
 */
interface HoldReference {
  readonly r: string;
}

type Item = Record<string, AttributeValue>;

/** The outcome of writing one group's counter. */
type GroupOutcome =
  | { readonly kind: 'reserved'; readonly group: CounterGroup; readonly key?: string; readonly expiresAt: number; readonly item?: Item; readonly counted: Counted; readonly fallbackHold?: string; readonly share?: Shares }
  | { readonly kind: 'refused'; readonly error: PipelineError }
  | { readonly kind: 'unavailable'; readonly group: CounterGroup; readonly error: unknown; readonly attempt: UnknownWrite };

/** A reservation write whose outcome is unknown (it timed out or failed after it was sent): it may still land. */
interface UnknownWrite {
  readonly group: CounterGroup;
  readonly key: string;
  readonly expiresAt: number;
  readonly counted: Counted;
}

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
/** Rounds of withdraw-or-fence for a write whose outcome is unknown, and tries of a settlement that timed out. */
const MAX_CONFIRM_ROUNDS = 3;
/**
 * Time kept back before the request's deadline (`SpendContext.deadlineMs`) to answer: no confirmation or settlement
 * try runs into it, so a slow table never holds the function past its timeout.
 */
export const LEDGER_DEADLINE_MARGIN_MS = 250;
/** Throttling errors: the write was refused, so it did not land and may be tried again. */
const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

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
 * - **Hold ids**: each reservation mints a random hold id, written into its bucket's set of live holds (`h<end>s`)
 *   by the reserving update itself, only if absent: a write the SDK repeats lands once, and whether a reservation
 *   landed can be asked of the counter. A reservation whose write timed out is withdrawn (`ADD -amounts` only if
 *   its id is in the set) or fenced (its id put in the bucket's withdrawn set `h<end>x`, only if not in the live
 *   one), whichever applies, so a write that lands late finds the fence and changes nothing: a 503 or 429 that says
 *   nothing was charged is true. A request counted alone (no token or USD limit) carries no hold id: when its write's
 *   outcome is unknown, the 503 says it may stay counted (`charged: true`).
 * - **Settle**: one `TransactWriteItems`: `ADD actual - reserved` to each counter, the hold id taken out of the live
 *   set (only if it is there), and a `settle#<hold id>` marker put only if absent: each reservation settles exactly
 *   once, however often its settlement is delivered (the marker lives 7 days), and a retried request, whose
 *   reservation is a new one, settles its own. A settlement that times out or was throttled is tried again (it is
 *   idempotent), each try within the request's deadline (`SpendContext.deadlineMs`).
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
  private readonly confirmTimeoutMs: number;
  private readonly refusalConfirmMs: number;
  private readonly holdMs: number;
  private readonly batchHoldMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly abortAfter: (ms: number) => AbortSignal;

  constructor(private readonly options: DynamoDbLedgerGuardOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.guards = options.guards;
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 5000;
    this.refusalConfirmMs = options.refusalConfirmMs ?? this.confirmTimeoutMs;
    this.holdMs = (options.holdSeconds ?? 960) * 1000;
    this.batchHoldMs = (options.batchHoldSeconds ?? 8 * 86_400) * 1000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.abortAfter = options.abortAfter ?? ((ms) => AbortSignal.timeout(ms));
  }

  /** Counts the request on every request-rate limit (the paths that do not reserve speculatively). */
  async admit(context: SpendContext): Promise<void> {
    const groups = this.groupsFor(context.tenantId).filter((g) => g.maxRequests !== undefined);
    if (groups.length === 0) return;
    const outcomes = await Promise.all(groups.map((g) => this.reserveGroup(g, context, undefined, true, '', '')));
    await this.conclude(context, outcomes, undefined, true, '', '');
  }

  async reserve(context: SpendContext, estimate: SpendAmount, admits = false): Promise<string | undefined> {
    const groups = this.groupsFor(context.tenantId).filter((g) => limitsSpend(g) || (admits && g.maxRequests !== undefined));
    if (groups.length === 0) return undefined;
    const bucket = this.bucketOf(context);
    const holdId = newHoldId();
    const outcomes = await Promise.all(groups.map((g) => this.reserveGroup(g, context, limitsSpend(g) ? estimate : undefined, admits && g.maxRequests !== undefined, bucket, holdId)));
    const { reserved, withdrawing } = await this.conclude(context, outcomes, estimate, admits, bucket, holdId);
    const held = reserved.filter((r) => r.key !== undefined && r.counted.spend);
    const fallback = reserved.filter((r) => r.fallbackHold !== undefined);
    const status = tightest(reserved, context.nowMs);
    const doc: HoldDocument = {
      h: holdId, i: held.map((r) => ({ k: r.key!, e: r.expiresAt })), b: bucket, t: estimate.tokens, c: estimate.costAtto.toString(),
      ...(fallback.length > 0 ? { f: fallback.map((r) => ({ g: r.group.signature, h: r.fallbackHold })) } : {}),
      ...(status ? { s: status } : {}),
      ...(context.path === 'batch' ? { n: context.tenantId } : {}),
    };
    // A batch hold outlives this invocation in a marker in S3: only its id leaves the ledger.
    const hold = context.path === 'batch' && doc.i.length > 0 ? await this.storeHold(context, doc, reserved, bucket) : JSON.stringify(doc);
    // Expired buckets seen in the returned items are swept beside the model call, and fail-open writes of unknown
    // outcome withdrawn; the settlement waits for both.
    const sweeps = [...reserved.filter((r) => r.item && r.key).map((r) => this.sweep(r.key!, r.item!, r.group, context)), ...withdrawing];
    if (sweeps.length > 0) {
      const all = Promise.all(sweeps).then(() => undefined);
      if (context.path === 'batch') await all;
      else this.sweeps.set(hold, all);
    }
    return hold;
  }

  /**
   * Settles one reservation, once: the marker is the hold's own id. `idempotencyKey` (the request's) only reaches the
   * container fallback's holds, which are unique per reservation too.
   */
  async settle(context: SpendContext, hold: string | undefined, _reserved: SpendAmount, actual: SpendAmount, idempotencyKey: string): Promise<void> {
    if (hold === undefined) return;
    const doc = await this.holdDocument(context, hold);
    if (!doc) return;
    const sweep = this.sweeps.get(hold);
    this.sweeps.delete(hold);
    await sweep;
    for (const { g, h } of doc.f ?? []) await this.fallbacks.get(g)?.settle(context, h, _reserved, actual, idempotencyKey);
    if (doc.i.length === 0) return;
    const reserved = { tokens: doc.t, costAtto: BigInt(doc.c) };
    const swept = new Set<string>();
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      const items: TransactWriteItem[] = [
        {
          Put: {
            TableName: this.table,
            // A hold reserved before hold ids existed (in flight during a deployment) settles under the request's key.
            Item: { pk: { S: `settle#${doc.h ?? idempotencyKey}` }, expiresAt: { N: String(Math.ceil(this.now() / 1000) + SETTLE_MARKER_SECONDS) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...doc.i.map((counter): TransactWriteItem => ({ Update: this.settleUpdate(counter, doc.b, doc.h, reserved, actual, swept.has(counter.k)) })),
        // A batch hold's document goes with its settlement (after the counters: the reasons above keep their order).
        ...(context.path === 'batch' && doc.h ? [{ Update: { TableName: this.table, Key: { pk: { S: `hold#${doc.h}` } }, UpdateExpression: 'REMOVE doc' } }] : []),
      ];
      // Each try within the time the request has left: past it, the settlement fails (counted), it does not time the function out.
      const budget = this.budget(attempt === 0 ? this.timeoutMs : this.confirmTimeoutMs, deadlineOf(context));
      if (budget <= 0) throw lastError ?? new Error('no time was left before the request\'s deadline to settle the hold');
      try {
        // A settlement lands once whatever happens (its marker): one that timed out is waited for longer, not lost.
        await this.send(new TransactWriteItemsCommand({ TransactItems: items }), budget);
        return;
      } catch (error) {
        lastError = error;
        const reasons: Array<{ Code?: string }> = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
        if ((error as Error).name !== 'TransactionCanceledException') {
          if (attempt < MAX_CONFIRM_ROUNDS - 1 && mayHaveLanded(error)) continue;
          // Throttled after the SDK's own retries: certainly not applied, so tried again (the marker keeps it once).
          if (attempt < MAX_CONFLICT_RETRIES && THROTTLED.has((error as Error).name)) {
            await pause(this.random() * 50 * (attempt + 1));
            continue;
          }
          throw error;
        }
        if (attempt >= MAX_CONFLICT_RETRIES) throw error;
        // Settled before: a duplicate delivery changes nothing.
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return;
        // A counter whose bucket was swept (this reservation expired and was given back): charge the whole actual.
        reasons.forEach((r, i) => { if (i > 0 && r.Code === 'ConditionalCheckFailed') swept.add(doc.i[i - 1].k); });
        if (reasons.some((r) => r.Code === 'TransactionConflict')) await pause(this.random() * 20 * (attempt + 1));
      }
    }
  }

  statusOf(hold: string): LimitStatus | undefined {
    return (JSON.parse(hold) as Partial<HoldDocument>).s;
  }

  /** Keeps a batch hold's document in the ledger table and returns its reference; on failure nothing stays reserved. */
  private async storeHold(context: SpendContext, doc: HoldDocument, reserved: ReadonlyArray<Extract<GroupOutcome, { kind: 'reserved' }>>, bucket: string): Promise<string> {
    try {
      await this.send(new PutItemCommand({
        TableName: this.table,
        Item: { pk: { S: `hold#${doc.h}` }, doc: { S: JSON.stringify(doc) }, expiresAt: { N: String(Math.max(...doc.i.map((c) => c.e))) } },
      }), this.budget(this.confirmTimeoutMs, deadlineOf(context)));
    } catch (error) {
      const until = this.refusalDeadline(context);
      const left = (await Promise.all(reserved.map((r) => this.compensate(context, r, bucket, doc.h!, until)))).filter((u): u is UnknownWrite => u !== undefined);
      const group = reserved.find((r) => r.key)!.group;
      this.options.onEvent?.({ kind: 'failClosed', scope: group.scope, window: group.window, tenantId: context.tenantId, userId: context.userId, feature: context.feature, error: String(error) });
      throw this.unavailable(group, left, bucket);
    }
    const reference: HoldReference = { r: doc.h! };
    return JSON.stringify(reference);
  }

  /**
   * The document of a hold: the hold itself, or for a batch job the one kept in the ledger under its reference
   * (undefined once settled). A batch hold that carries its own document did not come from this ledger's
   * reservation (or predates references): it is not trusted, and settles nothing (it throws).
   */
  private async holdDocument(context: SpendContext, hold: string): Promise<HoldDocument | undefined> {
    const parsed = JSON.parse(hold) as Partial<HoldDocument> & Partial<HoldReference>;
    if (parsed.r === undefined) {
      if (context.path !== 'batch' || parsed.i === undefined || parsed.i.length === 0) return parsed as HoldDocument;
      // A settle failure: counted (`GuardSettleFailures`, the manifest's `settleFailures`) and logged by the port.
      throw new Error('a batch hold that names its own counters, not a hold kept in the ledger, was not settled (was the batch marker rewritten?); the real reservation is given back when it expires');
    }
    // Read with the ledger's own write permission (UpdateItem returns the item): no read grant is needed.
    let doc: HoldDocument;
    try {
      const { Attributes } = await this.send(new UpdateItemCommand({
        TableName: this.table, Key: { pk: { S: `hold#${parsed.r}` } },
        UpdateExpression: 'SET doc = doc', ConditionExpression: 'attribute_exists(doc)', ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }), this.budget(this.confirmTimeoutMs, deadlineOf(context)));
      doc = JSON.parse(Attributes!.doc.S!) as HoldDocument;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // The item is there without its document: settled already (the document went with the settlement).
      if ((error as { Item?: Item }).Item) return undefined;
      // No such item: the reference was rewritten, or its hold expired. A settle failure (counted and logged).
      throw new Error(`no hold is kept in the ledger under reference ${JSON.stringify(parsed.r)} (was the batch marker rewritten, or did the hold expire?); nothing was settled`);
    }
    // A reference moved from another tenant's marker settles nothing: it would move that tenant's counters.
    if (doc.n !== undefined && doc.n !== context.tenantId) {
      throw new Error(`the hold under reference ${JSON.stringify(parsed.r)} belongs to another tenant; nothing was settled`);
    }
    return doc;
  }

  /** Waits for the sweeps started beside reservations (tests; the settlement of a hold waits for its own). */
  async flush(): Promise<void> {
    await Promise.all(this.sweeps.values());
  }

  private settleUpdate(counter: HeldCounter, bucket: string, holdId: string | undefined, reserved: { tokens: number; costAtto: bigint }, actual: SpendAmount, swept: boolean): Update {
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
    if (holdId === undefined) {
      return {
        TableName: this.table, Key: { pk: { S: counter.k } },
        UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD tokens :t, costAtto :c, cacheReadTokens :cr, #bt :bt, #bc :bc',
        ConditionExpression: 'attribute_exists(#bt)',
        ExpressionAttributeNames: { '#bt': `${bucket}t`, '#bc': `${bucket}c` },
        ExpressionAttributeValues: values,
      };
    }
    values[':h'] = { S: holdId };
    values[':hs'] = { SS: [holdId] };
    // Only while the hold is live in its bucket: a swept one (given back already) is charged in full instead.
    return {
      TableName: this.table, Key: { pk: { S: counter.k } },
      UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD tokens :t, costAtto :c, cacheReadTokens :cr, #bt :bt, #bc :bc DELETE #bs :hs',
      ConditionExpression: 'contains(#bs, :h)',
      ExpressionAttributeNames: { '#bt': `${bucket}t`, '#bc': `${bucket}c`, '#bs': `${bucket}s` },
      ExpressionAttributeValues: values,
    };
  }

  /**
   * All counters reserved, or none: on a refusal or a fail-closed ledger the reserved ones are compensated and the
   * refusal thrown; a fail-open group is counted by its container fallback instead. A write whose outcome is unknown
   * is withdrawn (awaited before a refusal, so that its message can say whether anything stays counted; beside the
   * call for a fail-open group, whose settlement waits for it).
   */
  private async conclude(context: SpendContext, outcomes: GroupOutcome[], estimate: SpendAmount | undefined, admits: boolean, bucket: string, holdId: string) {
    const resolved: GroupOutcome[] = [];
    const unknown: UnknownWrite[] = [];
    const closed: CounterGroup[] = [];
    for (const outcome of outcomes) {
      if (outcome.kind !== 'unavailable') {
        resolved.push(outcome);
        continue;
      }
      unknown.push(outcome.attempt);
      const event = { scope: outcome.group.scope, window: outcome.group.window, tenantId: context.tenantId, userId: context.userId, feature: context.feature, error: String(outcome.error) };
      if (outcome.group.failure === 'closed') {
        this.options.onEvent?.({ kind: 'failClosed', ...event });
        closed.push(outcome.group);
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
    if (refused.length === 0 && closed.length === 0) {
      // Beside the model call, within the request's time: the settlement waits for them.
      return { reserved, withdrawing: unknown.map((u) => this.withdraw(u, bucket, holdId, deadlineOf(context)).then(() => undefined)) };
    }
    // Before a refusal: a short, bounded wait (the caller is told to retry in seconds), never the request's whole time.
    const until = this.refusalDeadline(context);
    const left = (await Promise.all([
      ...reserved.map((r) => this.compensate(context, r, bucket, holdId, until)),
      ...unknown.map(async (u) => (await this.withdraw(u, bucket, holdId, until)) ? undefined : u),
    ])).filter((u): u is UnknownWrite => u !== undefined);
    const limit = refused.find((r) => r.error.status === 429);
    // A limit reached (429) says more than an unreachable ledger (503); both say what may stay counted.
    if (limit) throw withLeftCounted(limit.error, left, bucket);
    if (closed.length > 0) throw this.unavailable(closed[0], left, bucket);
    throw refused[0].error;
  }

  /** The 503 of a fail-closed group, true to what may stay counted (see {@link leftCounted}). */
  private unavailable(group: CounterGroup, left: ReadonlyArray<UnknownWrite>, bucket: string): PipelineError {
    const parts = leftCounted(left, bucket);
    const given = parts.length === 0 ? 'nothing was charged' : `nothing was billed, but ${parts.join('; and ')}`;
    return new PipelineError(503, 'USAGE_LEDGER_UNAVAILABLE',
      `The usage ledger cannot be reached, and the ${group.scope} limit per ${group.window} fails closed; ${given}. Retry in a few seconds.`,
      { scope: group.scope, window: group.window, retryAfterSeconds: 5, charged: parts.length > 0 });
  }

  /** Gives back what a refused request reserved; what could not be confirmed given back, if anything. */
  private async compensate(context: SpendContext, reserved: Extract<GroupOutcome, { kind: 'reserved' }>, bucket: string, holdId: string, until: number | undefined): Promise<UnknownWrite | undefined> {
    if (reserved.fallbackHold !== undefined) {
      await this.fallbackOf(reserved.group).settle(context, reserved.fallbackHold, { tokens: 0, cacheReadTokens: 0, costAtto: 0n }, { tokens: 0, cacheReadTokens: 0, costAtto: 0n }, `${context.path}:${context.requestId}:refused`);
    }
    if (!reserved.key) return undefined;
    const { requests, spend: spends } = reserved.counted;
    if (requests === 0 && !spends) return undefined;
    const write: UnknownWrite = { group: reserved.group, key: reserved.key, expiresAt: reserved.expiresAt, counted: reserved.counted };
    if (spends) return (await this.withdraw(write, bucket, holdId, until)) ? undefined : write;
    // A request count alone carries no hold id: its compensation is a plain decrement, once.
    const budget = this.budget(this.timeoutMs, until);
    if (budget <= 0) return write;
    try {
      await this.send(new UpdateItemCommand({
        TableName: this.table, Key: { pk: { S: reserved.key } },
        UpdateExpression: 'ADD requests :r', ExpressionAttributeValues: { ':r': { N: String(-requests) } },
      }), budget);
      return undefined;
    } catch {
      return write;
    }
  }

  /** When the withdrawals before a refusal stop: `refusalConfirmMs` from now, and never past the request's deadline. */
  private refusalDeadline(context: SpendContext): number {
    const bounded = this.now() + this.refusalConfirmMs;
    const deadline = deadlineOf(context);
    return deadline === undefined ? bounded : Math.min(bounded, deadline);
  }

  /** The time one try may take: its own limit, within what is left before `until` (0: no time left). */
  private budget(limitMs: number, until: number | undefined): number {
    return until === undefined ? limitMs : Math.max(0, Math.min(limitMs, until - this.now()));
  }

  /**
   * Undoes a reservation write of `holdId` whether or not it landed: takes its amounts out if its id is live in the
   * bucket, else fences the id so that the write, landing late, is refused. Each step is conditional, so repeating
   * either (a timeout, a step that lost a race with the late write) never undoes twice. Whether it is confirmed.
   */
  private async withdraw(write: UnknownWrite, bucket: string, holdId: string, until: number | undefined): Promise<boolean> {
    // A request counted alone carries no hold id: nothing can tell whether it landed, so it may stay counted.
    if (!write.counted.spend) return false;
    const names = { '#bt': `${bucket}t`, '#bc': `${bucket}c`, '#bs': `${bucket}s`, '#bx': `${bucket}x` };
    for (let round = 0; round < MAX_CONFIRM_ROUNDS; round++) {
      let budget = this.budget(this.confirmTimeoutMs, until);
      if (budget <= 0) return false;
      try {
        await this.send(new UpdateItemCommand({
          TableName: this.table, Key: { pk: { S: write.key } },
          UpdateExpression: 'ADD requests :r, tokens :t, costAtto :c, #bt :t, #bc :c DELETE #bs :hs',
          ConditionExpression: 'contains(#bs, :h)',
          ExpressionAttributeNames: { '#bt': names['#bt'], '#bc': names['#bc'], '#bs': names['#bs'] },
          ExpressionAttributeValues: {
            ':r': { N: String(-write.counted.requests) }, ':t': { N: String(-write.counted.tokens) }, ':c': { N: (-write.counted.costAtto).toString() },
            ':h': { S: holdId }, ':hs': { SS: [holdId] },
          },
        }), budget);
        return true;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') continue;
      }
      budget = this.budget(this.confirmTimeoutMs, until);
      if (budget <= 0) return false;
      try {
        // Not there (yet): fenced, in a bucket the sweep removes at its expiry (hence the zero amounts).
        await this.send(new UpdateItemCommand({
          TableName: this.table, Key: { pk: { S: write.key } },
          UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD #bx :hs, #bt :z, #bc :z',
          ConditionExpression: 'NOT contains(#bs, :h)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':e': { N: String(write.expiresAt) }, ':z': { N: '0' }, ':h': { S: holdId }, ':hs': { SS: [holdId] } },
        }), budget);
        return true;
      } catch {
        // The late write landed between the two steps, or the ledger is still slow: the next round sees which.
      }
    }
    return false;
  }

  /**
   * Reserves on one group's counter: a random shard first, then the next ones (at most {@link MAX_SHARD_TRIES}),
   * each only within its share of the limit. A refusal whose item holds expired reservations sweeps them and
   * tries again once.
   */
  private async reserveGroup(group: CounterGroup, context: SpendContext, estimate: SpendAmount | undefined, countRequest: boolean, bucket: string, holdId: string): Promise<GroupOutcome> {
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
          const item = await this.updateCounter(key, expiresAt, countRequest, estimate, bucket, share, holdId);
          return { kind: 'reserved', group, key, expiresAt, item, counted, share };
        } catch (error) {
          const name = (error as Error).name;
          if (name === 'ConditionalCheckFailedException') {
            const item = (error as { Item?: Item }).Item;
            // The SDK repeated a write that had landed: this reservation holds, as the item shows.
            if (estimate && item?.[`${bucket}s`]?.SS?.includes(holdId)) return { kind: 'reserved', group, key, expiresAt, item, counted, share };
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
          // Timed out or failed once sent: the write may still land. A reservation is withdrawn by its hold id; a
          // request counted alone cannot be, and is reported as possibly counted.
          return { kind: 'unavailable', group, error, attempt: { group, key, expiresAt, counted } };
        }
      }
    }
    return { kind: 'refused', error: this.refusalOf(group, context, countRequest, estimate, refusal!, window.endsAtMs) };
  }

  private async updateCounter(key: string, expiresAt: number, countRequest: boolean, estimate: SpendAmount | undefined, bucket: string, share: Shares, holdId: string): Promise<Item | undefined> {
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
      // The hold id goes into the bucket's live set, once, and never after it was fenced (withdrawn unlanded).
      adds.push('tokens :t', 'costAtto :c', '#bt :t', '#bc :c', '#bs :hs');
      names['#bt'] = `${bucket}t`;
      names['#bc'] = `${bucket}c`;
      names['#bs'] = `${bucket}s`;
      names['#bx'] = `${bucket}x`;
      values[':t'] = { N: String(estimate.tokens) };
      values[':c'] = { N: estimate.costAtto.toString() };
      values[':h'] = { S: holdId };
      values[':hs'] = { SS: [holdId] };
      conditions.push('NOT contains(#bs, :h)', 'NOT contains(#bx, :h)');
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
    // The shard's usage, scaled to the whole limit (exact when the limit is not sharded): whole requests and tokens,
    // dollars to the micro-dollar (never rounded to a whole dollar).
    const scaled = (used: number, part: number, whole: number, unit = 1) => (part > 0 ? Math.min(whole, Math.round((used * whole * unit) / part) / unit) : whole);
    if (countRequest && share.requests !== undefined && (num(item?.requests) + 1 > share.requests)) {
      return limitExceeded(limit, 'requests', scaled(num(item?.requests), share.requests, group.maxRequests!), group.maxRequests!, endsAtMs, context.nowMs);
    }
    if (estimate && share.tokens !== undefined && num(item?.tokens) + estimate.tokens > share.tokens) {
      return limitExceeded(limit, 'tokens', scaled(num(item?.tokens), share.tokens, group.maxTokens!), group.maxTokens!, endsAtMs, context.nowMs, estimate.tokens);
    }
    const usedAtto = big(item?.costAtto);
    const costShare = Number(share.costAtto ?? 0n) / 1e18;
    return limitExceeded(limit, 'costUsd', scaled(Number(usedAtto) / 1e18, costShare, group.maxCostUsd ?? 0, 1e6), group.maxCostUsd ?? 0, endsAtMs, context.nowMs, Number(estimate?.costAtto ?? 0n) / 1e18);
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
          UpdateExpression: `REMOVE #bt, #bc, #bs, #bx${tokens !== 0 || costAtto !== 0n ? ' ADD tokens :nt, costAtto :nc' : ''}`,
          ConditionExpression: '#bt = :t AND #bc = :c',
          ExpressionAttributeNames: { '#bt': `h${b}t`, '#bc': `h${b}c`, '#bs': `h${b}s`, '#bx': `h${b}x` },
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
  private send(command: UpdateItemCommand, timeoutMs?: number): Promise<UpdateItemCommandOutput>;
  private send(command: PutItemCommand, timeoutMs?: number): Promise<PutItemCommandOutput>;
  private send(command: TransactWriteItemsCommand, timeoutMs?: number): Promise<TransactWriteItemsCommandOutput>;
  private send(command: UpdateItemCommand | PutItemCommand | TransactWriteItemsCommand, timeoutMs = this.timeoutMs): Promise<unknown> {
    return this.client.send(command as UpdateItemCommand, { abortSignal: this.abortAfter(timeoutMs) });
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

/** When a context's ledger calls must be done: its deadline less the margin to answer. */
function deadlineOf(context: SpendContext): number | undefined {
  return context.deadlineMs === undefined ? undefined : context.deadlineMs - LEDGER_DEADLINE_MARGIN_MS;
}

/** When an expiry bucket (`h<end in base-36 seconds>`) ends: its holds are swept back by the next request after. */
function bucketEndMs(bucket: string): number {
  return parseInt(bucket.slice(1), 36) * 1000;
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

/** A random id for one reservation (96 bits, 16 characters: small in the counter's set of live holds). */
function newHoldId(): string {
  return randomBytes(12).toString('base64url');
}

/** Whether a write that failed may have been applied all the same (it timed out or failed after being sent). */
function mayHaveLanded(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'TimeoutError' || name === 'AbortError' || ($metadata?.httpStatusCode ?? 500) >= 500;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * What a refused request may leave counted, as phrases: nothing; a reservation's tokens and cost until its expiry
 * bucket ends (then swept back); a request counted on a request limit, which nothing gives back in its window.
 */
function leftCounted(left: ReadonlyArray<UnknownWrite>, bucket: string): string[] {
  const parts: string[] = [];
  if (left.some((u) => u.counted.spend)) {
    parts.push(`a reservation the ledger may have recorded could not be confirmed withdrawn; its tokens and cost are given back once it expires (${new Date(bucketEndMs(bucket)).toISOString()})`);
  }
  const requests = left.filter((u) => u.counted.requests > 0);
  if (requests.length > 0) {
    const windows = [...new Set(requests.map((u) => `${u.group.scope} limit per ${u.group.window}`))].join(', ');
    parts.push(`this request may stay counted as one request in this window of the ${windows}`);
  }
  return parts;
}

/** A 429 whose other writes could not all be confirmed withdrawn says so, as the 503 does (`charged: true`). */
function withLeftCounted(error: PipelineError, left: ReadonlyArray<UnknownWrite>, bucket: string): PipelineError {
  const parts = leftCounted(left, bucket);
  if (parts.length === 0) return error;
  return new PipelineError(error.status, error.code, `${error.message} Nothing was billed, but ${parts.join('; and ')}.`, { ...error.details, charged: true });
}
