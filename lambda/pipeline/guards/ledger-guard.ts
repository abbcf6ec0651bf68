import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GuardsConfig } from '../../../shared/contract';
import { ContainerUsageGuard } from './container-usage-guard';
import { AllowanceTicket, LedgerAllowances } from './ledger-allowances';
import { decodeHold, encodeHold, encodeHoldReference, expiryBucketOf, isHoldReference, LedgerHold, newHoldId } from './ledger-hold';
import { counterGroups, CounterGroup, limitsForTenant, limitsSpend, tierOf } from './ledger-limits';
import { LedgerProtocol, ReservedCounter } from './ledger-protocol';
import { CounterSeen, ledgerUnavailable, tightestLimit } from './ledger-refusals';
import { RunLinks } from './ledger-runs';
import { LimitStatus, NO_SPEND, RunRemaining, SpendAmount, SpendContext, SpendGuard } from './spend-guard';
import { windowOf } from './usage-windows';

/** Something the ledger guard reports: each is a metric (`GuardFailOpen`, `GuardFailClosed`, `GuardHoldsExpired`). */
export interface LedgerEvent {
  readonly kind: 'failOpen' | 'failClosed' | 'holdsExpired' | 'allowancesExpired';
  readonly scope: string;
  readonly window: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly feature: string;
  /**
   * For `holdsExpired`: what the expired reservations held and was given back. For `allowancesExpired`: what
   * container allowances never settled held, which stays counted (the most the ledger over-counts by).
   */
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

/**
 * Usage limits counted in a shared DynamoDB ledger: exact across every container of every workflow that shares
 * the table. The DynamoDB counterpart of {@link ContainerUsageGuard}, with the same limits and the same refusals.
 *
 * Each reservation is a hold (`./ledger-hold`) on the counters of the tenant's limits, reserved and settled by the
 * ledger's protocol (`./ledger-protocol`, over the items of `./ledger-expressions`). Cache reads are counted apart
 * (`cacheReadTokens`, at settlement) and limit nothing. `reserve` with `admits` counts the request in the same
 * write as the tokens, so the port may reserve before it knows whether the response cache answers. A run limit
 * counts on the request's run and each of its ancestors (the chain from `./ledger-runs`), one counter group per run.
 */
export class DynamoDbLedgerGuard implements SpendGuard {
  readonly name = 'usage-ledger';
  readonly admitsWhenReserving = true;
  private readonly protocol: LedgerProtocol;
  private readonly runs: RunLinks;
  private readonly groupsByTier = new Map<string, CounterGroup[]>();
  private readonly fallbacks = new Map<string, ContainerUsageGuard>();
  /** Per hold: the sweeps and withdrawals started beside its model call, which its settlement waits for. */
  private readonly besideTheCall = new Map<string, Promise<void>>();
  /** Container allowances of the limits that allow them (`allowanceSeconds`), and each live hold's tickets on them. */
  private readonly allowances: LedgerAllowances;
  private readonly tickets = new Map<string, AllowanceTicket[]>();
  private readonly holdMs: number;
  private readonly batchHoldMs: number;

  constructor(private readonly options: DynamoDbLedgerGuardOptions) {
    const confirmTimeoutMs = options.confirmTimeoutMs ?? 5000;
    this.protocol = new LedgerProtocol({
      client: options.client,
      tableName: options.tableName,
      timeoutMs: options.timeoutMs ?? 1500,
      confirmTimeoutMs,
      refusalConfirmMs: options.refusalConfirmMs ?? confirmTimeoutMs,
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
      abortAfter: options.abortAfter ?? ((ms) => AbortSignal.timeout(ms)),
      onEvent: options.onEvent,
      fallbackOf: (group) => this.fallbackOf(group),
    });
    this.runs = new RunLinks({
      client: options.client, tableName: options.tableName, timeoutMs: options.timeoutMs ?? 1500,
      now: options.now ?? Date.now, abortAfter: options.abortAfter ?? ((ms) => AbortSignal.timeout(ms)),
    });
    this.holdMs = (options.holdSeconds ?? 960) * 1000;
    this.batchHoldMs = (options.batchHoldSeconds ?? 8 * 86_400) * 1000;
    this.allowances = new LedgerAllowances(this.protocol, this.holdMs);
  }

