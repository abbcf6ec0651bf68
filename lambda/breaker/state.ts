import { BREAKER_ALL_FEATURES, breakerPeriodCurrent, breakerPeriodEndMs } from '../../shared/contract';

/** A breaker's state item as stored: per `application#feature`, and `application#*` for the global breaker. */
export interface BreakerStateItem {
  readonly feature: string;
  readonly status: 'open' | 'closed';
  /** The sources holding it open (`budget:<name>`, `alarm:<name>`, `manual`): it closes when the last lets go. */
  readonly sources: ReadonlyArray<string>;
  /** ISO time it was opened. */
  readonly openedAt?: string;
  /** Why, in words: the notification that tripped it. */
  readonly reason?: string;
  /** The source that opened it first. */
  readonly source?: string;
  /** The budget period it applies to (`2026-11`): it closes when the period is over. */
  readonly period?: string;
  readonly updatedAt?: string;
}

/** A state as the guard sees it at `nowMs`: open only within the period it was opened in. */
export interface EffectiveBreakerState {
  readonly feature: string;
  readonly open: boolean;
  readonly source?: string;
  readonly reason?: string;
  readonly openedAt?: string;
  readonly period?: string;
  /** When the period ends and the state closes by itself (ISO), if it has a period. */
  readonly resetsAt?: string;
}

/** The state of `item` at `nowMs`: an open state of an earlier period reads as closed (the period reset). */
export function effectiveState(feature: string, item: BreakerStateItem | undefined, nowMs: number): EffectiveBreakerState {
  if (!item || item.status !== 'open') return { feature, open: false };
  if (item.period !== undefined && !breakerPeriodCurrent(item.period, nowMs)) return { feature, open: false };
  const end = item.period !== undefined ? breakerPeriodEndMs(item.period) : undefined;
  return {
    feature, open: true, source: item.source, reason: item.reason, openedAt: item.openedAt, period: item.period,
    ...(end !== undefined ? { resetsAt: new Date(end).toISOString() } : {}),
  };
}

/** The breakers that govern `feature`: its own and the global one. */
export function governingFeatures(feature: string): string[] {
  return feature === BREAKER_ALL_FEATURES ? [BREAKER_ALL_FEATURES] : [feature, BREAKER_ALL_FEATURES];
}

/** Reads breaker states; the guard's port to the table. */
export interface BreakerStateReader {
  /** The state items of `features` of `application` (absent: never tripped). Throws when the table cannot be read. */
  read(application: string, features: ReadonlyArray<string>, options?: BreakerReadOptions): Promise<Map<string, BreakerStateItem | undefined>>;
}

/** Options of a {@link BreakerStateReader.read}. */
export interface BreakerReadOptions {
  /** Abandons the read (the guard's time limit). */
  readonly abortSignal?: AbortSignal;
}
