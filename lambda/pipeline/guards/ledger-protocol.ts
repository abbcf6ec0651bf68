import {
  DynamoDBClient, PutItemCommand, PutItemCommandOutput, UpdateItemCommand, UpdateItemCommandInput, UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { PipelineError } from '../errors';
import type { ContainerUsageGuard } from './container-usage-guard';
import {
  AllowanceAmounts, attoAttribute, bucketAttributes, CounterShare, dropGivenBackUpdate, expiredBuckets, fenceUpdate, holdIsLive, holdRecordPut, holdRecordRead, holdRecordRemoval,
  holdWasGivenBack, Item, numberAttribute, reserveCounterUpdate, settleAllowanceUpdate, settleCounterUpdate, settleGivenBackUpdate, staleGivenBackBuckets, sweepUpdate,
  uncountRequestsUpdate, withdrawUpdate,
} from './ledger-expressions';
import type { LedgerEvent } from './ledger-guard';
import { allowanceAmountsOf, encodeHold, HeldCounter, LedgerHold } from './ledger-hold';
import { CounterGroup, counterKey, limitsSpend, scopeIdOf, shareOf, shareOfAtto } from './ledger-limits';
import { Counted, ledgerUnavailable, limitRefusal, UnconfirmedWrite, withWhatMayStayCounted } from './ledger-refusals';
import { NO_SPEND, SpendAmount, SpendContext } from './spend-guard';
import { windowOf } from './usage-windows';

/** How the protocol talks to its table, and how long it waits. */
export interface LedgerProtocolOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly timeoutMs: number;
  readonly confirmTimeoutMs: number;
  readonly refusalConfirmMs: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly abortAfter: (ms: number) => AbortSignal;
  readonly onEvent?: (event: LedgerEvent) => void;
  /** The per-container count of a group whose ledger calls fail open. */
  readonly fallbackOf: (group: CounterGroup) => ContainerUsageGuard;
}

/** What one reservation asks of its counter groups. */
export interface ReservationRequest {
  /** Reserved on the groups that limit tokens or cost; absent: only requests are counted. */
  readonly estimate?: SpendAmount;
  /** Counts the request on the groups that limit requests. */
  readonly countsRequest: boolean;
  readonly bucket: string;
  readonly holdId: string;
}

/** A counter group a reservation passed: on its ledger counter (`key`) or, failing open, on its container fallback. */
export interface ReservedCounter {
  readonly group: CounterGroup;
  /** The counter's key; absent when the group failed open. */
  readonly key?: string;
  readonly expiresAt: number;
  /** The item the write returned: the limit status, and expired buckets to sweep. */
  readonly item?: Item;
  readonly counted: Counted;
  /** The container fallback's hold, when the group failed open. */
  readonly fallbackHold?: string;
  readonly share?: CounterShare;
}

/** A container allowance to reserve on one counter: the counter seen last, and what to take from it. */
export interface AllowanceGrant {
  readonly group: CounterGroup;
  readonly key: string;
  readonly expiresAt: number;
  readonly share: CounterShare;
  readonly bucket: string;
  readonly holdId: string;
  readonly amounts: AllowanceAmounts;
}

/** The outcome of reserving on one group's counter. */
type CounterOutcome =
  | ({ readonly kind: 'reserved' } & ReservedCounter)
  | { readonly kind: 'refused'; readonly error: PipelineError }
  | { readonly kind: 'unavailable'; readonly group: CounterGroup; readonly error: unknown; readonly write: UnconfirmedWrite };

/** Counter items outlive their window by this much, then TTL removes them. */
const COUNTER_GRACE_SECONDS = 86_400;
const MAX_SHARD_TRIES = 4;
const MAX_CONFLICT_RETRIES = 8;
/** Rounds of withdraw-or-fence for a write whose outcome is unknown, and tries of a settlement write that timed out. */
const MAX_CONFIRM_ROUNDS = 3;
/**
 * Time kept back before the request's deadline (`SpendContext.deadlineMs`) to answer: no confirmation or settlement
 * try runs into it, so a slow table never holds the function past its timeout.
 */
