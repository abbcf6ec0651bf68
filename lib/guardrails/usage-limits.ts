import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type * as contract from '../../shared/contract';
import { MAX_ALLOWANCE_SECONDS, MAX_LEDGER_SHARDS, RUN_WINDOWS, UsageLimitConfig } from '../../shared/contract';
import type { MatchesContract } from '../private/matches-contract';
import { TIER_NAME } from './usage-ledger';

/** Who a usage limit counts for. */
export enum UsageScope {
  /** Each user of each tenant (`userId` within the tenant). */
  USER = 'user',
  /** Each tenant: an API key, an authorizer's tenant, or the tenant an IAM caller names. */
  TENANT = 'tenant',
  /** Each feature of the workflow. */
  FEATURE = 'feature',
  /** The workflow as a whole. */
  WORKFLOW = 'workflow',
  /**
   * Each agent run of each tenant: calls whose request names a `runId` (a caller's label, kept under the tenant); a
   * child run names its `parentRunId` and each of its calls counts on it and on every ancestor. Needs a
   * `usageLedger`; the window (DAY or MONTH) is the run's lifetime bound: a run that outlives its calendar window
   * starts the next one with a fresh budget, so pick a window longer than the runs. Always fails closed.
   */
  RUN = 'run',
}
// The runtime counts by the contract's USAGE_SCOPES: this stops compiling when the enum and that list disagree.
const USAGE_SCOPE_IS_CONTRACT: MatchesContract<`${UsageScope}`, contract.UsageScope> = true;
void USAGE_SCOPE_IS_CONTRACT;

/** The calendar window (UTC) a usage limit counts in; it resets when the calendar moves on. */
export enum UsageWindow {
  MINUTE = 'minute',
  HOUR = 'hour',
  DAY = 'day',
  MONTH = 'month',
}
// The runtime's windows are the contract's USAGE_WINDOWS: this stops compiling when the enum and that list disagree.
const USAGE_WINDOW_IS_CONTRACT: MatchesContract<`${UsageWindow}`, contract.UsageWindow> = true;
void USAGE_WINDOW_IS_CONTRACT;

/** What a limit counted in a {@link UsageLedger} does while DynamoDB cannot be reached. */
export enum LedgerFailureMode {
  /** Let requests through, counted against the limit in each Lambda container's memory instead; reported as `GuardFailOpen`. */
  OPEN = 'open',
  /** Refuse with 503 and `Retry-After`; reported as `GuardFailClosed`. */
  CLOSED = 'closed',
}
// The runtime accepts the contract's LEDGER_FAILURE_MODES: this stops compiling when the enum and that list disagree.
const LEDGER_FAILURE_MODE_IS_CONTRACT: MatchesContract<`${LedgerFailureMode}`, contract.LedgerFailureMode> = true;
void LEDGER_FAILURE_MODE_IS_CONTRACT;

/**
 * A usage limit of a workflow: at most so many requests, tokens or US dollars per scope and window. Tokens are
 * fresh input, cache writes and output (cache reads count apart: they cost a tenth). Before a model call the
 * workflow reserves the most the call can use (the input-token upper bound plus the output cap, at the dearest
 * price that can apply) and refuses it with 429 when that does not fit; afterwards it settles to what Bedrock
 * billed. A response-cache hit counts as a request but uses no tokens.
 */
