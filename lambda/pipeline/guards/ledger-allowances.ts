import { attoAttribute, CounterShare, Item, numberAttribute } from './ledger-expressions';
import { expiryBucketOf, newAllowanceId } from './ledger-hold';
import { CounterGroup, limitsSpend, scopeIdOf } from './ledger-limits';
import type { AllowanceGrant, LedgerProtocol, ReservedCounter } from './ledger-protocol';
import type { CounterSeen } from './ledger-refusals';
import type { SpendAmount, SpendContext } from './spend-guard';
import { windowOf } from './usage-windows';

/**
 * Container allowances: a limit's share taken by one Lambda container in one ledger write and counted in its memory,
 * so that while it lasts a call writes nothing to the ledger (a limit opts in with `allowanceSeconds`).
 *
 * - **Grant**: once a container's calls on a counter reserved, within the last `allowanceSeconds`, at least
 *   {@link MIN_CALLS_PER_ALLOWANCE} calls' worth, it reserves that much again (their upper bounds), at most an eighth
 *   of what the counter has left and never past the counter's window, by a conditional write within the counter's
 *   share (so the total never exceeds the limit), under an id of its own. The write puts the amounts on the counter
 *   but not in its expiry bucket's sums.
 * - **Take and give**: a call that fits what the allowance has left takes its upper bound from it (JavaScript runs
 *   the check and the update without yielding, so concurrent calls cannot both take its last) and gives back the
 *   difference when it settles; one that does not fit reserves in the ledger as without allowances.
 * - **Renew and settle**: below half left, or `allowanceSeconds` old, it is replaced (beside a call, never before
 *   one), and once its calls in flight have settled the container settles it: `ADD used - granted`, once, by its id.
 * - **Dies unsettled**: a container that is killed or idles past the bucket's end (16 minutes) never settles it;
 *   the bucket's sweep gives back nothing and drops the id, so the allowance stays counted whole: over-counted by
 *   what the container had not used, never under (what it used is known only to it). The sweep reports the bounds
 *   such allowances held (`allowancesExpired`).
 * Near the limit allowances shrink, then stop (too small to hold {@link MIN_CALLS_PER_ALLOWANCE} calls): the last of a
 * limit is reserved call by call, exactly. A refused grant waits a second before the next try.
 */
export class LedgerAllowances {
  private readonly held = new Map<string, Allowance>();
  /** Allowances replaced, aged or out of their window: settled once their calls in flight have settled. */
  private readonly retired = new Set<Allowance>();
  private readonly demand = new Map<string, Demand>();
  /** The counter each counter identity was last written on (its shard), with the item the write returned. */
  private readonly lastSeen = new Map<string, SeenCounter>();
  /** Per counter key with a live allowance: the newest item the container saw of it (for the limit status). */
  private readonly newestItem = new Map<string, Snapshot>();
  private readonly granting = new Set<string>();
  /** Allowances whose settlement write is on its way. */
  private readonly inSettlement = new Set<Allowance>();
  /** The counter keys with a grant on its way. */
  private readonly grantingKeys = new Set<string>();
  private readonly refusedUntil = new Map<string, number>();
  /** How many counter identities are tracked before the quiet ones are dropped (one per user × window on a busy API). */
  private pruneAt = PRUNE_AT;

  constructor(private readonly protocol: LedgerProtocol, private readonly holdMs: number) {}

  /**
   * Takes what a call needs from the allowances of the groups that have one with room: the tickets by group
   * signature. Every group's demand is counted, taken or not.
   */
  take(groups: ReadonlyArray<CounterGroup>, context: SpendContext, estimate: SpendAmount | undefined, countsRequest: boolean, countsDemand = true): Map<string, AllowanceTicket> {
    const tickets = new Map<string, AllowanceTicket>();
    if (context.path === 'batch') return tickets;
    for (const group of groups) {
      if (!allowsAllowance(group)) continue;
      const need = needOf(group, estimate, countsRequest);
      const ident = identOf(group, context);
      if (countsDemand) this.countDemand(ident, need, context.nowMs, periodOf(group));
      const allowance = this.held.get(ident);
      // An allowance past its age is not used (its snapshot of the counter is that old): the call reserves in the ledger,
      // and its upkeep renews it.
      if (!allowance || !fits(allowance, need, group) || context.nowMs >= allowance.endsAtMs || context.nowMs - allowance.grantedAtMs >= periodOf(group)) continue;
      allowance.taken.requests += need.requests;
      allowance.taken.tokens += need.tokens;
      allowance.taken.costAtto += need.costAtto;
      allowance.inFlight++;
      tickets.set(group.signature, { allowance, ...need });
    }
    return tickets;
  }

