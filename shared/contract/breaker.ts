import type { ModelTier } from './pipeline-config';

/**
 * The circuit breaker's contract: what the workflows' guard reads (`guards.breaker` of the pipeline configuration),
 * what the breaker Lambda reads (`GENAI_BREAKER_CONFIG`), the state table's keys and the period rule both apply.
 * Pure: no AWS SDK, no aws-cdk-lib.
 */

/**
 * What a tripped breaker does to a non-critical feature: refuse it (503), cap its routing at a cheaper tier, or admit
 * only a share of its requests (429 for the rest). The public `WhenTripped` enum is checked against this list at
 * compile time.
 */
export const BREAKER_MODES = Object.freeze(['pause', 'downgrade', 'throttle'] as const);

/** One breaker mode. */
export type BreakerMode = (typeof BREAKER_MODES)[number];

/** How one feature behaves when its breaker (or the global one) is open. */
export interface BreakerFeatureConfig {
  /** A critical feature keeps running, unchanged, whatever the breaker says. */
  readonly critical: boolean;
  readonly whenTripped: BreakerMode;
  /** With `downgrade`: the highest tier the feature may be routed to while tripped. @default 'simple' */
  readonly downgradeTo?: ModelTier;
  /**
   * With `throttle`: the share of the feature's requests admitted while tripped, 0 < share < 1 (each container
   * admits that share of the requests it receives).
   * @default DEFAULT_BREAKER_THROTTLE_SHARE
   */
  readonly throttleTo?: number;
}

/** The guard's configuration (`guards.breaker`), as the workflow constructs write it. */
export interface BreakerConfig {
  /** The breaker state table. */
  readonly tableName: string;
  /** How long a container trusts the states it read; the hot path reads DynamoDB at most once per TTL. */
  readonly cacheTtlSeconds: number;
  /** Per-feature behaviour; a feature not listed uses {@link BreakerConfig.defaultFeature}. */
  readonly features: Readonly<Record<string, BreakerFeatureConfig>>;
  /** The behaviour of every feature not in `features` (the workflow's own feature, whatever its tag says). */
  readonly defaultFeature?: BreakerFeatureConfig;
  /**
   * How long the guard waits for the state table before it fails open (the request passes, `BreakerUnavailable`).
   * @default DEFAULT_BREAKER_READ_TIMEOUT_MS
   */
  readonly readTimeoutMs?: number;
}

/**
 * The calendar granularity of a budget; a breaker tripped in one period closes when the next one starts. The public
 * `BreakerPeriod` enum is checked against this list at compile time.
 */
export const BREAKER_PERIOD_UNITS = Object.freeze(['day', 'month', 'quarter', 'year'] as const);

/** One breaker period. */
export type BreakerPeriodUnit = (typeof BREAKER_PERIOD_UNITS)[number];

/** What opened a breaker. */
export type BreakerSourceKind = 'budget' | 'alarm' | 'manual';

/** A budget the breaker acts on: its notifications trip `features` for the budget's period. */
export interface BreakerBudgetRule {
  /** The budget's name, as AWS Budgets writes it on the `Budget Name:` line. */
  readonly name: string;
  /** Features it trips (`*`: the global breaker, every feature). */
  readonly features: ReadonlyArray<string>;
  /** The budget's period. @default - what the notification says ("per day"...), else 'month' */
  readonly period?: BreakerPeriodUnit;
}

/** A CloudWatch alarm the breaker acts on: its ALARM trips `features`, its OK lets go of what it opened. */
export interface BreakerAlarmRule {
  readonly name: string;
  readonly features: ReadonlyArray<string>;
}

/** The breaker Lambda's configuration (`GENAI_BREAKER_CONFIG`), written by the CircuitBreaker construct. */
export interface BreakerHandlerConfig {
  readonly tableName: string;
  /** The `Application` the states belong to (the workflows' Application tag). */
  readonly application: string;
  readonly budgets: ReadonlyArray<BreakerBudgetRule>;
  readonly alarms: ReadonlyArray<BreakerAlarmRule>;
  /** The period of an alarm-opened state (it also closes when that period ends). @default 'month' */
  readonly alarmPeriod?: BreakerPeriodUnit;
  /** Days an audit item is kept (DynamoDB TTL). @default DEFAULT_BREAKER_AUDIT_RETENTION_DAYS */
  readonly auditRetentionDays?: number;
  /**
   * What a trip does to each feature of the workflows obeying the breaker, in words ({@link breakerTripEffect}; `*`:
   * every feature's), so that a breaker alert says "throttled to 25 %" rather than "paused or downgraded".
   * @default - none: alerts describe the modes in general
   */
  readonly effects?: Readonly<Record<string, string>>;
}