export interface UsageLimit {
  readonly scope: UsageScope;
  readonly window: UsageWindow;
  /** @default - requests are not limited */
  readonly maxRequests?: number;
  /** @default - tokens are not limited */
  readonly maxTokens?: number;
  /** @default - spend is not limited */
  readonly maxCostUsd?: number;
  /**
   * Apply this limit only to tenants of this tier (the usage ledger's `tenantTiers` and `defaultTenantTier`).
   * Needs a `usageLedger`. A tier that is neither a value of the ledger's `tenantTiers` nor its
   * `defaultTenantTier` applies to no tenant: synthesis warns.
   * @default - every tenant
   */
  readonly tier?: string;
  /**
   * With a `usageLedger`: how many counter items the limit is spread over. One item takes about 1,000 write units
   * a second, and a model call writes each counter twice (a reservation and a settlement, 1 unit each while the
   * counter keeps at most about 55 calls in flight): about 500 calls a second per shard (1,000 for a request-only
   * limit). Each shard holds its share of the limit, so the
   * total never exceeds it (a request bigger than one share is refused; a token share below the workflow's output
   * cap could admit no call, and is refused at synthesis).
   * @default 1
   */
  readonly shards?: number;
  /**
   * With a `usageLedger`: what the limit does while DynamoDB cannot be reached.
   * @default - LedgerFailureMode.CLOSED for token and USD limits, LedgerFailureMode.OPEN for request-only limits
   */
  readonly onLedgerUnavailable?: LedgerFailureMode;
  /**
   * With a `usageLedger`: let each Lambda container take an **allowance** of this limit, what its own calls reserved
   * in the last `allowanceSeconds`, by one ledger write, and count its calls against it in memory: while the
   * allowance lasts a call makes no ledger write (the guard then costs about what the per-container guard costs),
   * and the container settles what it used when the allowance is renewed (every `allowanceSeconds` at most). The
   * total still never exceeds the limit; what it costs instead:
   * - a container that dies (or idles past 16 minutes) leaves its unused allowance counted: over-counted by at most
   *   this many seconds of that container's demand, never under (metric `GuardAllowancesExpired`);
   * - what other containers spent reaches the response headers' remaining figures at the container's next ledger
   *   write (at most this many seconds later);
   * - near the limit allowances shrink (at most an eighth of what is left) and then stop, so the last of a limit is
   *   reserved call by call, exactly as without allowances.
   * A container takes one only once its calls reserved at least 4 calls' worth in that time, so quiet workflows are
   * unchanged. Not for RUN limits (a run's calls land on any container).
   * @default 0 - every call reserves and settles in the ledger
   */
  readonly allowanceSeconds?: number;
}

/** Ready-made sets of usage limits. */
export class UsageLimits {
  /**
   * The limits the GenAI FinOps framework recommends: per user 100 requests and 10,000 tokens an hour; per tenant
   * 1,000,000 tokens a month on the `enterprise` tier and 100,000 on the `startup` tier. Give the ledger the
   * tenants' tiers (`tenantTiers`, and `defaultTenantTier: 'startup'` so an unknown tenant gets the small quota).
   */
  public static articleDefaults(): UsageLimit[] {
    return [
      { scope: UsageScope.USER, window: UsageWindow.HOUR, maxRequests: 100, maxTokens: 10_000 },
      { scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxTokens: 1_000_000, tier: 'enterprise' },
      { scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxTokens: 100_000, tier: 'startup' },
    ];
  }

  private constructor() {}
}

// The public props and the runtime's configuration name the same fields: this stops compiling when one gains a field
// the other lacks.
const USAGE_LIMIT_IS_CONTRACT: MatchesContract<keyof UsageLimit, keyof UsageLimitConfig> = true;
void USAGE_LIMIT_IS_CONTRACT;

/**
 * The limits as the runtime reads them, checked at synthesis: each names at least one maximum, each maximum a
 * number above 0 (requests and tokens whole).
 */