  /**
   * Settles calls' tickets in memory: what was billed replaces the bound taken; the request stays counted unless
   * `refund` (a call refused before it was answered gives everything back).
   */
  give(tickets: Iterable<AllowanceTicket>, actual: SpendAmount, refund = false): void {
    for (const ticket of tickets) {
      const { allowance } = ticket;
      // Settled already with this call's bound counted (its hold outlived the allowance): nothing left to correct.
      if (allowance.settled) continue;
      if (refund) allowance.taken.requests -= ticket.requests;
      // A request-only counter counts no tokens, as the ledger's own reservation does not.
      if (limitsSpend(allowance.group)) {
        allowance.taken.tokens += (refund ? 0 : actual.tokens) - ticket.tokens;
        allowance.taken.costAtto += (refund ? 0n : actual.costAtto) - ticket.costAtto;
        if (!refund) allowance.cacheReadTokens += actual.cacheReadTokens;
      }
      allowance.inFlight--;
    }
  }

  /** What a ticket's counter shows the caller: the other containers' use as of the grant, and this one's since. */
  seenThrough(ticket: AllowanceTicket): CounterSeen {
    const { allowance } = ticket;
    // The newest the container saw of the counter: a later exact write's item, else the grant's own.
    const newest = this.newestItem.get(allowance.key);
    const { item, mine } = newest && newest.atMs >= allowance.snapshot.atMs ? newest : allowance.snapshot;
    return { group: allowance.group, item: viewOf(item, mine), share: allowance.share };
  }

  /**
   * A counter a call reserved on in the ledger, as the call's limit status shows it: with this container's allowances
   * on it counted at what they have taken, not at what they hold (`unsettledBefore`: taken before the write).
   */
  seenExactly(counter: ReservedCounter, unsettledBefore: ReadonlySet<Allowance>): CounterSeen {
    if (!counter.key || !counter.item) return counter;
    const { mine } = snapshotOf(counter.key, counter.item, 0, unsettledBefore);
    return mine.length === 0 ? counter : { ...counter, item: viewOf(counter.item, mine) };
  }

  /**
   * This container's allowances whose grant has landed and whose settlement has not started: what an item read
   * now certainly counts at their granted amounts (taken at a write's start, checked again at its end).
   */
  unsettled(): ReadonlySet<Allowance> {
    // The common case (no limit sets allowanceSeconds): nothing to copy on every call.
    if (this.held.size === 0 && this.retired.size === 0) return NONE_UNSETTLED;
    return new Set([...this.held.values(), ...this.retired].filter(isCountedWhole));
  }

  /**
   * The ledger work a call starts beside its model call (its settlement waits for it): remembers the counters it
   * wrote, grants or renews the allowances its demand warrants, and settles retired allowances with nothing in
   * flight. Undefined when there is nothing to do.
   */
  upkeep(
    groups: ReadonlyArray<CounterGroup>, context: SpendContext, written: ReadonlyArray<ReservedCounter>,
    unsettledBefore: ReadonlySet<Allowance> = new Set(), beforeTheCall = false,
  ): Promise<void> | undefined {
    if (context.path === 'batch') return undefined;
    for (const counter of written) {
      if (!allowsAllowance(counter.group) || !counter.key || !counter.item || !counter.share) continue;
      const ident = identOf(counter.group, context);
      // Only for a counter with demand (pruned with it): a grant needs both.
      if (this.demand.has(ident)) this.lastSeen.set(ident, { key: counter.key, expiresAt: counter.expiresAt, item: counter.item, share: counter.share });
      // Only an item whose write started after every allowance held on the key was granted: an earlier one may lack it.
      const heldOnKey = [...this.held.values()].filter((a) => a.key === counter.key);
      if (this.newestItem.has(counter.key) && heldOnKey.every((a) => unsettledBefore.has(a))) {
        this.newestItem.set(counter.key, snapshotOf(counter.key, counter.item, context.nowMs, unsettledBefore));
      }
    }
    // Before the call (an admission) nothing is written: no grant, no settlement.
    if (beforeTheCall) return undefined;
    const work: Array<Promise<void>> = [];
    // Settlements first: a grant waits while one of its counter's is on its way (see `grantFor`).
    const settling = this.settleRetired(context);
    if (settling) work.push(settling);
    for (const group of groups) {
      if (!allowsAllowance(group)) continue;
      const grant = this.grantFor(group, context);
      if (grant) work.push(grant);
    }
    return work.length > 0 ? Promise.all(work).then(() => undefined) : undefined;
  }