export const LEDGER_DEADLINE_MARGIN_MS = 250;
/** Throttling errors: the write was refused, so it did not land and may be tried again. */
const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/**
 * The reserve/settle protocol of the usage ledger, over one DynamoDB table (items and expressions:
 * `./ledger-expressions`; the hold record: `./ledger-hold`).
 *
 * - **Reserve**: one conditional `UpdateItem` per counter (a scope's window, or one shard of it), all in parallel,
 *   each only within its share of the limit. When one counter refuses, the ones that reserved are compensated.
 *   Chosen over `TransactWriteItems`: the same single round, half the write units (a transaction costs 2×), and no
 *   `TransactionConflict` on a hot counter (concurrent transactions on one item cancel each other; conditional
 *   updates on it just serialize). The price: between a refusal and its compensation another request may be refused
 *   spuriously, never over-admitted.
 * - **Unknown outcomes**: a reservation whose write timed out is withdrawn (if its hold is live) or fenced (if not),
 *   so a write that lands late changes nothing: a 503 or 429 that says nothing was charged is true. A request counted
 *   alone (no token or USD limit) carries no hold id: when its write's outcome is unknown, the 503 says it may stay
 *   counted (`charged: true`).
 * - **Settle**: one conditional `UpdateItem` per counter, all in parallel (one round, no transaction, no marker):
 *   `ADD actual - reserved`, only while the hold's id is live in the counter's bucket, taking it out by the same
 *   write. Each counter settles exactly once by itself, however often the settlement is delivered (the argument:
 *   {@link LedgerProtocol.settle}), and a retried request, whose reservation is a new one, settles its own. A
 *   counter whose write times out or is throttled is tried again alone, each try within the request's deadline. A
 *   batch hold's record goes after its counters.
 * - **Expiry**: a bucket past its end that still holds something holds reservations whose Lambda died: the next
 *   request that sees it (every update returns the item) gives it back (a sweep) and reports `holdsExpired`. In a
 *   bucket whose holds may be settled after it ends (a batch job's), the sweep keeps the ids it gave back for a
 *   while, so that a late settlement adds what was billed, once; a request bucket keeps none (no invocation outlives
 *   a request hold), so dead Lambdas' ids never pile up in a hot counter's item.
 * - **Unreachable ledger**: per limit, fail closed (503) or open (counted in this container by its fallback), each
 *   time reported.
 */
export class LedgerProtocol {
  private readonly table: string;
  private readonly sweeping = new Set<string>();

  constructor(private readonly options: LedgerProtocolOptions) {
    this.table = options.tableName;
  }