/** The feature name of the global breaker: tripping it trips every feature of the application. */
export const BREAKER_ALL_FEATURES = '*';
/** How long the guard waits for the breaker table by default: a brake must not hold up the requests it lets through. */
export const DEFAULT_BREAKER_READ_TIMEOUT_MS = 1_000;
/**
 * The share of a throttled feature's requests admitted while its breaker is open, by default: a quarter of the load
 * keeps the feature usable (a user who retries gets through) while its spend rate drops by three quarters.
 */
export const DEFAULT_BREAKER_THROTTLE_SHARE = 0.25;
/** A throttle share as the refusals and alerts write it: 0.25 → `25 %`, 0.125 → `12.5 %`. */
export function breakerSharePercent(share: number): string {
  return `${Number((share * 100).toFixed(4))} %`;
}
/** What a trip does to a feature with this behaviour, as the breaker's alerts say it. */
export function breakerTripEffect(feature: BreakerFeatureConfig): string {
  if (feature.critical) return 'unaffected (critical, it keeps running)';
  switch (feature.whenTripped) {
    case 'pause': return 'paused (503 FEATURE_PAUSED)';
    case 'downgrade': return `downgraded to the ${feature.downgradeTo ?? 'simple'} tier`;
    case 'throttle': return `throttled to ${breakerSharePercent(feature.throttleTo ?? DEFAULT_BREAKER_THROTTLE_SHARE)} of its requests (429 FEATURE_THROTTLED for the rest)`;
  }
}
/** The guard's default cache TTL. */
export const DEFAULT_BREAKER_CACHE_TTL_SECONDS = 30;
/**
 * Days an audit item is kept by default: the construct writes it when `auditRetention` is left out, the breaker
 * Lambda assumes it when the configuration has none. Over a year, so a year-on-year review still finds last year's trips.
 */
export const DEFAULT_BREAKER_AUDIT_RETENTION_DAYS = 400;

/** The table's keys: partition `pk` = `application#feature`, sort `sk` = `state` or `audit#<ISO time>#<id>`. */
export const BREAKER_TABLE = Object.freeze({
  partitionKey: 'pk',
  sortKey: 'sk',
  stateSortKey: 'state',
  auditPrefix: 'audit#',
  ttlAttribute: 'expiresAt',
} as const);

/** The partition key of a feature's (or, with `*`, the global) breaker. */
export function breakerPartitionKey(application: string, feature: string): string {
  return `${application}#${feature}`;
}

/** The id of the period `nowMs` falls in (UTC): `2026-11-27`, `2026-11`, `2026-Q4`, `2026`. */
export function breakerPeriodId(unit: BreakerPeriodUnit, nowMs: number): string {
  const d = new Date(nowMs);
  switch (unit) {
    case 'day': return d.toISOString().slice(0, 10);
    case 'month': return d.toISOString().slice(0, 7);
    case 'quarter': return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
    case 'year': return String(d.getUTCFullYear());
  }
}

/** When the period `periodId` ends (epoch ms, UTC), for "resets at" messages; undefined for an unknown id. */
export function breakerPeriodEndMs(periodId: string): number | undefined {
  let m: RegExpMatchArray | null;
  if ((m = periodId.match(/^(\d{4})-(\d{2})-(\d{2})$/))) return Date.UTC(+m[1], +m[2] - 1, +m[3] + 1);
  if ((m = periodId.match(/^(\d{4})-(\d{2})$/))) return Date.UTC(+m[1], +m[2], 1);
  if ((m = periodId.match(/^(\d{4})-Q([1-4])$/))) return Date.UTC(+m[1], +m[2] * 3, 1);
  if ((m = periodId.match(/^(\d{4})$/))) return Date.UTC(+m[1] + 1, 0, 1);
  return undefined;
}

/** The unit of a period id, so that "is this state's period over?" is answered from the state alone. */
export function breakerPeriodUnitOf(periodId: string): BreakerPeriodUnit | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(periodId)) return 'day';
  if (/^\d{4}-\d{2}$/.test(periodId)) return 'month';
  if (/^\d{4}-Q[1-4]$/.test(periodId)) return 'quarter';
  if (/^\d{4}$/.test(periodId)) return 'year';
  return undefined;
}

/**
 * Whether a state opened in `periodId` still holds at `nowMs`: only within that period. The next period closes it
 * at read time, with no job. An id that is not a period (e.g. `none`) never lapses.
 */
export function breakerPeriodCurrent(periodId: string, nowMs: number): boolean {
  const unit = breakerPeriodUnitOf(periodId);
  return unit === undefined ? true : breakerPeriodId(unit, nowMs) === periodId;
}