  /**
   * Retires allowances past their age or window, and settles the retired ones with no call in flight. Undefined
   * when there is nothing to settle.
   */
  settleRetired(context: SpendContext, retireAll = false): Promise<void> | undefined {
    for (const [ident, allowance] of this.held) {
      if (retireAll || context.nowMs - allowance.grantedAtMs >= periodOf(allowance.group) || context.nowMs >= allowance.endsAtMs) {
        this.held.delete(ident);
        this.retired.add(allowance);
      }
    }
    // A call whose hold is never settled (its invocation failed before settling) would pin its allowance: past a
    // request hold's life it is settled with that call's bound counted as used (never under).
    // Not while a grant on its counter is on its way: the grant's item then counts it one way or the other for sure.
    const due = [...this.retired].filter((a) => (a.inFlight === 0 || context.nowMs - a.grantedAtMs > this.holdMs) && !this.grantingKeys.has(a.key));
    if (due.length === 0) return undefined;
    for (const allowance of due) {
      this.retired.delete(allowance);
      this.inSettlement.add(allowance);
      allowance.settling = true;
      if (![...this.held.values()].some((a) => a.key === allowance.key)) this.newestItem.delete(allowance.key);
    }
    return Promise.all(due.map(async (allowance) => {
      try {
        await this.protocol.settleAllowance(context, allowance, { ...allowance.taken, cacheReadTokens: allowance.cacheReadTokens });
        allowance.settled = true;
      } catch {
        // Tried again by a later call: until then, and if never, the allowance stays counted whole (never under). A
        // try that timed out may have landed: the limit status no longer assumes it is counted whole.
        allowance.uncertain = true;
        this.retired.add(allowance);
      } finally {
        allowance.settling = false;
        this.inSettlement.delete(allowance);
      }
    })).then(() => undefined);
  }

  /** Settles every allowance this container holds once its calls have settled (tests; a container about to stop). */
  async release(context: SpendContext): Promise<void> {
    await this.settleRetired(context, true);
  }