  /** Counts the request on every request-rate limit (when it is not counted by `reserve` with `admits`). */
  async admit(context: SpendContext): Promise<void> {
    const groups = (await this.groupsOf(context)).filter((g) => g.maxRequests !== undefined);
    if (groups.length === 0) return;
    // Counted on an allowance where one has room (not as demand: the same call's reservation counts that), for good
    // once the others admit it too; given back if they refuse. No grant starts here, before the cache or model call.
    const tickets = this.allowances.take(groups, context, undefined, true, false);
    const exact = groups.filter((g) => !tickets.has(g.signature));
    const unsettledBefore = this.allowances.unsettled();
    let reserved: ReservedCounter[] = [];
    try {
      if (exact.length > 0) ({ reserved } = await this.protocol.reserve(context, exact, { countsRequest: true, bucket: '', holdId: '' }));
    } catch (error) {
      this.allowances.give(tickets.values(), NO_SPEND, true);
      throw error;
    }
    this.allowances.give(tickets.values(), NO_SPEND);
    await this.allowances.upkeep(groups, context, reserved, unsettledBefore, true);
  }

  async reserve(context: SpendContext, estimate: SpendAmount, admits = false): Promise<string | undefined> {
    const groups = (await this.groupsOf(context)).filter((g) => limitsSpend(g) || (admits && g.maxRequests !== undefined));
    if (groups.length === 0) return undefined;
    const batch = context.path === 'batch';
    const bucket = expiryBucketOf(context.nowMs, batch ? this.batchHoldMs : this.holdMs, batch);
    const holdId = newHoldId();
    // Groups whose container allowance has room take the call from it; the others reserve in the ledger.
    const tickets = this.allowances.take(groups, context, estimate, admits);
    const exact = groups.filter((g) => !tickets.has(g.signature));
    const unsettledBefore = this.allowances.unsettled();
    let reserved: ReservedCounter[] = [];
    let withdrawing: Array<Promise<void>> = [];
    if (exact.length > 0) {
      try {
        ({ reserved, withdrawing } = await this.protocol.reserve(context, exact, { estimate, countsRequest: admits, bucket, holdId }));
      } catch (error) {
        this.allowances.give(tickets.values(), NO_SPEND, true);
        throw error;
      }
    }
    const seen = [...reserved.map((r) => this.allowances.seenExactly(r, unsettledBefore)), ...[...tickets.values()].map((t) => this.allowances.seenThrough(t))];
    const fallbacks = reserved.filter((r) => r.fallbackHold !== undefined);
    const tightest = tightestLimit(seen, context.nowMs);
    const run = runRemaining(reserved, context);
    const status = tightest && run ? { ...tightest, run } : tightest;
    // Kept apart only when a request-rate limit is the tightest: otherwise `status` is the spend limit itself.
    const spendStatus = tightest && tightest.measure === 'requests' ? tightestLimit(seen, context.nowMs, SPEND_MEASURES) : undefined;
    const hold: LedgerHold = {
      holdId,
      counters: reserved.filter((r) => r.key !== undefined && r.counted.spend).map((r) => ({ key: r.key!, expiresAt: r.expiresAt })),
      bucket, tokens: estimate.tokens, costAtto: estimate.costAtto,
      fallbackHolds: fallbacks.map((r) => ({ groupSignature: r.group.signature, hold: r.fallbackHold })),
      ...(status ? { status } : {}),
      ...(spendStatus ? { spendStatus } : {}),
      ...(batch ? { tenantId: context.tenantId } : {}),
    };
    // A batch hold outlives this invocation in a marker in S3: only a reference to it leaves the ledger.
    let encoded: string;
    if (batch && hold.counters.length > 0) {
      await this.protocol.keepHold(context, hold, reserved);
      encoded = encodeHoldReference(holdId);
    } else {
      encoded = encodeHold(hold);
    }
    // Expired buckets seen in the returned items are swept beside the model call, and fail-open writes of unknown
    // outcome withdrawn; the settlement waits for both.
    const work = [...reserved.filter((r) => r.item && r.key).map((r) => this.protocol.sweep(r.key!, r.item!, r.group, context)), ...withdrawing];
    if (tickets.size > 0) this.tickets.set(encoded, [...tickets.values()]);
    const upkeep = this.allowances.upkeep(groups, context, reserved, unsettledBefore);
    if (upkeep) work.push(upkeep);
    if (work.length > 0) {
      const all = Promise.all(work).then(() => undefined);
      if (batch) await all;
      else this.besideTheCall.set(encoded, all);
    }
    return encoded;
  }

