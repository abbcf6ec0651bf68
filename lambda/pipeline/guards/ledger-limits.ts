import { DEFAULT_LEDGER_SHARDS, GuardsConfig, LedgerFailureMode, UsageLimitConfig, UsageScope, UsageWindow } from '../../../shared/contract';
import { usdToAtto } from '../../../shared/core';
import type { SpendContext } from './spend-guard';

/**
 * The limits of one scope and window, merged: one counter item (or one set of shards) per scope id and window
 * holds requests, tokens and cost together, so a reservation writes each counter once however many limits share it.
 */
export interface CounterGroup {
  readonly scope: UsageScope;
  readonly window: UsageWindow;
  readonly maxRequests?: number;
  readonly maxTokens?: number;
  readonly maxCostUsd?: number;
  readonly maxCostAtto?: bigint;
  readonly shards: number;
  readonly failure: LedgerFailureMode;
  /** Names the group among its tier's groups (the fallback guard of the group is keyed by it). */
  readonly signature: string;
  /** A run-scope group, for one run of the request's chain: the run it counts for (the request's own or an ancestor). */
  readonly runId?: string;
  /** Seconds of a container's demand its allowance may hold (`./ledger-allowances`); 0: none. */
  readonly allowanceSeconds?: number;
}

/** The limits that apply to a tenant: those without a tier, and those of the tenant's tier. */
export function limitsForTenant(guards: GuardsConfig, tenantId: string): UsageLimitConfig[] {
  const tier = tierOf(guards, tenantId);
  return guards.usageLimits.filter((l) => l.tier === undefined || l.tier === tier);
}

/** The tenant's tier: from `tenantTiers`, else `defaultTier`. */
export function tierOf(guards: Pick<GuardsConfig, 'tenantTiers' | 'defaultTier'>, tenantId: string): string | undefined {
  const tiers = guards.tenantTiers ?? {};
  return Object.prototype.hasOwnProperty.call(tiers, tenantId) ? tiers[tenantId] : guards.defaultTier;
}

/**
 * Limits merged per scope and window: the lowest of each maximum, the most shards asked for, and fail closed when
 * any of them is (a token or USD limit is closed unless it says otherwise; a request-only limit is open).
 */
export function counterGroups(limits: ReadonlyArray<UsageLimitConfig>): CounterGroup[] {
  const byKey = new Map<string, UsageLimitConfig[]>();
  for (const limit of limits) {
    const key = `${limit.scope}|${limit.window}`;
    byKey.set(key, [...(byKey.get(key) ?? []), limit]);
  }
  return [...byKey.values()].map((same) => {
    const min = (values: Array<number | undefined>) => {
      const given = values.filter((v): v is number => v !== undefined);
      return given.length > 0 ? Math.min(...given) : undefined;
    };
    const maxRequests = min(same.map((l) => l.maxRequests));
    const maxTokens = min(same.map((l) => l.maxTokens));
    const maxCostUsd = min(same.map((l) => l.maxCostUsd));
    const shards = Math.max(...same.map((l) => l.shards ?? DEFAULT_LEDGER_SHARDS));
    const failure: LedgerFailureMode = same.some((l) => failureModeOf(l) === 'closed') ? 'closed' : 'open';
    // The most cautious of the merged limits: one that takes no allowance keeps the counter exact.
    const allowanceSeconds = Math.min(...same.map((l) => (l.scope === 'run' ? 0 : l.allowanceSeconds ?? 0)));
    return {
      scope: same[0].scope, window: same[0].window, maxRequests, maxTokens, maxCostUsd,
      maxCostAtto: maxCostUsd !== undefined ? usdToAtto(maxCostUsd) : undefined, shards, failure,
      ...(allowanceSeconds > 0 ? { allowanceSeconds } : {}),
      signature: `${same[0].scope}|${same[0].window}|${maxRequests}|${maxTokens}|${maxCostUsd}|${shards}${allowanceSeconds > 0 ? `|a${allowanceSeconds}` : ''}`,
    };
  });
}

/** A quota or a budget fails closed, a rate limit open, unless the limit says otherwise. */
export function failureModeOf(limit: UsageLimitConfig): LedgerFailureMode {
  // A run counted per container would not bound the run: always closed.
  if (limit.scope === 'run') return 'closed';
  return limit.onLedgerUnavailable ?? (limit.maxTokens !== undefined || limit.maxCostUsd !== undefined ? 'closed' : 'open');
}

/** Whether a group limits tokens or USD (its counters are reserved on a model call). */
export function limitsSpend(group: CounterGroup): boolean {
  return group.maxTokens !== undefined || group.maxCostAtto !== undefined;
}

/** Shard `shard`'s part of `total` over `shards`: the whole split evenly, the remainder one each to the first shards. */
export function shareOf(total: number, shards: number, shard: number): number {
  const base = Math.floor(total / shards);
  return base + (shard < total - base * shards ? 1 : 0);
}

/** {@link shareOf} for attodollars. */
export function shareOfAtto(total: bigint, shards: number, shard: number): bigint {
  const n = BigInt(shards);
  const base = total / n;
  return base + (BigInt(shard) < total - base * n ? 1n : 0n);
}

/** Whom a counter counts for, in its key (each part URI-encoded, so no id can be read as another's). */
export function scopeIdOf(scope: UsageScope, context: Pick<SpendContext, 'tenantId' | 'userId' | 'feature'>, runId?: string): string {
  switch (scope) {
    // A run id is the caller's label: under the tenant, so no tenant can spend or read another's run.
    case 'run': return `${encodeURIComponent(context.tenantId)}/${encodeURIComponent(runId ?? '')}`;
    case 'user': return `${encodeURIComponent(context.tenantId)}/${encodeURIComponent(context.userId)}`;
    case 'tenant': return encodeURIComponent(context.tenantId);
    case 'feature': return encodeURIComponent(context.feature);
    case 'workflow': return '*';
  }
}

/**
 * The key of a counter item: `<scope>#<scope id>#<window id>` and, when sharded, `#<shard>`. The window id is the
 * calendar window's start, so a new window is a new item: nothing resets counters, old ones expire by TTL.
 */
export function counterKey(scope: UsageScope, scopeId: string, windowId: string, shard: number, shards: number): string {
  return `${scope}#${scopeId}#${windowId}${shards > 1 ? `#${shard}` : ''}`;
}
