import type { StoredReservation } from '../../../shared/contract';
import type { Reservation } from '../guards/guard-chain';
import type { SpendContext } from '../guards/spend-guard';

/**
 * Reservations that outlive the invocation that took them (a batch job's marker, a deferred record): written with
 * the identity they were taken under, and read back to be settled under it, on path `batch`, so that the usage ledger
 * finds the hold it kept (`DynamoDbLedgerGuard`: a batch hold lives `batchHoldSeconds`, then its sweep settles it at
 * its bound).
 */

/** A reservation (taken with `context`) in its stored terms. */
export function storeReservation(context: SpendContext, reservation: Reservation): StoredReservation {
  return {
    requestId: context.requestId,
    tenantId: context.tenantId,
    userId: context.userId,
    feature: context.feature,
    reservedAt: new Date(context.nowMs).toISOString(),
    estimate: { tokens: reservation.estimate.tokens, cacheReadTokens: reservation.estimate.cacheReadTokens, costAtto: reservation.estimate.costAtto.toString() },
    holds: reservation.holds.map(({ guard, hold }) => (hold === undefined ? { guard } : { guard, hold })),
  };
}

/** A stored reservation and the context it settles under (its own identity, path `batch`, at `nowMs`). */
export function restoreReservation(stored: StoredReservation, nowMs: number): { readonly context: SpendContext; readonly reservation: Reservation } {
  return {
    context: { requestId: stored.requestId, tenantId: stored.tenantId, userId: stored.userId, feature: stored.feature, path: 'batch', nowMs },
    reservation: {
      estimate: { tokens: stored.estimate.tokens, cacheReadTokens: stored.estimate.cacheReadTokens, costAtto: BigInt(stored.estimate.costAtto) },
      holds: stored.holds.map(({ guard, hold }) => ({ guard, hold })),
    },
  };
}

/**
 * Whether `value` (read from an object in S3) has a stored reservation's shape: only such a one is settled; the
 * ledger itself checks that its hold belongs to the tenant it names.
 */
export function isStoredReservation(value: unknown): value is StoredReservation {
  const v = value as Partial<Record<keyof StoredReservation, unknown>> | null;
  if (v === null || typeof v !== 'object') return false;
  const estimate = v.estimate as Partial<Record<string, unknown>> | undefined;
  return ['requestId', 'tenantId', 'userId', 'feature', 'reservedAt'].every((k) => typeof v[k as keyof StoredReservation] === 'string')
    && !!estimate && Number.isSafeInteger(estimate.tokens) && Number.isSafeInteger(estimate.cacheReadTokens)
    && typeof estimate.costAtto === 'string' && /^\d{1,40}$/.test(estimate.costAtto)
    && Array.isArray(v.holds) && v.holds.every((h: unknown) => {
    const hold = h as { guard?: unknown; hold?: unknown } | null;
    return hold !== null && typeof hold === 'object' && typeof hold.guard === 'string' && (hold.hold === undefined || typeof hold.hold === 'string');
  });
}