  /**
   * Settles one reservation, once, by the hold's own id (see `LedgerProtocol.settle`). `idempotencyKey` (the
   * request's) only reaches the container fallback's holds, which are unique per reservation too.
   */
  async settle(context: SpendContext, encoded: string | undefined, reserved: SpendAmount, actual: SpendAmount, idempotencyKey: string): Promise<void> {
    if (encoded === undefined) return;
    const hold = await this.holdOf(context, encoded);
    if (!hold) return;
    const started = this.besideTheCall.get(encoded);
    this.besideTheCall.delete(encoded);
    await started;
    const tickets = this.tickets.get(encoded);
    // An allowance retired while this call was in flight is settled once its last call is, beside the counters.
    let allowances: Promise<void> | undefined;
    if (tickets) {
      this.tickets.delete(encoded);
      this.allowances.give(tickets, actual);
      allowances = this.allowances.settleRetired(context);
    }
    // Every write started here is done when this returns, even when one of them fails.
    const settled = await Promise.allSettled([
      (async () => {
        for (const { groupSignature, hold: fallbackHold } of hold.fallbackHolds) {
          await this.fallbacks.get(groupSignature)?.settle(context, fallbackHold, reserved, actual, idempotencyKey);
        }
      })(),
      allowances,
      hold.counters.length > 0 ? this.protocol.settle(context, hold, actual) : undefined,
    ]);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  statusOf(encoded: string): LimitStatus | undefined {
    const hold = decodeHold(encoded);
    return isHoldReference(hold) ? undefined : hold.status;
  }

  spendStatusOf(encoded: string): LimitStatus | undefined {
    const hold = decodeHold(encoded);
    if (isHoldReference(hold)) return undefined;
    return hold.spendStatus ?? (hold.status?.measure === 'requests' ? undefined : hold.status);
  }

  /** Waits for the work started beside reservations (tests; the settlement of a hold waits for its own). */
  async flush(): Promise<void> {
    await Promise.all(this.besideTheCall.values());
  }

  /**
   * Settles every container allowance once its calls in flight have settled (tests, and a container that knows it
   * is stopping): afterwards the ledger's counters hold exactly what was billed.
   */
  async releaseAllowances(context: Pick<SpendContext, 'nowMs' | 'deadlineMs'>): Promise<void> {
    await this.flush();
    await this.allowances.release({ requestId: 'release', tenantId: '', userId: '', feature: '', path: 'converse', ...context });
  }

  /**
   * The hold an encoded string stands for: itself, or for a batch job the one kept in the ledger under its
   * reference (undefined once settled). A batch hold that carries its own counters did not come from this ledger's
   * reservation (or predates references): it is not trusted, and settles nothing (it throws).
   */
  private async holdOf(context: SpendContext, encoded: string): Promise<LedgerHold | undefined> {
    const decoded = decodeHold(encoded);
    if (!isHoldReference(decoded)) {
      if (context.path !== 'batch' || decoded.counters.length === 0) return decoded;
      // A settle failure: counted (`GuardSettleFailures`, the manifest's `settleFailures`) and logged by the port.
      throw new Error('a batch hold that names its own counters, not a hold kept in the ledger, was not settled (was the batch marker rewritten?); the real reservation is given back when it expires');
    }
    const kept = await this.protocol.readKeptHold(context, decoded.referencedHoldId);
    if (kept === undefined) return undefined;
    const hold = decodeHold(kept) as LedgerHold;
    // A reference moved from another tenant's marker settles nothing: it would move that tenant's counters.
    if (hold.tenantId !== undefined && hold.tenantId !== context.tenantId) {
      throw new Error(`the hold under reference ${JSON.stringify(decoded.referencedHoldId)} belongs to another tenant; nothing was settled`);
    }
    return hold;
  }

  /**
   * The groups a request reserves on: the tenant's, with each run limit once per run of the request's chain (the run
   * and its ancestors). Run limits count only requests that name a run.
   */
  private async groupsOf(context: SpendContext): Promise<CounterGroup[]> {
    const groups = this.groupsFor(context.tenantId);
    const runGroups = groups.filter((g) => g.scope === 'run');
    if (runGroups.length === 0) return groups;
    const others = groups.filter((g) => g.scope !== 'run');
    if (context.runId === undefined) return others;
    // A link outlives every window its runs are counted in.
    const linkExpiresAtMs = Math.max(...runGroups.map((g) => windowOf(g.window, context.nowMs).endsAtMs)) + 86_400_000;
    let chain: string[];
    try {
      chain = await this.runs.chainOf(context.tenantId, context.runId, context.parentRunId, linkExpiresAtMs);
    } catch (error) {
      if ((error as { status?: number }).status !== undefined) throw error;
      // A run limit fails closed: without its chain the run cannot be bounded.
      this.options.onEvent?.({ kind: 'failClosed', scope: 'run', window: runGroups[0].window, tenantId: context.tenantId, userId: context.userId, feature: context.feature, error: String(error) });
      throw ledgerUnavailable(runGroups[0], [], '');
    }
    return [...others, ...runGroups.flatMap((g) => chain.map((runId) => ({ ...g, runId, signature: `${g.signature}|${runId}` })))];
  }

  private groupsFor(tenantId: string): CounterGroup[] {
    const tier = tierOf(this.options.guards, tenantId) ?? '';
    let groups = this.groupsByTier.get(tier);
    if (!groups) {
      groups = counterGroups(limitsForTenant({ ...this.options.guards, store: 'dynamodb' }, tenantId));
      this.groupsByTier.set(tier, groups);
    }
    return groups;
  }

  // A limit that fails open is counted in this container meanwhile, by a guard of its own.
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
}

/** What the request's run may still use after its reservation: per measure, the least left on its chain's counters. */
function runRemaining(reserved: ReadonlyArray<CounterSeen>, context: SpendContext): RunRemaining | undefined {
  if (context.runId === undefined) return undefined;
  const runs = reserved.filter((r) => r.group.runId !== undefined && r.item && r.share);
  if (runs.length === 0) return undefined;
  const least: { -readonly [M in LimitStatus['measure']]?: number } = {};
  for (const counter of runs) {
    for (const measure of ['requests', 'tokens', 'costUsd'] as const) {
      // One measure at a time, through the arithmetic of the rate-limit headers (shards included).
      const { group } = counter;
      const only: CounterGroup = {
        ...group,
        maxRequests: measure === 'requests' ? group.maxRequests : undefined,
        maxTokens: measure === 'tokens' ? group.maxTokens : undefined,
        maxCostUsd: measure === 'costUsd' ? group.maxCostUsd : undefined,
      };
      const status = tightestLimit([{ ...counter, group: only }], context.nowMs);
      if (status) least[measure] = Math.min(least[measure] ?? Infinity, status.remaining);
    }
  }
  return { runId: context.runId, ...least };
}

// The measures a `nearLimit` policy degrades on: a cheaper answer is still a request, so request-rate limits never do.
const SPEND_MEASURES: ReadonlyArray<LimitStatus['measure']> = ['tokens', 'costUsd'];
