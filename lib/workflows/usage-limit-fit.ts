import { Annotations, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { UsageLimitConfig } from '../../shared/contract';
import type { IUsageLedger } from '../guardrails/usage-ledger';

/**
 * Checks the usage limits against what only the workflow knows: its output cap and its ledger's tiers. Lives here,
 * not in `usageLimitsConfig`, because the output cap is a workflow prop.
 */
export function checkUsageLimitsFit(scope: IConstruct, limits: ReadonlyArray<UsageLimitConfig>, outputCap: number, ledger: IUsageLedger | undefined): void {
  limits.forEach((limit, i) => {
    const where = `${scope.node.path}: usageLimits[${i}]`;
    refuseShareBelowOutputCap(where, limit, outputCap);
    if (ledger) warnUnknownTier(scope, where, limit, ledger);
  });
}

/**
 * A call reserves its input-token upper bound plus the output cap on one shard, within that shard's share
 * (`shareOf` in the ledger: the largest share is ⌈maxTokens / shards⌉; a refused call tries the other shards). A
 * largest share below the output cap admits no call at the workflow's cap, so every model call would be a 429.
 */
function refuseShareBelowOutputCap(where: string, limit: UsageLimitConfig, outputCap: number): void {
  const shards = limit.shards ?? 1;
  if (limit.maxTokens === undefined || Token.isUnresolved(limit.maxTokens) || Token.isUnresolved(shards) || Token.isUnresolved(outputCap)) return;
  const largestShare = Math.ceil(limit.maxTokens / shards);
  if (largestShare >= outputCap) return;
  const fewerShards = shards > 1 ? Math.floor(limit.maxTokens / outputCap) : 0;
  const share = shards > 1 ? `its share per shard (maxTokens ${limit.maxTokens} / shards ${shards}) is ${largestShare} tokens` : `maxTokens is ${limit.maxTokens}`;
  throw new Error(`${where}: ${share}, below the workflow's output cap of ${outputCap} tokens (maxTokens prop); a call reserves its input bound plus the output cap, so no call at that cap could be admitted (every request that does not lower maxOutputTokens would get a 429). `
    + `Fix: ${fewerShards >= 1 ? `use fewer shards (at most ${fewerShards}), ` : ''}raise the limit's maxTokens to well above ${outputCap * shards} (a call's input comes on top of the output cap), or lower the workflow's maxTokens (the output cap) to well below ${largestShare}.`);
}

/** A tier that is neither a tenant's tier nor the default tier applies to no tenant: the limit never counts. */
function warnUnknownTier(scope: IConstruct, where: string, limit: UsageLimitConfig, ledger: IUsageLedger): void {
  const tier = limit.tier;
  if (tier === undefined || Token.isUnresolved(tier)) return;
  const tiers = Object.values(ledger.tenantTiers);
  const defaultTier = ledger.defaultTenantTier;
  // A tier given as a token may be any tier: nothing to compare with.
  if (tiers.some((t) => Token.isUnresolved(t)) || (defaultTier !== undefined && Token.isUnresolved(defaultTier))) return;
  const known = [...new Set([...tiers, ...(defaultTier !== undefined ? [defaultTier] : [])])];
  if (known.includes(tier)) return;
  Annotations.of(scope).addWarningV2('genai-finops:usage-limit-unknown-tier',
    `${where}.tier is ${JSON.stringify(tier)}, which is no tenant's tier, so the limit applies to no tenant. Known tiers: ${known.length > 0 ? known.map((t) => JSON.stringify(t)).join(', ') : 'none'} (the usage ledger's tenantTiers and defaultTenantTier). `
    + 'Fix: use one of those tiers, or give tenants this tier in the ledger\'s tenantTiers (or defaultTenantTier).');
}