export function usageLimitsConfig(scope: IConstruct, limits: ReadonlyArray<UsageLimit> | undefined, hasLedger = false): UsageLimitConfig[] {
  return (limits ?? []).map((limit, i) => {
    const where = `${scope.node.path}: usageLimits[${i}]`;
    if (!Object.values(UsageScope).includes(limit.scope)) {
      throw new Error(`${where}.scope is ${JSON.stringify(limit.scope)}. Fix: use UsageScope.USER, TENANT, FEATURE, WORKFLOW or RUN.`);
    }
    if (!Object.values(UsageWindow).includes(limit.window)) {
      throw new Error(`${where}.window is ${JSON.stringify(limit.window)}. Fix: use UsageWindow.MINUTE, HOUR, DAY or MONTH.`);
    }
    if (limit.scope === UsageScope.RUN) checkRunLimit(where, limit, hasLedger);
    const given = [limit.maxRequests, limit.maxTokens, limit.maxCostUsd].filter((v) => v !== undefined);
    if (given.length === 0) throw new Error(`${where} sets no maximum. Fix: give maxRequests, maxTokens or maxCostUsd.`);
    for (const [name, value, whole] of [['maxRequests', limit.maxRequests, true], ['maxTokens', limit.maxTokens, true], ['maxCostUsd', limit.maxCostUsd, false]] as const) {
      if (value === undefined || Token.isUnresolved(value)) continue;
      // Refused rather than warned: a zero maximum makes every call a 429, which is an outage, not a limit (to pause
      // a feature, the circuit breaker says why and when it resumes).
      if (value === 0) {
        throw new Error(`${where}.${name} is 0, which refuses every request. Fix: use a ${whole ? 'whole number' : 'number of US dollars'} above 0, or remove ${name} to leave ${name === 'maxRequests' ? 'requests' : name === 'maxTokens' ? 'tokens' : 'spend'} unlimited.`);
      }
      if (!Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
        throw new Error(`${where}.${name} is ${value}. Fix: use a ${whole ? 'whole number' : 'number of US dollars'} above 0.`);
      }
    }
    for (const [name, value] of [['tier', limit.tier], ['shards', limit.shards], ['onLedgerUnavailable', limit.onLedgerUnavailable], ['allowanceSeconds', limit.allowanceSeconds]] as const) {
      if (value !== undefined && !hasLedger) {
        throw new Error(`${where}.${name} is ${JSON.stringify(value)}, which only a shared ledger counts. Fix: pass usageLedger: new UsageLedger(...), or remove ${name}.`);
      }
    }
    if (limit.tier !== undefined && !Token.isUnresolved(limit.tier) && !TIER_NAME.test(limit.tier)) {
      throw new Error(`${where}.tier is ${JSON.stringify(limit.tier)}. Fix: use 1 to 64 letters, digits or . _ -, e.g. 'enterprise'.`);
    }
    if (limit.shards !== undefined && !Token.isUnresolved(limit.shards) && (!Number.isInteger(limit.shards) || limit.shards < 1 || limit.shards > MAX_LEDGER_SHARDS)) {
      throw new Error(`${where}.shards is ${limit.shards}. Fix: use a whole number from 1 to ${MAX_LEDGER_SHARDS}; each shard sustains about 500 model calls a second.`);
    }
    if (limit.onLedgerUnavailable !== undefined && !Object.values(LedgerFailureMode).includes(limit.onLedgerUnavailable)) {
      throw new Error(`${where}.onLedgerUnavailable is ${JSON.stringify(limit.onLedgerUnavailable)}. Fix: use LedgerFailureMode.OPEN or CLOSED.`);
    }
    checkAllowance(where, limit);
    return {
      scope: limit.scope,
      window: limit.window,
      ...(limit.allowanceSeconds ? { allowanceSeconds: limit.allowanceSeconds } : {}),
      ...(limit.tier !== undefined ? { tier: limit.tier } : {}),
      ...(limit.shards !== undefined ? { shards: limit.shards } : {}),
      ...(limit.onLedgerUnavailable !== undefined ? { onLedgerUnavailable: limit.onLedgerUnavailable } : {}),
      ...(limit.maxRequests !== undefined ? { maxRequests: limit.maxRequests } : {}),
      ...(limit.maxTokens !== undefined ? { maxTokens: limit.maxTokens } : {}),
      ...(limit.maxCostUsd !== undefined ? { maxCostUsd: limit.maxCostUsd } : {}),
    };
  });
}

/** An allowance is a number of seconds up to {@link MAX_ALLOWANCE_SECONDS}, and never of a run (its calls land on any container). */
function checkAllowance(where: string, limit: UsageLimit): void {
  const seconds = limit.allowanceSeconds;
  if (seconds === undefined || Token.isUnresolved(seconds)) return;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ALLOWANCE_SECONDS) {
    throw new Error(`${where}.allowanceSeconds is ${seconds}. Fix: use a number of seconds from 0 to ${MAX_ALLOWANCE_SECONDS} (0: every call reserves in the ledger).`);
  }
  if (seconds > 0 && limit.scope === UsageScope.RUN) {
    throw new Error(`${where}.allowanceSeconds is ${seconds} on a RUN limit, whose calls land on any container (an allowance held by one would be missing to the others). Fix: remove allowanceSeconds from the run limit.`);
  }
}

/**
 * A run limit is counted in the shared ledger only (a run's calls land on any container), fails closed (counted per
 * container it would not bound the run), and lives for a day or a month window (a shorter one would hand a run that
 * is still going a fresh budget every minute or hour).
 */
function checkRunLimit(where: string, limit: UsageLimit, hasLedger: boolean): void {
  if (!hasLedger) {
    throw new Error(`${where}.scope is UsageScope.RUN, which only a shared ledger counts (a run's calls reach any container). Fix: pass usageLedger: new UsageLedger(...), or remove the limit.`);
  }
  if (!(RUN_WINDOWS as ReadonlyArray<string>).includes(limit.window)) {
    throw new Error(`${where}.window is ${JSON.stringify(limit.window)}, too short to bound a run (its budget would restart while it runs). Fix: use UsageWindow.DAY or UsageWindow.MONTH.`);
  }
  if (limit.onLedgerUnavailable === LedgerFailureMode.OPEN) {
    throw new Error(`${where}.onLedgerUnavailable is "open", which a run limit cannot use (each container would count the run apart). Fix: remove onLedgerUnavailable; run limits fail closed.`);
  }
}