  /**
   * Reserves on every group, or on none: on a refusal or a fail-closed ledger the reserved ones are compensated and
   * the refusal thrown; a fail-open group is counted by its container fallback instead. A write whose outcome is
   * unknown is withdrawn: awaited before a refusal, so that its message can say whether anything stays counted;
   * beside the call for a fail-open group (`withdrawing`, which the settlement waits for).
   */
  async reserve(context: SpendContext, groups: ReadonlyArray<CounterGroup>, request: ReservationRequest): Promise<{ reserved: ReservedCounter[]; withdrawing: Promise<void>[] }> {
    const outcomes = await Promise.all(groups.map((group) => this.reserveCounter(group, context, request)));
    const resolved: CounterOutcome[] = [];
    const unknown: UnconfirmedWrite[] = [];
    const closed: CounterGroup[] = [];
    for (const outcome of outcomes) {
      if (outcome.kind !== 'unavailable') {
        resolved.push(outcome);
        continue;
      }
      unknown.push(outcome.write);
      const event = { scope: outcome.group.scope, window: outcome.group.window, tenantId: context.tenantId, userId: context.userId, feature: context.feature, error: String(outcome.error) };
      if (outcome.group.failure === 'closed') {
        this.options.onEvent?.({ kind: 'failClosed', ...event });
        closed.push(outcome.group);
        continue;
      }
      this.options.onEvent?.({ kind: 'failOpen', ...event });
      const fallback = this.options.fallbackOf(outcome.group);
      try {
        let fallbackHold: string | undefined;
        if (request.countsRequest && outcome.group.maxRequests !== undefined) await fallback.admit(context);
        if (request.estimate !== undefined && limitsSpend(outcome.group)) fallbackHold = await fallback.reserve(context, request.estimate);
        resolved.push({ kind: 'reserved', group: outcome.group, expiresAt: 0, counted: { requests: 0, spend: false, tokens: 0, costAtto: 0n }, fallbackHold });
      } catch (error) {
        resolved.push({ kind: 'refused', error: error as PipelineError });
      }
    }
    const refused = resolved.filter((o): o is Extract<CounterOutcome, { kind: 'refused' }> => o.kind === 'refused');
    const reserved = resolved.filter((o): o is Extract<CounterOutcome, { kind: 'reserved' }> => o.kind === 'reserved');
    const { bucket, holdId } = request;
    if (refused.length === 0 && closed.length === 0) {
      // Beside the model call, within the request's time: the settlement waits for them.
      return { reserved, withdrawing: unknown.map((u) => this.withdraw(u, bucket, holdId, deadlineOf(context)).then(() => undefined)) };
    }
    // Before a refusal: a short, bounded wait (the caller is told to retry in seconds), never the request's whole time.
    const until = this.refusalDeadline(context);
    const unconfirmed = (await Promise.all([
      ...reserved.map((r) => this.compensate(context, r, bucket, holdId, until)),
      ...unknown.map(async (u) => (await this.withdraw(u, bucket, holdId, until)) ? undefined : u),
    ])).filter((u): u is UnconfirmedWrite => u !== undefined);
    const limit = refused.find((r) => r.error.status === 429);
    // A limit reached (429) says more than an unreachable ledger (503); both say what may stay counted.
    if (limit) throw withWhatMayStayCounted(limit.error, unconfirmed, bucket);
    if (closed.length > 0) throw ledgerUnavailable(closed[0], unconfirmed, bucket);
    throw refused[0].error;
  }

