import { PipelineError } from '../errors';
import { GuardChain, Reservation } from '../guards/guard-chain';
import { AdmitDecision, LimitStatus, NO_SPEND, SpendAmount, SpendContext } from '../guards/spend-guard';

/**
 * When a limit refuses a reservation: a smaller estimate to reserve on instead (once), or undefined to keep the
 * refusal. It may throw its own error (a 503 when what would make the estimate smaller is unavailable).
 */
export type SmallerEstimate = (refusal: unknown) => Promise<SpendAmount | undefined>;

/** What a call answered from the response cache left: the limit status, and how many guards could not settle. */
export interface CacheHitSpend {
  readonly limits?: LimitStatus;
  readonly settleFailures: number;
}

/** A promise's outcome, looked at after it settled (never an unhandled rejection meanwhile). */
type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * The spend of a call that the response cache may still answer for free: admitted, bounded, then a hit or a miss.
 *
 * Guards that count the request in their reservation (a shared ledger: one write instead of two round trips) are
 * not asked to admit: from {@link bound} on, their reservation runs beside the cache read, so a miss adds no
 * sequential round trip. On a {@link hit} that reservation is settled to nothing (the request stays counted, the
 * tokens go back), or, if it was refused, those guards admit after all: only a request-rate limit may refuse a hit.
 * On a {@link miss} the other guards reserve; if they refuse, the early holds go back.
 */
export class PendingSpend {
  private estimate?: SpendAmount;
  private early?: Promise<Settled<Reservation>>;

  constructor(
    private readonly chain: GuardChain,
    private readonly context: SpendContext,
    /** Breakers and request-rate limits: a refusal threw; a tier cap (a breaker downgrading a feature) applies. */
    readonly admitted: AdmitDecision,
    private readonly settle: (reservation: Reservation, actual: SpendAmount) => Promise<number>,
  ) {}

  /** The most the call can use, known once it is routed. Call it before the cache read, once. */
  bound(estimate: SpendAmount): void {
    this.estimate = estimate;
    if (this.chain.admitsWhenReserving) this.early = outcomeOf(this.chain.reserve(this.context, estimate, 'admitsWhenReserving'));
  }

  /** The response cache answered: nothing is spent. */
  async hit(): Promise<CacheHitSpend> {
    const { limits, settle } = await this.hitThenSettle();
    return { ...(limits ? { limits } : {}), settleFailures: await settle() };
  }

  /**
   * {@link hit}, with the early reservation's release left to the caller, to run after the cached answer was sent.
   * A refusal (a request-rate limit) still throws here, before anything is answered.
   */
  async hitThenSettle(): Promise<{ readonly limits?: LimitStatus; readonly settle: () => Promise<number> }> {
    const nothing = { settle: () => Promise.resolve(0) };
    if (!this.chain.admitsWhenReserving) return nothing;
    const early = await this.early;
    if (!early?.ok) {
      await this.chain.admit(this.context, 'admitsWhenReserving');
      return nothing;
    }
    const limits = this.chain.statusOf(early.value);
    let settling: Promise<number> | undefined;
    return { ...(limits ? { limits } : {}), settle: () => settling ??= this.settle(early.value, NO_SPEND) };
  }

  /**
   * The response cache did not answer: the call's reservation on every guard, for the spend port's `spend`. When a
   * token or USD limit refuses it and `smaller` offers a smaller estimate, the call is reserved again on that one,
   * on every guard, once: the refused reservation was withdrawn whole (all or none), so the request is counted once.
   * A refusal that says something may stay counted (`charged`) is not retried, so a request limit never counts it
   * twice.
   */
  async miss(smaller?: SmallerEstimate): Promise<Reservation> {
    const estimate = this.estimate;
    if (!estimate) throw new Error('a pending spend was missed before it was bounded: call bound(estimate) before the cache read');
    const early = this.early ? await this.early : undefined;
    let earlyHeld = false;
    try {
      if (!early) return await this.chain.reserve(this.context, estimate);
      if (!early.ok) throw early.error;
      earlyHeld = true;
      return await this.reserveOthers(early.value);
    } catch (refusal) {
      if (!smaller || !isSpendLimitRefusal(refusal)) throw refusal;
      const retry = await smaller(refusal);
      if (!retry || (retry.tokens >= estimate.tokens && retry.costAtto >= estimate.costAtto)) throw refusal;
      // Early holds a later guard refused were released with the request still counted: reserved again without
      // counting it. A refused early reservation was withdrawn whole: reserved again, counting it.
      if (!early || earlyHeld) return this.chain.reserve(this.context, retry);
      return this.reserveOthers(await this.chain.reserve(this.context, retry, 'admitsWhenReserving'));
    }
  }

  // The other guards reserve after the early ones did; if they refuse, the early holds go back.
  private async reserveOthers(early: Reservation): Promise<Reservation> {
    let others: Reservation;
    try {
      others = await this.chain.reserve(this.context, early.estimate, 'others');
    } catch (error) {
      await this.chain.settle(this.context, early, NO_SPEND, `${this.context.path}:${this.context.requestId}:refused`);
      throw error;
    }
    return { estimate: early.estimate, holds: [...early.holds, ...others.holds] };
  }
}

/**
 * The spend of a call whose reservation was taken before (a deferred record's, stored when the API accepted it), with
 * {@link PendingSpend}'s seam: nothing is reserved; a hit settles the reservation to nothing, a miss spends it.
 */
export class ReservedSpend {
  constructor(
    readonly admitted: AdmitDecision,
    private readonly reservation: Reservation,
    private readonly settle: (actual: SpendAmount) => Promise<number>,
  ) {}

  /** The stored reservation is the bound: a new estimate changes nothing. */
  bound(_estimate: SpendAmount): void {}

  async hitThenSettle(): Promise<{ readonly limits?: LimitStatus; readonly settle: () => Promise<number> }> {
    let settling: Promise<number> | undefined;
    return { settle: () => settling ??= this.settle(NO_SPEND) };
  }

  /** The stored reservation, whatever a refusal would have offered (nothing is reserved, so nothing is refused). */
  async miss(_smaller?: SmallerEstimate): Promise<Reservation> {
    return this.reservation;
  }
}

function outcomeOf<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ ok: true as const, value }), (error) => ({ ok: false as const, error }));
}

/** A 429 of a token or USD limit that left nothing counted: one a smaller estimate may pass. */
function isSpendLimitRefusal(error: unknown): boolean {
  return error instanceof PipelineError && error.status === 429 && error.code === 'USAGE_LIMIT_EXCEEDED'
    && (error.details.measure === 'tokens' || error.details.measure === 'costUsd') && error.details.charged !== true;
}
