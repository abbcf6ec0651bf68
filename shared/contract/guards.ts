/** The guard chain's configuration: what the constructs write under `guards` and the guards read. */

import type { BreakerConfig } from './breaker';

/**
 * Who a usage limit counts for. The one list of scopes: the public `UsageScope` enum is checked against it at
 * compile time, and the runtime validates its configuration with it.
 */
export const USAGE_SCOPES = Object.freeze(['user', 'tenant', 'feature', 'workflow', 'run'] as const);

/** One usage-limit scope. */
export type UsageScope = (typeof USAGE_SCOPES)[number];

/**
 * Calendar-aligned windows (UTC), shortest first: a window resets when the calendar says so, not a fixed time after
 * first use. The one list of windows (the public `UsageWindow` enum is checked against it).
 */
export const USAGE_WINDOWS = Object.freeze(['minute', 'hour', 'day', 'month'] as const);

/** One usage-limit window. */
export type UsageWindow = (typeof USAGE_WINDOWS)[number];

/**
 * What a limit does when its shared ledger cannot be reached: `closed` refuses with 503, `open` counts in the
 * container's memory instead (each container then enforces the limit on its own) and reports it.
 */
export const LEDGER_FAILURE_MODES = Object.freeze(['open', 'closed'] as const);

/** One ledger failure mode. */
export type LedgerFailureMode = (typeof LEDGER_FAILURE_MODES)[number];

/** One limit: requests, tokens (fresh input + output + cache writes; cache reads count apart) and/or USD per window. */
export interface UsageLimitConfig {
  readonly scope: UsageScope;
  readonly window: UsageWindow;
  readonly maxRequests?: number;
  readonly maxTokens?: number;
  readonly maxCostUsd?: number;
  /**
   * The tenant tier this limit applies to (see {@link GuardsConfig.tenantTiers}); without one, it applies to every
   * tenant.
   */
  readonly tier?: string;
  /**
   * `dynamodb` store: how many counter items the limit is spread over (each holds its share of the limit), for
   * scopes hotter than one item's ~1,000 writes per second. Default {@link DEFAULT_LEDGER_SHARDS}.
   */
  readonly shards?: number;
  /**
   * `dynamodb` store: what the limit does when the ledger is unreachable. Default: `closed` when it limits tokens
   * or USD (a quota or a budget), `open` when it limits requests only (a rate limit).
   */
  readonly onLedgerUnavailable?: LedgerFailureMode;
  /**
   * `dynamodb` store: a container may take from the limit at once what its own calls reserved in the last this many
   * seconds (an allowance reserved in the ledger) and count in memory, so that its calls write nothing until the
   * allowance runs low; also the allowance's longest life. 0 or absent: every call reserves and settles in the
   * ledger. See `lambda/pipeline/guards/ledger-allowances.ts`.
   */
  readonly allowanceSeconds?: number;
}

/** The most seconds of demand an allowance may hold: a container's unused allowance stays counted if it dies. */
export const MAX_ALLOWANCE_SECONDS = 60;

/** Where usage limits are counted. */
export type UsageStore = 'container' | 'dynamodb';

/** The guard chain every spend path passes: admit before the cache lookup, reserve and settle around a model call. */
export interface GuardsConfig {
  /** Limits, checked in order; all of them must have room for a call to be reserved. */
  readonly usageLimits: ReadonlyArray<UsageLimitConfig>;
  /**
   * `container`: counted in the Lambda container's memory. It holds exactly within one container and bounds the
   * whole workflow at (containers × limit): pair it with reserved concurrency.
   * `dynamodb`: counted in a shared DynamoDB ledger ({@link ledgerTableName}): exact across containers.
   */
  readonly store: UsageStore;
  /**
   * The circuit breaker (CircuitBreaker construct): read at `admit`, before the cache lookup; a tripped breaker
   * pauses (503) or downgrades non-critical features. Absent: no breaker.
   */
  readonly breaker?: BreakerConfig;
  /** The ledger table, for the `dynamodb` store. */
  readonly ledgerTableName?: string;
  /**
   * How long one ledger call may take before the ledger counts as unreachable (and each limit takes its failure mode).
   * Default 1,500 ms: a Lambda should not wait longer on its quota than on most model answers.
   */
  readonly ledgerTimeoutMs?: number;
  /**
   * The tier of each tenant (the pipeline's tenant id, with its source prefix: `key:<api key id>`,
   * `authorizer:<tenant>`, `iam:<tenant>`): limits with a `tier` apply to the tenants of that tier.
   */
  readonly tenantTiers?: Readonly<Record<string, string>>;
  /** The tier of tenants not in {@link tenantTiers}. Default: none (only limits without a tier apply to them). */
  readonly defaultTier?: string;
}

/**
 * Run scope: the most runs one chain may hold (the run itself and its ancestors). Each call reserves on every run of
 * its chain, so the depth bounds the writes per call.
 */
export const MAX_RUN_DEPTH = 8;

/** Run scope: the windows a run limit may use (its budget's lifetime bound; see `UsageScope.RUN`). */
export const RUN_WINDOWS = Object.freeze(['day', 'month'] as const);

/** Counter items per limit in the ledger unless a limit says otherwise. */
export const DEFAULT_LEDGER_SHARDS = 1;

/** The most counter items one limit may be spread over. */
export const MAX_LEDGER_SHARDS = 100;

/** The ledger table's key and TTL attribute names: the construct creates the table, the runtime writes it. */
export const LEDGER_TABLE = Object.freeze({ partitionKey: 'pk', ttlAttribute: 'expiresAt' } as const);