  private grantFor(group: CounterGroup, context: SpendContext): Promise<void> | undefined {
    const ident = identOf(group, context);
    const current = this.held.get(ident);
    if (this.granting.has(ident) || (current && !needsRenewal(current, group, context.nowMs))) return undefined;
    if ((this.refusedUntil.get(ident) ?? 0) > context.nowMs) return undefined;
    const seen = this.lastSeen.get(ident);
    // Not while one of this container's allowances on the counter is being settled: the grant's item would count it
    // either way, and the limit status could not tell which (the next call tries again).
    if (seen && [...this.inSettlement].some((a) => a.key === seen.key)) return undefined;
    const demand = this.demand.get(ident);
    const recent = demand && recentDemand(demand, context.nowMs, periodOf(group));
    if (!seen || !recent || recent.calls < MIN_CALLS_PER_ALLOWANCE) return undefined;
    // Never more than the window has left of the period: an allowance of a minute's limit at its 59th second holds a second.
    const windowLeftMs = windowOf(group.window, context.nowMs).endsAtMs - context.nowMs;
    const amounts = sizeOf(group, recent, seen, Math.min(1, windowLeftMs / periodOf(group)));
    if (!amounts) return undefined;
    const grant: AllowanceGrant = {
      group, key: seen.key, expiresAt: seen.expiresAt, share: seen.share, amounts, holdId: newAllowanceId(amounts),
      // Always a bucket that keeps no given-back ids: a late settlement must add nothing once the sweep dropped it.
      bucket: expiryBucketOf(context.nowMs, Math.max(this.holdMs, MIN_ALLOWANCE_BUCKET_MS), false),
    };
    this.granting.add(ident);
    this.grantingKeys.add(grant.key);
    const unsettledBefore = this.unsettled();
    return this.protocol.grantAllowance(context, grant).then(async (item) => {
      if (!item) {
        this.refusedUntil.set(ident, context.nowMs + REFUSED_PAUSE_MS);
        return;
      }
      this.lastSeen.set(ident, { key: grant.key, expiresAt: grant.expiresAt, item, share: grant.share });
      const old = this.held.get(ident);
      if (old) this.retired.add(old);
      const allowance: Allowance = {
        ...grant, granted: amounts, grantedAtMs: context.nowMs, endsAtMs: windowOf(group.window, context.nowMs).endsAtMs,
        snapshot: { item, atMs: context.nowMs, mine: [] }, taken: { requests: 0, tokens: 0, costAtto: 0n }, cacheReadTokens: 0,
        inFlight: 0, settling: false, settled: false,
      };
      allowance.snapshot = snapshotOf(grant.key, item, context.nowMs, new Set([...unsettledBefore, allowance]));
      this.held.set(ident, allowance);
      this.newestItem.set(grant.key, allowance.snapshot);
      // A counter written only by grants is swept by them: its ended buckets (dead allowances' ids) must not pile up.
      await this.protocol.sweep(grant.key, item, group, context);
    }, () => {
      this.refusedUntil.set(ident, context.nowMs + REFUSED_PAUSE_MS);
    }).finally(() => {
      this.granting.delete(ident);
      this.grantingKeys.delete(grant.key);
    });
  }

  private countDemand(ident: string, need: Amounts, nowMs: number, periodMs: number): void {
    if (this.demand.size >= this.pruneAt) this.prune(nowMs);
    let demand = this.demand.get(ident);
    const period = Math.floor(nowMs / periodMs);
    if (!demand || period > demand.period + 1) {
      demand = { period, periodMs, current: emptyDemand(), previous: emptyDemand() };
      this.demand.set(ident, demand);
    } else if (period === demand.period + 1) {
      demand.previous = demand.current;
      demand.current = emptyDemand();
      demand.period = period;
    }
    demand.current.calls++;
    demand.current.requests += need.requests;
    demand.current.tokens += need.tokens;
    demand.current.costAtto += need.costAtto;
  }

  /** Forgets counters without calls in their last period and without an allowance: memory stays bounded by the busy ones. */
  private prune(nowMs: number): void {
    for (const [ident, demand] of this.demand) {
      if (demand.period >= Math.floor(nowMs / demand.periodMs) - 1 || this.held.has(ident) || this.granting.has(ident)) continue;
      this.demand.delete(ident);
    }
    for (const ident of [...this.lastSeen.keys(), ...this.refusedUntil.keys()]) {
      if (this.demand.has(ident)) continue;
      this.lastSeen.delete(ident);
      this.refusedUntil.delete(ident);
    }
    this.pruneAt = Math.max(PRUNE_AT, this.demand.size * 2);
  }
}

/** A call's part of one allowance: what it took, given back less what was billed when it settles. */
export interface AllowanceTicket extends Amounts {
  readonly allowance: Allowance;
}

interface Amounts {
  requests: number;
  tokens: number;
  costAtto: bigint;
}

interface SeenCounter {
  readonly key: string;
  readonly expiresAt: number;
  readonly item: Item;
  readonly share: CounterShare;
}

