import { AT_LIMIT_BEHAVIOURS, DEFAULT_NEAR_LIMIT_TIER, DEGRADED_ACTION_NAMES, MODEL_TIERS, NEAR_LIMIT_ACTIONS, NearLimitActionName, NearLimitConfig, ServiceTierName } from '../../../shared/contract';
import { ModelCatalog, serviceTierPrice } from '../../../shared/core';
import type { PipelineConfig } from '../config';
import { PipelineError } from '../errors';
import type { LimitStatus } from '../guards/spend-guard';
import type { RouteDecision } from '../types';
import { modelPrice } from './price-call';
import { capRoute } from './route-model';

/**
 * Stage — degrade before refusing: what a feature's `nearLimit` policy does to a call whose reservation brought a
 * token or USD limit to its `atShare`, or that the limit refused. Pure: the pipeline reads the limit status and
 * applies the outcome (a capped route, the Flex tier, a 429 or a deferral).
 */

/** A degraded answer says so: the action (its wire name), the limit (`tenant/month/costUsd`), its used share. */
export interface Degradation {
  /** The action's wire name: `cheaper-tier`, `flex`, `cache-only`, `deferred`. */
  readonly action: string;
  readonly limit: string;
  /** Of the limit, used once this call's reservation is counted (at a refusal: what the window had used). */
  readonly usedShare: number;
}

/** The near limit that triggers a policy: its status and the degradation it would report. */
export interface NearLimit {
  readonly status: Pick<LimitStatus, 'scope' | 'window' | 'measure' | 'limit' | 'resetsAt'>;
  readonly degraded: Degradation;
}

/** What a limit's window has used, this reservation included: `(limit − remaining) / limit`. */
export function usedShare(status: Pick<LimitStatus, 'limit' | 'remaining'>): number {
  if (!(status.limit > 0)) return 1;
  return Math.min(1, Math.max(0, (status.limit - status.remaining) / status.limit));
}

/** A limit's name in the header, the record and the deferred record: `<scope>/<window>/<measure>`. */
export function limitName(status: Pick<LimitStatus, 'scope' | 'window' | 'measure'>): string {
  return `${status.scope}/${status.window}/${status.measure}`;
}

/**
 * The near limit of a reservation: its tightest token or USD limit, when its used share reached the policy's
 * `atShare`. Request-rate limits never count (the caller passes the spend status, without them).
 */
export function nearLimitOf(policy: NearLimitConfig | undefined, spendStatus: LimitStatus | undefined): NearLimit | undefined {
  if (!policy || !spendStatus || spendStatus.measure === 'requests') return undefined;
  const share = usedShare(spendStatus);
  // Two decimals of the share are what the header shows; the comparison takes the exact one.
  if (share < policy.atShare) return undefined;
  return { status: spendStatus, degraded: degradationOf(policy.action, spendStatus, share) };
}

/** The limit a token or USD refusal names (its details), as a near limit at or over its whole. */
export function refusedLimitOf(policy: NearLimitConfig | undefined, refusal: unknown): NearLimit | undefined {
  if (!policy || policy.atLimit !== 'degrade' || !isSpendRefusal(refusal)) return undefined;
  const d = refusal.details as { scope: LimitStatus['scope']; window: LimitStatus['window']; measure: LimitStatus['measure']; limit: number; used?: number; resetsAt?: string };
  const status = { scope: d.scope, window: d.window, measure: d.measure, limit: d.limit, resetsAt: d.resetsAt ?? '' };
  // What the window had used when it refused (this call's reservation did not fit, so it is not counted).
  const share = typeof d.used === 'number' ? usedShare({ limit: d.limit, remaining: d.limit - d.used }) : 1;
  return { status, degraded: degradationOf(policy.action, status, share) };
}

/**
 * A refused limit's degradation once the call was reserved again on a cheaper bound: the share that reservation
 * left on the same limit, when the guard reports it (else what the window had used at the refusal).
 */
export function afterRetry(near: NearLimit, spendStatus: LimitStatus | undefined): NearLimit {
  if (!spendStatus || limitName(spendStatus) !== near.degraded.limit) return near;
  return { status: spendStatus, degraded: { ...near.degraded, usedShare: usedShare(spendStatus) } };
}

/** The route a `cheaperTier` policy calls: capped at its tier; the route itself when it is no dearer (not degraded). */
export function cheaperRoute(route: RouteDecision, policy: NearLimitConfig, config: PipelineConfig, near: NearLimit): RouteDecision {
  return capRoute(route, policy.tier ?? DEFAULT_NEAR_LIMIT_TIER, config, `near limit ${near.degraded.limit} (${formatShare(near.degraded.usedShare)} used)`);
}

/** What a policy does to a call it found near (or, retried on a cheaper route, past) its limit. */
export type NearLimitOutcome =
  | { readonly kind: 'call'; readonly route: RouteDecision; readonly serviceTier: ServiceTierName; readonly degraded?: Degradation }
  | { readonly kind: 'cacheOnly' | 'defer'; readonly near: NearLimit };

/**
 * The call a reserved miss makes under its feature's policy: routed and tiered as asked when nothing is near (or the
 * action changes nothing: a route already no dearer, a model without a Flex price); else capped, in Flex, refused
 * (cache only) or deferred. `pastLimitRoute`: the cheaper route the call was reserved on again after the limit refused.
 */
