import type { UsageLimitConfig } from '../../../shared/contract';
import { usdToAtto } from '../../../shared/core';
import { PipelineError } from '../errors';
import { LimitStatus, SpendAmount, SpendContext, SpendGuard } from './spend-guard';
import { windowOf } from './usage-windows';

interface Counter {
  requests: number;
  tokens: number;
  cacheReadTokens: number;
  costAtto: bigint;
  readonly endsAtMs: number;
}

/** What one reservation added, to which counters: given back (less what was used) when it settles. */
interface OpenHold {
  readonly keys: ReadonlyArray<string>;
  readonly amount: SpendAmount;
  /** The tightest token or USD limit the reservation left (a `nearLimit` policy reads it before the call). */
  readonly spendStatus?: LimitStatus;
}

/**
 * Usage limits counted in this container's memory: requests at `admit`, tokens and USD reserved on a cache miss
 * and settled to what was billed.
 *
 * Exact within one container (JavaScript runs the check and the update of a reservation without yielding, so
 * concurrent requests cannot both take the last of a limit). Across containers each counts its own: the workflow as
 * a whole is bounded by containers × limit, which is why it pairs with reserved concurrency. It is the seam's
 * reference guard and the per-container cap behind a shared ledger, not a replacement for one.
 */
export class ContainerUsageGuard implements SpendGuard {
  readonly name = 'container-usage';
  private readonly counters = new Map<string, Counter>();
  private readonly open = new Map<string, OpenHold>();
  private nextHold = 0;

  constructor(private readonly limits: ReadonlyArray<UsageLimitConfig>) {}

  async admit(context: SpendContext): Promise<void> {
    const requestLimits = this.limits.filter((l) => l.maxRequests !== undefined);
    if (requestLimits.length === 0) return;
    this.prune(context.nowMs);
    const counters = requestLimits.map((limit) => ({ limit, counter: this.counter(limit, context) }));
    for (const { limit, counter } of counters) {
      if (counter.requests + 1 > limit.maxRequests!) throw limitExceeded(limit, 'requests', counter.requests, limit.maxRequests!, counter.endsAtMs, context.nowMs);
    }
    for (const { counter } of counters) counter.requests++;
  }

  async reserve(context: SpendContext, estimate: SpendAmount): Promise<string | undefined> {
    const limits = this.limits.filter((l) => l.maxTokens !== undefined || l.maxCostUsd !== undefined);
    if (limits.length === 0) return undefined;
    this.prune(context.nowMs);
    const entries = limits.map((limit) => ({ limit, key: this.keyOf(limit, context), counter: this.counter(limit, context) }));
    // Every limit is checked before any is charged: all reserve or none.
    for (const { limit, counter } of entries) {
      if (limit.maxTokens !== undefined && counter.tokens + estimate.tokens > limit.maxTokens) {
        throw limitExceeded(limit, 'tokens', counter.tokens, limit.maxTokens, counter.endsAtMs, context.nowMs, estimate.tokens);
      }
      if (limit.maxCostUsd !== undefined && counter.costAtto + estimate.costAtto > usdToAtto(limit.maxCostUsd)) {
        throw limitExceeded(limit, 'costUsd', attoUsd(counter.costAtto), limit.maxCostUsd, counter.endsAtMs, context.nowMs, attoUsd(estimate.costAtto));
      }
    }
    for (const { counter } of entries) add(counter, estimate, 1);
    const hold = `h${++this.nextHold}`;
    const spendStatus = tightestSpend(entries, context.nowMs);
    this.open.set(hold, { keys: entries.map((e) => e.key), amount: estimate, ...(spendStatus ? { spendStatus } : {}) });
    return hold;
  }

  spendStatusOf(hold: string): LimitStatus | undefined {
    return this.open.get(hold)?.spendStatus;
  }

  /**
   * Settles one hold, once: holds are unique per reservation, so a retried request (the same request id) settles
   * its own new hold; the request's `idempotencyKey` decides nothing here.
   */
  async settle(_context: SpendContext, hold: string | undefined, _reserved: SpendAmount, actual: SpendAmount, _idempotencyKey: string): Promise<void> {
    if (hold === undefined) return;
    const open = this.open.get(hold);
    // A hold of another container (or one already settled) has nothing to give back here.
    if (!open) return;
    this.open.delete(hold);
    for (const key of open.keys) {
      const counter = this.counters.get(key);
      if (!counter) continue; // its window has ended: nothing left to correct
      add(counter, open.amount, -1);
      add(counter, actual, 1);
    }
  }