interface Allowance extends AllowanceGrant {
  readonly granted: Amounts;
  /** The counter as the grant left it (the other containers' use as of then). */
  snapshot: Snapshot;
  readonly grantedAtMs: number;
  /** The end of the counter's window: no call of a later window takes from it. */
  readonly endsAtMs: number;
  /** Requests counted, bounds of calls in flight and what settled calls were billed. */
  readonly taken: Amounts;
  cacheReadTokens: number;
  inFlight: number;
  /** Its settlement write is on its way (an item read meanwhile may count it either way). */
  settling: boolean;
  /** A settlement try failed, and may have landed all the same: an item may count it either way. */
  uncertain?: boolean;
  /** Settled in the ledger: later tickets' settlements change nothing. */
  settled: boolean;
}

/** A counter item this container saw, and which of its own allowances it certainly counts at their granted amounts. */
interface Snapshot {
  readonly item: Item;
  readonly atMs: number;
  readonly mine: ReadonlyArray<Allowance>;
}

/**
 * An item with this container's allowances it counts at their granted amounts counted at what they have taken
 * instead: what they hold unused is not used (and what a settled one used has replaced it since).
 */
function viewOf(item: Item, mine: ReadonlyArray<Allowance>): Item {
  let requests = numberAttribute(item.requests);
  let tokens = numberAttribute(item.tokens);
  let costAtto = attoAttribute(item.costAtto);
  for (const a of mine) {
    requests += a.taken.requests - a.granted.requests;
    tokens += a.taken.tokens - a.granted.tokens;
    costAtto += a.taken.costAtto - a.granted.costAtto;
  }
  return { ...item, requests: { N: String(requests) }, tokens: { N: String(tokens) }, costAtto: { N: costAtto.toString() } };
}

/**
 * The snapshot of an item a write returned: of this container's allowances on the key, those unsettled both when the
 * write started (`before`) and now (one whose settlement started meanwhile may or may not be in it: left out, so the
 * view can only show less room, never more).
 */
function snapshotOf(key: string, item: Item, atMs: number, before: ReadonlySet<Allowance>): Snapshot {
  return { item, atMs, mine: [...before].filter((a) => a.key === key && isCountedWhole(a)) };
}

/** Whether the ledger certainly counts an allowance at what it took (no settlement of it started or may have landed). */
function isCountedWhole(allowance: Allowance): boolean {
  return !allowance.settling && !allowance.settled && !allowance.uncertain;
}

interface Demand {
  period: number;
  readonly periodMs: number;
  current: Amounts & { calls: number };
  previous: Amounts & { calls: number };
}

/** Below this many calls' worth of demand in a period a container takes no allowance: a quiet workflow is unchanged. */
export const MIN_CALLS_PER_ALLOWANCE = 4;
/** An allowance takes at most this part of what its counter has left, so near the limit they shrink, then stop. */
const HEADROOM_PARTS = 8;
/** After a refused (or failed) grant, the counter is reserved call by call for this long before the next try. */
const REFUSED_PAUSE_MS = 1000;
/** Counter identities tracked before the quiet ones are forgotten. */
const PRUNE_AT = 1024;
/** An allowance's bucket outlives any invocation (16 minutes), so its sweep keeps no ids (see `expiryBucketOf`). */
const MIN_ALLOWANCE_BUCKET_MS = 960_000;

const NONE_UNSETTLED: ReadonlySet<Allowance> = new Set();

function allowsAllowance(group: CounterGroup): boolean {
  return (group.allowanceSeconds ?? 0) > 0 && group.scope !== 'run';
}

/** A group's demand period, and its allowances' age: `allowanceSeconds`. */
function periodOf(group: CounterGroup): number {
  return (group.allowanceSeconds ?? 0) * 1000;
}

function identOf(group: CounterGroup, context: SpendContext): string {
  return `${group.signature}|${scopeIdOf(group.scope, context, group.runId)}|${windowOf(group.window, context.nowMs).id}`;
}

/** What one call takes from a group: the request where it limits requests, the bound where it limits spend. */
function needOf(group: CounterGroup, estimate: SpendAmount | undefined, countsRequest: boolean): Amounts {
  const spends = limitsSpend(group) && estimate !== undefined;
  return {
    requests: countsRequest && group.maxRequests !== undefined ? 1 : 0,
    tokens: spends ? estimate.tokens : 0,
    costAtto: spends ? estimate.costAtto : 0n,
  };
}