  /**
   * Settles a hold on its counters, each by its own conditional `UpdateItem`, all at once (one round, no
   * transaction); a batch hold's record goes once all are settled.
   *
   * Exactly once, per counter, without a marker: a counter's settlement applies only while the hold's id is in its
   * bucket's live set, and the write that applies it takes the id out, atomically (one item, one write). So:
   * - a retry, a duplicate delivery, a racing second settlement, or the SDK repeating a write that had landed finds
   *   the id gone and changes nothing (DynamoDB applies conditional writes on one item one after the other);
   * - a write whose outcome is unknown (timed out) is sent again: it lands once, whichever of the two lands;
   * - a partial failure (some counters settled, one throttled or timed out past its tries) throws; delivered again,
   *   the settled counters find their id gone and only the others apply;
   * - a hold its bucket's sweep gave back (its reservation no longer counts) is not live but in the bucket's
   *   given-back set (`<bucket>g`, put by the sweep by the same write that gave the amounts back): its settlement adds
   *   what was billed in full and takes the id out of that set, again only while it is there. The failed condition
   *   returns the item, which tells the two cases apart, so the common case is one write per counter.
   * An id that is in neither set was settled already (the reservation did land on each of the hold's counters: the
   * hold names only those). The limits: a settlement arriving more than `GIVEN_BACK_KEPT_SECONDS` after its bucket's
   * end, once the sweep's record of it is dropped, adds nothing; so does a request hold's after its bucket's sweep
   * (it cannot happen: the hold outlives the invocation), and a batch hold's beyond the first `MAX_GIVEN_BACK_IDS`
   * one sweep gave back.
   */
  async settle(context: SpendContext, hold: LedgerHold, actual: SpendAmount): Promise<void> {
    const { holdId } = hold;
    // Holds without an id predate this protocol: none can reach it (request holds live one invocation, batch holds
    // are references to records kept with their id), and nothing could make settling one idempotent.
    if (holdId === undefined) throw new Error('a hold reserved before hold ids existed cannot be settled exactly once; it is given back when it expires');
    const settled = await Promise.allSettled(hold.counters.map((counter) => this.settleCounter(context, hold.bucket, holdId, hold, counter, actual)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    // Delivered again, the counters settled here change nothing and the others apply.
    if (failed) throw failed.reason;
    // After the counters: a settlement delivered again finds the record while any counter is unsettled.
    if (context.path === 'batch') await this.writeUntilDone(context, () => holdRecordRemoval(this.table, holdId));
  }

  /**
   * Reserves a container allowance on one counter (`./ledger-allowances`): one conditional `UpdateItem` within the
   * counter's share, under its own hold id, not held in its bucket's sums. Refused: the allowance does not fit (the
   * container goes on reserving call by call). A write of unknown outcome is withdrawn before this returns, so an
   * allowance nobody holds is never left counted unless the ledger stayed unreachable through the confirmation.
   */
  async grantAllowance(context: SpendContext, grant: AllowanceGrant): Promise<Item | undefined> {
    const { key, expiresAt, bucket, holdId, amounts, share } = grant;
    const estimate: SpendAmount = { tokens: amounts.tokens, cacheReadTokens: 0, costAtto: amounts.costAtto };
    const input = reserveCounterUpdate(this.table, {
      key, expiresAt, bucket, holdId, share, estimate, heldInBucket: false, countRequest: amounts.requests > 0, requests: amounts.requests,
    });
    // Beside a call, within its time: a grant that cannot be tried before the deadline is not tried.
    const tryMs = this.tryTime(this.options.timeoutMs, deadlineOf(context));
    if (tryMs <= 0) return undefined;
    try {
      return (await this.send(new UpdateItemCommand(input), tryMs)).Attributes;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        const item = (error as { Item?: Item }).Item;
        // The SDK repeated a write that had landed: the allowance holds.
        return holdIsLive(item, bucket, holdId) ? item : undefined;
      }
      if (!mayHaveLanded(error)) return undefined;
      const counted: Counted = { requests: amounts.requests, spend: true, tokens: amounts.tokens, costAtto: amounts.costAtto };
      // Bounded as before a refusal: the call beside which it runs must not wait on a slow ledger for its whole time.
      await this.withdraw({ group: grant.group, key, expiresAt, counted, allowance: true }, bucket, holdId, this.refusalDeadline(context));
      return undefined;
    }
  }

  /**
   * Settles a container allowance once (by its id, like a hold): what its container used replaces what it took.
   * Delivered after its bucket's sweep it changes nothing (the allowance stays counted whole).
   */
  async settleAllowance(context: SpendContext, grant: Pick<AllowanceGrant, 'key' | 'expiresAt' | 'bucket' | 'holdId' | 'amounts'>, used: AllowanceAmounts & { readonly cacheReadTokens: number }): Promise<void> {
    await this.writeUntilDone(context, () => settleAllowanceUpdate(this.table, grant, grant.bucket, grant.holdId, grant.amounts, used), () => 'done');
  }

  /**
   * Keeps a batch hold's record in the ledger table (its holder gets only a reference to it); on failure nothing
   * stays reserved and the ledger counts as unreachable (503).
   */
  async keepHold(context: SpendContext, hold: LedgerHold, reserved: ReadonlyArray<ReservedCounter>): Promise<void> {
    const holdId = hold.holdId!;
    try {
      const expiresAt = Math.max(...hold.counters.map((c) => c.expiresAt));
      await this.send(new PutItemCommand(holdRecordPut(this.table, holdId, encodeHold(hold), expiresAt)), this.tryTime(this.options.confirmTimeoutMs, deadlineOf(context)));
    } catch (error) {
      const until = this.refusalDeadline(context);
      const unconfirmed = (await Promise.all(reserved.map((r) => this.compensate(context, r, hold.bucket, holdId, until)))).filter((u): u is UnconfirmedWrite => u !== undefined);
      const group = reserved.find((r) => r.key)!.group;
      this.options.onEvent?.({ kind: 'failClosed', scope: group.scope, window: group.window, tenantId: context.tenantId, userId: context.userId, feature: context.feature, error: String(error) });
      throw ledgerUnavailable(group, unconfirmed, hold.bucket);
    }
  }

  /**
   * The encoded record of a batch hold kept in the ledger, or undefined once settled. Throws (a settle failure,
   * counted and logged by the port) when there is no such hold.
   */
  async readKeptHold(context: SpendContext, holdId: string): Promise<string | undefined> {
    try {
      const { Attributes } = await this.send(new UpdateItemCommand(holdRecordRead(this.table, holdId)), this.tryTime(this.options.confirmTimeoutMs, deadlineOf(context)));
      return Attributes!.doc.S!;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // The item is there without its document: settled already (the document went with the settlement).
      if ((error as { Item?: Item }).Item) return undefined;
      throw new Error(`no hold is kept in the ledger under reference ${JSON.stringify(holdId)} (was the batch marker rewritten, or did the hold expire?); nothing was settled`, { cause: error });
    }
  }

  /**
   * Gives back what expired buckets of a counter still hold (reservations whose Lambda died before settling), only
   * if they still hold what was seen, and drops emptied ones so the item stays small.
   */
  async sweep(key: string, item: Item, group: CounterGroup, context: SpendContext): Promise<void> {
    const expired = expiredBuckets(item, context.nowMs);
    const stale = staleGivenBackBuckets(item, context.nowMs);
    if (expired.length === 0 && stale.length > 0) {
      await this.send(new UpdateItemCommand(dropGivenBackUpdate(this.table, key, stale))).catch(() => undefined);
      return;
    }
    await Promise.all(expired.map(async (bucket, i) => {
      const id = `${key}|${bucket}`;
      if (this.sweeping.has(id)) return;
      this.sweeping.add(id);
      const held = bucketAttributes(bucket);
      const tokens = numberAttribute(item[held.tokens]);
      const costAtto = attoAttribute(item[held.costAtto]);
      const liveHolds = item[held.liveHolds]?.SS ?? [];
      try {
        // The given-back sets past their time go with the first bucket's sweep.
        await this.send(new UpdateItemCommand(sweepUpdate(this.table, key, bucket, { tokens, costAtto, liveHolds }, i === 0 ? stale : [])));
        const where = { scope: group.scope, window: group.window, tenantId: context.tenantId, userId: context.userId, feature: context.feature };
        if (tokens !== 0 || costAtto !== 0n) {
          this.options.onEvent?.({ kind: 'holdsExpired', ...where, tokens, costUsd: Number(costAtto) / 1e18 });
        }
        // Container allowances dropped unsettled: nothing is given back (what their containers used is unknown).
        const dead = liveHolds.map(allowanceAmountsOf).filter((a) => a !== undefined);
        if (dead.length > 0) {
          const heldAtto = dead.reduce((sum, a) => sum + a.costAtto, 0n);
          this.options.onEvent?.({ kind: 'allowancesExpired', ...where, tokens: dead.reduce((sum, a) => sum + a.tokens, 0), costUsd: Number(heldAtto) / 1e18 });
        }
      } catch {
        // Another request swept it first, or a late settlement changed it: the next one to see it tries again.
      } finally {
        this.sweeping.delete(id);
      }
    }));
  }

  /**
   * Reserves on one group's counter: a random shard first, then the next ones (at most {@link MAX_SHARD_TRIES}),
   * each only within its share of the limit. A refusal whose item holds expired reservations sweeps them and
   * tries again once.
   */
  private async reserveCounter(group: CounterGroup, context: SpendContext, request: ReservationRequest): Promise<CounterOutcome> {
    const estimate = limitsSpend(group) ? request.estimate : undefined;
    const countRequest = request.countsRequest && group.maxRequests !== undefined;
    const { bucket, holdId } = request;
    const window = windowOf(group.window, context.nowMs);
    const scopeId = scopeIdOf(group.scope, context, group.runId);
    const expiresAt = Math.ceil(window.endsAtMs / 1000) + COUNTER_GRACE_SECONDS;
    const first = Math.floor(this.options.random() * group.shards);
    const tries = Math.min(group.shards, MAX_SHARD_TRIES);
    const counted: Counted = { requests: countRequest ? 1 : 0, spend: estimate !== undefined, tokens: estimate?.tokens ?? 0, costAtto: estimate?.costAtto ?? 0n };
    let refusal: { item: Item | undefined; share: CounterShare } | undefined;
    for (let n = 0; n < tries; n++) {
      const shard = (first + n) % group.shards;
      const share: CounterShare = {
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
          const { Attributes: item } = await this.send(new UpdateItemCommand(reserveCounterUpdate(this.table, { key, expiresAt, countRequest, estimate, bucket, holdId, share })));
          return { kind: 'reserved', group, key, expiresAt, item, counted, share };
        } catch (error) {
          const name = (error as Error).name;
          if (name === 'ConditionalCheckFailedException') {
            const item = (error as { Item?: Item }).Item;
            // The SDK repeated a write that had landed: this reservation holds, as the item shows.
            if (estimate && holdIsLive(item, bucket, holdId)) return { kind: 'reserved', group, key, expiresAt, item, counted, share };
            if (attempt === 0 && item && expiredBuckets(item, context.nowMs).length > 0) {
              await this.sweep(key, item, group, context);
              continue;
            }
            refusal = { item, share };
            break;
          }
          if (name === 'TransactionConflictException' && attempt < MAX_CONFLICT_RETRIES) {
            await pause(this.options.random() * 10 * (attempt + 1));
            continue;
          }
          // Timed out or failed once sent: the write may still land. A reservation is withdrawn by its hold id; a
          // request counted alone cannot be, and is reported as possibly counted.
          return { kind: 'unavailable', group, error, write: { group, key, expiresAt, counted } };
        }
      }
    }
    return { kind: 'refused', error: limitRefusal(group, context, countRequest, estimate, refusal!, window.endsAtMs) };
  }