export function nearLimitOutcome(
  policy: NearLimitConfig | undefined, near: NearLimit | undefined, route: RouteDecision, serviceTier: ServiceTierName,
  config: PipelineConfig, catalog: ModelCatalog, pastLimitRoute?: RouteDecision,
): NearLimitOutcome {
  const asRouted = { kind: 'call' as const, route, serviceTier };
  if (!policy || !near) return asRouted;
  switch (policy.action) {
    case 'cheaperTier': {
      // The reservation made on the dearer route's bound stays: settled to what the cheaper call billed.
      const cheaper = pastLimitRoute ?? cheaperRoute(route, policy, config, near);
      return cheaper === route ? asRouted : { kind: 'call', route: cheaper, serviceTier, degraded: near.degraded };
    }
    case 'flex':
      // Reserved at the standard price all the same: Bedrock may serve a Flex request at standard.
      return serviceTier === 'flex' || !flexApplies(route.modelId, catalog, config) ? asRouted : { kind: 'call', route, serviceTier: 'flex', degraded: near.degraded };
    case 'cacheOnly':
    case 'defer':
      return { kind: policy.action, near };
  }
}

/** Whether a `flex` policy applies to a call of `modelId`: only where the catalog has the model's Flex price. */
export function flexApplies(modelId: string, catalog: ModelCatalog, config: PipelineConfig): boolean {
  return serviceTierPrice(modelPrice(modelId, catalog, config).price, 'flex') !== undefined;
}

/** A miss refused by a `cacheOnly` policy: 429, with the limit, its used share and when it resets (Retry-After). */
export function cacheOnlyRefusal(near: NearLimit, nowMs: number, feature: string): PipelineError {
  const { degraded, status } = near;
  const retryAfterSeconds = secondsUntil(status.resetsAt, nowMs);
  return new PipelineError(429, 'NEAR_LIMIT_CACHE_ONLY',
    `Feature '${feature}' answers from the response cache only near its ${degraded.limit} limit (${formatShare(degraded.usedShare)} used), and this request is not cached; no model was called and nothing was charged. Retry after the limit resets${status.resetsAt ? ` (${status.resetsAt})` : ''}, or ask something already answered.`,
    { limit: degraded.limit, usedShare: round2(degraded.usedShare), resetsAt: status.resetsAt, retryAfterSeconds, degraded });
}

/** A `defer` policy without a place to defer to (no deferral dependency): refused like the limit would be. */
export function deferUnavailableRefusal(near: NearLimit, nowMs: number, feature: string): PipelineError {
  const { degraded, status } = near;
  return new PipelineError(429, 'NEAR_LIMIT_DEFER_UNAVAILABLE',
    `Feature '${feature}' defers work near its ${degraded.limit} limit (${formatShare(degraded.usedShare)} used), but this workflow cannot defer (no deferral store); nothing was charged. Retry after the limit resets${status.resetsAt ? ` (${status.resetsAt})` : ''}.`,
    { limit: degraded.limit, usedShare: round2(degraded.usedShare), resetsAt: status.resetsAt, retryAfterSeconds: secondsUntil(status.resetsAt, nowMs) });
}

/** The `x-genai-degraded` header value: `<action>; limit=<scope/window/measure>; used=<share, 2 decimals>`. */
export function degradedHeaderValue(degraded: Degradation): string {
  return `${degraded.action}; limit=${degraded.limit}; used=${round2(degraded.usedShare).toFixed(2)}`;
}

/** Checks a feature's policy read from the environment (the constructs check it at synth; this is the backstop). */
export function checkNearLimitConfig(feature: string, policy: NearLimitConfig | undefined): void {
  if (policy === undefined) return;
  const where = `Pipeline configuration: feature '${feature}' nearLimit`;
  if (!NEAR_LIMIT_ACTIONS.includes(policy.action)) throw new Error(`${where} has action '${String(policy.action)}'; use one of ${NEAR_LIMIT_ACTIONS.join(', ')}.`);
  if (typeof policy.atShare !== 'number' || !(policy.atShare > 0 && policy.atShare <= 1)) throw new Error(`${where} has atShare ${String(policy.atShare)}; use a share in (0, 1], e.g. 0.8.`);
  if (!AT_LIMIT_BEHAVIOURS.includes(policy.atLimit)) throw new Error(`${where} has atLimit '${String(policy.atLimit)}'; use one of ${AT_LIMIT_BEHAVIOURS.join(', ')}.`);
  if (policy.tier !== undefined && !MODEL_TIERS.includes(policy.tier)) throw new Error(`${where} has tier '${String(policy.tier)}'; use one of ${MODEL_TIERS.join(', ')}.`);
}

function degradationOf(action: NearLimitActionName, status: Pick<LimitStatus, 'scope' | 'window' | 'measure'>, share: number): Degradation {
  return { action: DEGRADED_ACTION_NAMES[action], limit: limitName(status), usedShare: share };
}

function isSpendRefusal(error: unknown): error is PipelineError {
  return error instanceof PipelineError && error.status === 429 && error.code === 'USAGE_LIMIT_EXCEEDED'
    && (error.details.measure === 'tokens' || error.details.measure === 'costUsd') && typeof error.details.limit === 'number';
}

function secondsUntil(iso: string, nowMs: number): number {
  const at = Date.parse(iso);
  return Number.isFinite(at) ? Math.max(1, Math.ceil((at - nowMs) / 1000)) : 60;
}

function round2(share: number): number {
  return Math.round(share * 100) / 100;
}

function formatShare(share: number): string {
  return `${Math.round(share * 100)} %`;
}