  /** The usage counted so far in the window `limit` is in at `nowMs` (for tests and the local demo). */
  usage(limit: UsageLimitConfig, context: Pick<SpendContext, 'tenantId' | 'userId' | 'feature' | 'nowMs'>): Readonly<Counter> | undefined {
    return this.counters.get(this.keyOf(limit, context));
  }

  private counter(limit: UsageLimitConfig, context: Pick<SpendContext, 'tenantId' | 'userId' | 'feature' | 'nowMs'>): Counter {
    const key = this.keyOf(limit, context);
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { requests: 0, tokens: 0, cacheReadTokens: 0, costAtto: 0n, endsAtMs: windowOf(limit.window, context.nowMs).endsAtMs };
      this.counters.set(key, counter);
    }
    return counter;
  }

  private keyOf(limit: UsageLimitConfig, context: Pick<SpendContext, 'tenantId' | 'userId' | 'feature' | 'runId' | 'nowMs'>): string {
    return `${this.limits.indexOf(limit)}|${scopeId(limit, context)}|${windowOf(limit.window, context.nowMs).id}`;
  }

  // Ended windows are dropped, so memory stays bounded by the live windows.
  private prune(nowMs: number): void {
    for (const [key, counter] of this.counters) if (counter.endsAtMs <= nowMs) this.counters.delete(key);
  }
}

function scopeId(limit: UsageLimitConfig, context: Pick<SpendContext, 'tenantId' | 'userId' | 'feature' | 'runId'>): string {
  switch (limit.scope) {
    // Counted only with a shared ledger (the constructs refuse a run limit without one); here, per container.
    case 'run': return `${context.tenantId}/${context.runId ?? ''}`;
    case 'user': return `${context.tenantId}/${context.userId}`;
    case 'tenant': return context.tenantId;
    case 'feature': return context.feature;
    case 'workflow': return '*';
  }
}

// The token or USD limit with the least share left once a reservation is counted.
function tightestSpend(entries: ReadonlyArray<{ limit: UsageLimitConfig; counter: Counter }>, nowMs: number): LimitStatus | undefined {
  let tightest: LimitStatus | undefined;
  for (const { limit, counter } of entries) {
    const candidates: Array<[LimitStatus['measure'], number | undefined, number]> = [
      ['tokens', limit.maxTokens, counter.tokens],
      ['costUsd', limit.maxCostUsd, attoUsd(counter.costAtto)],
    ];
    for (const [measure, max, used] of candidates) {
      if (max === undefined) continue;
      const status: LimitStatus = {
        scope: limit.scope, window: limit.window, measure, limit: max, remaining: Math.max(0, max - used),
        resetsAt: new Date(windowOf(limit.window, nowMs).endsAtMs).toISOString(),
      };
      if (!tightest || shareLeft(status) < shareLeft(tightest)) tightest = status;
    }
  }
  return tightest;
}

function shareLeft(status: LimitStatus): number {
  return status.limit > 0 ? status.remaining / status.limit : 0;
}

function add(counter: Counter, amount: SpendAmount, sign: 1 | -1): void {
  counter.tokens += sign * amount.tokens;
  counter.cacheReadTokens += sign * amount.cacheReadTokens;
  counter.costAtto += BigInt(sign) * amount.costAtto;
}

function attoUsd(atto: bigint): number {
  return Number(atto) / 1e18;
}

/** The 429 a usage limit refuses with: which limit, what is used, what was asked, and when it resets. */
export function limitExceeded(limit: Pick<UsageLimitConfig, 'scope' | 'window'>, measure: string, used: number, max: number, endsAtMs: number, nowMs: number, asked?: number): PipelineError {
  const retryAfterSeconds = Math.max(1, Math.ceil((endsAtMs - nowMs) / 1000));
  const what = measure === 'costUsd' ? 'USD' : measure;
  return new PipelineError(429, 'USAGE_LIMIT_EXCEEDED',
    `The ${limit.scope} limit of ${max} ${what} per ${limit.window} is reached (${round(used)} used${asked !== undefined ? `, this request may need up to ${round(asked)}` : ''}). Retry after ${retryAfterSeconds} s.`,
    { scope: limit.scope, window: limit.window, measure, used: round(used), limit: max, ...(asked !== undefined ? { requested: round(asked) } : {}), retryAfterSeconds, resetsAt: new Date(endsAtMs).toISOString() });
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