  /** Gives back what a refused request reserved on one group; what could not be confirmed given back, if anything. */
  private async compensate(context: SpendContext, reserved: ReservedCounter, bucket: string, holdId: string, until: number | undefined): Promise<UnconfirmedWrite | undefined> {
    if (reserved.fallbackHold !== undefined) {
      await this.options.fallbackOf(reserved.group).settle(context, reserved.fallbackHold, NO_SPEND, NO_SPEND, `${context.path}:${context.requestId}:refused`);
    }
    if (!reserved.key) return undefined;
    const { requests, spend: spends } = reserved.counted;
    if (requests === 0 && !spends) return undefined;
    const write: UnconfirmedWrite = { group: reserved.group, key: reserved.key, expiresAt: reserved.expiresAt, counted: reserved.counted };
    if (spends) return (await this.withdraw(write, bucket, holdId, until)) ? undefined : write;
    // A request count alone carries no hold id: its compensation is a plain decrement, once.
    const tryMs = this.tryTime(this.options.timeoutMs, until);
    if (tryMs <= 0) return write;
    try {
      await this.send(new UpdateItemCommand(uncountRequestsUpdate(this.table, reserved.key, requests)), tryMs);
      return undefined;
    } catch {
      return write;
    }
  }

  /**
   * Undoes a reservation write of `holdId` whether or not it landed: takes its amounts out if its id is live in the
   * bucket, else fences the id so that the write, landing late, is refused. Each step is conditional, so repeating
   * either (a timeout, a step that lost a race with the late write) never undoes twice. Whether it is confirmed.
   */
  private async withdraw(write: UnconfirmedWrite, bucket: string, holdId: string, until: number | undefined): Promise<boolean> {
    // A request counted alone carries no hold id: nothing can tell whether it landed, so it may stay counted.
    if (!write.counted.spend) return false;
    for (let round = 0; round < MAX_CONFIRM_ROUNDS; round++) {
      let tryMs = this.tryTime(this.options.confirmTimeoutMs, until);
      if (tryMs <= 0) return false;
      try {
        await this.send(new UpdateItemCommand(withdrawUpdate(this.table, write.key, bucket, holdId, write.counted, !write.allowance)), tryMs);
        return true;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') continue;
      }
      tryMs = this.tryTime(this.options.confirmTimeoutMs, until);
      if (tryMs <= 0) return false;
      try {
        // Not there (yet): fenced.
        await this.send(new UpdateItemCommand(fenceUpdate(this.table, write.key, bucket, holdId, write.expiresAt)), tryMs);
        return true;
      } catch {
        // The late write landed between the two steps, or the ledger is still slow: the next round sees which.
      }
    }
    return false;
  }

