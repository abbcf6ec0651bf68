import { MODEL_TIERS } from '../../contract';
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

  /** Whether any guard reserves speculatively (alongside the response-cache read). */
  get speculative(): boolean {
    return this.guards.some((g) => g.speculative);
  }

  /**
   * Asks each guard to admit the request. With `deferSpeculative`, speculative guards are skipped: their
   * reservation (`reserve(..., 'speculative')`) admits the request instead.
   */
  async admit(context: SpendContext, options: { readonly deferSpeculative?: boolean } = {}): Promise<AdmitDecision> {
    let decision: AdmitDecision = {};
    for (const guard of this.guards) {
      if (options.deferSpeculative && guard.speculative) continue;
      // A refusal throws; of the tier caps the guards return (a breaker downgrading the feature), the lowest applies.
      const admitted = await guard.admit?.(context);
      if (admitted?.maxTier && (decision.maxTier === undefined || MODEL_TIERS.indexOf(admitted.maxTier) < MODEL_TIERS.indexOf(decision.maxTier))) {
        decision = admitted;
      }
    }
    return decision;
  }

  /** The admit of the speculative guards only: for a cache hit whose speculative reservation was refused. */
  async admitSpeculative(context: SpendContext): Promise<void> {
    for (const guard of this.guards) if (guard.speculative) await guard.admit?.(context);
  }

  /**
   * Reserves on every guard (`all`), on the speculative guards only, admitting the request with it
   * (`speculative`), or on the others only (`others`, after a speculative reservation). All or none.
   */
  async reserve(context: SpendContext, estimate: SpendAmount, which: 'all' | 'speculative' | 'others' = 'all'): Promise<Reservation> {
    const holds: Array<{ guard: string; hold: string | undefined }> = [];
    for (const guard of this.guards) {
      if (!guard.reserve) continue;
      if ((which === 'speculative' && !guard.speculative) || (which === 'others' && guard.speculative)) continue;
      try {
        holds.push({ guard: guard.name, hold: await guard.reserve(context, estimate, which === 'speculative') });
      } catch (error) {
        await this.settle(context, { estimate, holds }, NO_SPEND, `${context.path}:${context.requestId}:refused`);
        throw error;
      }
    }
    return { estimate, holds };
  }

  /** The tightest limit the reservation's holds left (the smallest share remaining), for rate-limit headers. */
  statusOf(reservation: Reservation): LimitStatus | undefined {
    const byName = new Map(this.guards.map((g) => [g.name, g]));
    let tightest: LimitStatus | undefined;
    for (const { guard, hold } of reservation.holds) {
      const status = hold === undefined ? undefined : byName.get(guard)?.statusOf?.(hold);
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

function share(status: LimitStatus): number {
  return status.limit > 0 ? status.remaining / status.limit : 0;
}
