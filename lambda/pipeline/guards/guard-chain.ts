import { MODEL_TIERS } from '../../../shared/contract';
import { AdmitDecision, LimitStatus, SpendAmount, SpendContext, SpendGuard, NO_SPEND } from './spend-guard';

/** What a chain reserved: one hold per guard that reserved, and the amount, for the settlement. */
export interface Reservation {
  readonly estimate: SpendAmount;
  readonly holds: ReadonlyArray<{ readonly guard: string; readonly hold: string | undefined }>;
}

/** A guard whose settlement failed; the call was billed all the same, so the caller still gets its answer. */
export interface SettleFailure {
  readonly guard: string;
  readonly error: unknown;
}

/**
 * Guards composed in order. `admit` asks each in turn. `reserve` is all or none: when one guard refuses, the holds
 * the earlier guards took are settled to nothing before the refusal is rethrown, so a refused request leaves no
 * reservation behind. `settle` asks every guard that reserved, in parallel, and reports the failures instead of
 * throwing them: by then Bedrock has billed, and the answer must not be turned into an error.
 */
export class GuardChain {
  constructor(private readonly guards: ReadonlyArray<SpendGuard> = []) {}

  /** Whether there is any guard at all (the pipeline skips the work of pricing an estimate when there is none). */
  get empty(): boolean {
    return this.guards.length === 0;
  }

  /** Whether any guard counts the request in its reservation ({@link SpendGuard.admitsWhenReserving}). */
  get admitsWhenReserving(): boolean {
    return this.guards.some((g) => g.admitsWhenReserving);
  }

  /** Asks each selected guard to admit the request: a refusal throws; of the tier caps they return, the lowest applies. */
  async admit(context: SpendContext, which: GuardSelection = 'all'): Promise<AdmitDecision> {
    let decision: AdmitDecision = {};
    for (const guard of this.guards) {
      if (!selected(guard, which)) continue;
      const admitted = await guard.admit?.(context);
      if (admitted?.maxTier && (decision.maxTier === undefined || MODEL_TIERS.indexOf(admitted.maxTier) < MODEL_TIERS.indexOf(decision.maxTier))) {
        decision = admitted;
      }
    }
    return decision;
  }

  /**
   * Reserves on each selected guard, all or none. The guards that admit when reserving, selected alone, count the
   * request with their reservation.
   */
  async reserve(context: SpendContext, estimate: SpendAmount, which: GuardSelection = 'all'): Promise<Reservation> {
    const holds: Array<{ guard: string; hold: string | undefined }> = [];
    for (const guard of this.guards) {
      if (!guard.reserve || !selected(guard, which)) continue;
      try {
        holds.push({ guard: guard.name, hold: await guard.reserve(context, estimate, which === 'admitsWhenReserving') });
      } catch (error) {
        await this.settle(context, { estimate, holds }, NO_SPEND, `${context.path}:${context.requestId}:refused`);
        throw error;
      }
    }
    return { estimate, holds };
  }

  /** The tightest limit the reservation's holds left (the smallest share remaining), for rate-limit headers. */
  statusOf(reservation: Reservation): LimitStatus | undefined {
    return this.tightestOf(reservation, (guard, hold) => guard.statusOf?.(hold));
  }

  /** The tightest token or USD limit the reservation's holds left: what a `nearLimit` policy compares. */
  spendStatusOf(reservation: Reservation): LimitStatus | undefined {
    return this.tightestOf(reservation, (guard, hold) => guard.spendStatusOf?.(hold));
  }

  private tightestOf(reservation: Reservation, statusOf: (guard: SpendGuard, hold: string) => LimitStatus | undefined): LimitStatus | undefined {
    const byName = new Map(this.guards.map((g) => [g.name, g]));
    let tightest: LimitStatus | undefined;
    for (const { guard, hold } of reservation.holds) {
      const owner = byName.get(guard);
      const status = hold === undefined || !owner ? undefined : statusOf(owner, hold);
      if (status && (!tightest || share(status) < share(tightest))) tightest = status;
    }
    return tightest;
  }

  async settle(context: SpendContext, reservation: Reservation, actual: SpendAmount, idempotencyKey: string): Promise<SettleFailure[]> {
    const byName = new Map(this.guards.map((g) => [g.name, g]));
    const outcomes = await Promise.allSettled(reservation.holds.map(({ guard, hold }) =>
      byName.get(guard)?.settle?.(context, hold, reservation.estimate, actual, idempotencyKey) ?? Promise.resolve()));
    const failures: SettleFailure[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') failures.push({ guard: reservation.holds[i].guard, error: outcome.reason });
    });
    return failures;
  }
}

/**
 * The guards a chain call asks: all of them, only those that count the request in their reservation
 * ({@link SpendGuard.admitsWhenReserving}), or all the others.
 */
export type GuardSelection = 'all' | 'admitsWhenReserving' | 'others';

function selected(guard: SpendGuard, which: GuardSelection): boolean {
  return which === 'all' || (which === 'admitsWhenReserving') === (guard.admitsWhenReserving === true);
}

function share(status: LimitStatus): number {
  return status.limit > 0 ? status.remaining / status.limit : 0;
}