  /** Settles a hold on one counter, once (see {@link settle}); tried again while its outcome is unknown or throttled. */
  private async settleCounter(
    context: SpendContext, bucket: string, holdId: string, reserved: { readonly tokens: number; readonly costAtto: bigint }, counter: HeldCounter, actual: SpendAmount,
  ): Promise<void> {
    let givenBack = false;
    await this.writeUntilDone(context, () => (givenBack
      ? settleGivenBackUpdate(this.table, counter, bucket, holdId, actual)
      : settleCounterUpdate(this.table, counter, bucket, holdId, reserved, actual)), (error) => {
      // Not live: settled already, unless its bucket's sweep gave it back (then it is settled by that set, once).
      if (givenBack || !holdWasGivenBack((error as { Item?: Item }).Item, bucket, holdId)) return 'done';
      givenBack = true;
      return 'again';
    });
  }

  /**
   * Sends an idempotent write until it is known to have landed: a write that timed out (it may have landed) or was
   * throttled (it did not) is sent again, each try within the request's deadline. A failed condition is for
   * `onConditionFailed` to judge: done, or send (the write it now builds) again.
   */
  private async writeUntilDone(context: SpendContext, build: () => UpdateItemCommandInput, onConditionFailed?: (error: unknown) => 'done' | 'again'): Promise<void> {
    let lastError: unknown;
    // Counted apart: throttles (certainly not applied) must not use up the tries of a write that timed out (maybe
    // applied, so waited for), nor the other way round.
    let timeouts = 0;
    let throttles = 0;
    let conditionRetries = 0;
    for (let attempt = 0; ; attempt++) {
      // Each try within the time the request has left: past it, the settlement fails (counted), it does not time the function out.
      const tryMs = this.tryTime(attempt === 0 ? this.options.timeoutMs : this.options.confirmTimeoutMs, deadlineOf(context));
      if (tryMs <= 0) throw lastError ?? new Error('no time was left before the request\'s deadline to settle the hold');
      try {
        await this.send(new UpdateItemCommand(build()), tryMs);
        return;
      } catch (error) {
        lastError = error;
        const name = (error as Error).name;
        if (name === 'ConditionalCheckFailedException' && onConditionFailed) {
          if (onConditionFailed(error) === 'done') return;
          if (conditionRetries++ < MAX_CONFLICT_RETRIES) continue;
        }
        // Timed out or failed once sent: it is waited for longer (sent again), not lost.
        if (mayHaveLanded(error) && ++timeouts < MAX_CONFIRM_ROUNDS) continue;
        // Throttled after the SDK's own retries: certainly not applied, so tried again.
        if ((THROTTLED.has(name) || name === 'TransactionConflictException') && throttles < MAX_CONFLICT_RETRIES) {
          await pause(this.options.random() * 50 * ++throttles);
          continue;
        }
        throw error;
      }
    }
  }