/** Whether the allowance has room for `need` on every measure its group limits. */
function fits(allowance: Allowance, need: Amounts, group: CounterGroup): boolean {
  const { granted, taken } = allowance;
  return (group.maxRequests === undefined || taken.requests + need.requests <= granted.requests)
    && (group.maxTokens === undefined || taken.tokens + need.tokens <= granted.tokens)
    && (group.maxCostAtto === undefined || taken.costAtto + need.costAtto <= granted.costAtto);
}

/** Below half left on a measure the group limits, a period old, or its window over: replaced. */
function needsRenewal(allowance: Allowance, group: CounterGroup, nowMs: number): boolean {
  const { granted, taken } = allowance;
  return nowMs - allowance.grantedAtMs >= periodOf(group) || nowMs >= allowance.endsAtMs
    || (group.maxRequests !== undefined && taken.requests * 2 > granted.requests)
    || (group.maxTokens !== undefined && taken.tokens * 2 > granted.tokens)
    || (group.maxCostAtto !== undefined && taken.costAtto * 2n > granted.costAtto);
}

/** The demand of the last whole period, or of this one when it already has more. */
function recentDemand(demand: Demand, nowMs: number, periodMs: number): (Amounts & { calls: number }) | undefined {
  const period = Math.floor(nowMs / periodMs);
  if (period > demand.period + 1) return undefined;
  const previous = period === demand.period ? demand.previous : demand.current;
  const current = period === demand.period ? demand.current : emptyDemand();
  return current.calls > previous.calls ? current : previous;
}

/**
 * What an allowance takes: the recent demand (scaled down by `windowShare` near the window's end), at most an eighth
 * of what the counter seen last has left on each measure the group limits; undefined when that holds fewer than
 * {@link MIN_CALLS_PER_ALLOWANCE} average calls.
 */
function sizeOf(group: CounterGroup, recent: Amounts & { calls: number }, seen: SeenCounter, windowShare: number): Amounts | undefined {
  const calls = Math.max(1, recent.calls);
  const permille = BigInt(Math.floor(windowShare * 1000));
  const wanted: Amounts = {
    requests: Math.floor(recent.requests * windowShare),
    tokens: Math.floor(recent.tokens * windowShare),
    costAtto: (recent.costAtto * permille) / 1000n,
  };
  const left = {
    requests: seen.share.requests !== undefined ? Math.max(0, seen.share.requests - numberAttribute(seen.item.requests)) : Infinity,
    tokens: seen.share.tokens !== undefined ? Math.max(0, seen.share.tokens - numberAttribute(seen.item.tokens)) : Infinity,
    costAtto: seen.share.costAtto !== undefined ? seen.share.costAtto - attoAttribute(seen.item.costAtto) : undefined,
  };
  const amounts: Amounts = {
    requests: Math.min(wanted.requests, Math.floor(left.requests / HEADROOM_PARTS)),
    tokens: Math.min(wanted.tokens, Math.floor(left.tokens / HEADROOM_PARTS)),
    costAtto: left.costAtto === undefined ? wanted.costAtto : minBig(wanted.costAtto, left.costAtto > 0n ? left.costAtto / BigInt(HEADROOM_PARTS) : 0n),
  };
  // Too small to serve a few average calls: not worth a write, and near the limit calls must reserve exactly.
  const floor = (total: number) => (total / calls) * MIN_CALLS_PER_ALLOWANCE;
  if (group.maxRequests !== undefined && amounts.requests < floor(recent.requests)) return undefined;
  if (group.maxTokens !== undefined && amounts.tokens < floor(recent.tokens)) return undefined;
  if (group.maxCostAtto !== undefined && amounts.costAtto * BigInt(calls) < recent.costAtto * BigInt(MIN_CALLS_PER_ALLOWANCE)) return undefined;
  if (amounts.requests === 0 && amounts.tokens === 0 && amounts.costAtto === 0n) return undefined;
  return amounts;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function emptyDemand(): Amounts & { calls: number } {
  return { calls: 0, requests: 0, tokens: 0, costAtto: 0n };
}