  /** When the withdrawals before a refusal stop: `refusalConfirmMs` from now, and never past the request's deadline. */
  private refusalDeadline(context: SpendContext): number {
    const bounded = this.options.now() + this.options.refusalConfirmMs;
    const deadline = deadlineOf(context);
    return deadline === undefined ? bounded : Math.min(bounded, deadline);
  }

  /** The time one try may take: its own limit, within what is left before `until` (0: no time left). */
  private tryTime(limitMs: number, until: number | undefined): number {
    return until === undefined ? limitMs : Math.max(0, Math.min(limitMs, until - this.options.now()));
  }

  // Every ledger call is bounded in time (SDK retries included): a hanging ledger is an unreachable one.
  private send(command: UpdateItemCommand, timeoutMs?: number): Promise<UpdateItemCommandOutput>;
  private send(command: PutItemCommand, timeoutMs?: number): Promise<PutItemCommandOutput>;
  private send(command: UpdateItemCommand | PutItemCommand, timeoutMs = this.options.timeoutMs): Promise<unknown> {
    return this.options.client.send(command as UpdateItemCommand, { abortSignal: this.options.abortAfter(timeoutMs) });
  }
}

/** When a context's ledger calls must be done: its deadline less the margin to answer. */
function deadlineOf(context: SpendContext): number | undefined {
  return context.deadlineMs === undefined ? undefined : context.deadlineMs - LEDGER_DEADLINE_MARGIN_MS;
}

/** Whether a write that failed may have been applied all the same (it timed out or failed after being sent). */
function mayHaveLanded(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'TimeoutError' || name === 'AbortError' || ($metadata?.httpStatusCode ?? 500) >= 500;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
