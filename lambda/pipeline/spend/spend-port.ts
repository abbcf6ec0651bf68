import { GuardChain, Reservation, SettleFailure } from '../guards/guard-chain';
import { AdmitDecision, LimitStatus, NO_SPEND, SpendAmount, SpendContext, SpendGuard } from '../guards/spend-guard';
import { PipelineError } from '../errors';

/** What a governed call gave back, and how many guards could not settle it. */
export interface SpendOutcome<T> {
  readonly value: T;
  readonly settleFailures: number;
  /** The tightest limit the reservation left, when a guard reports one. */
  readonly limits?: LimitStatus;
}

/** How a model call is governed. */
export interface GovernedCall<T> {
  /** The most the call can use: reserved before it. */
  readonly estimate: SpendAmount;
  /** The model call itself. */
  readonly invoke: () => Promise<T>;
  /** What Bedrock billed for a successful call. */
  readonly billed: (value: T) => SpendAmount;
  /**
   * What Bedrock billed for a failed one, given what was reserved for it (the estimate, or the smaller one a refusal
   * led to). @default nothing (throttled and failed calls are not billed)
   */
  readonly billedOnError?: (error: unknown, reserved: SpendAmount) => SpendAmount;
  /** Work to run beside the settlement (a cache write): one round trip instead of two. */
  readonly alongside?: (value: T) => Promise<void>;
  /** What the speculative guards already reserved ({@link SpendPort.reserveSpeculative}); the others reserve now. */
  readonly reserved?: Reservation;
  /** A reservation already taken on every guard ({@link SpendPort.reserveCall}): nothing more is reserved. */
  readonly reservation?: Reservation;
}

/**
 * When a limit refuses a reservation: a smaller estimate to reserve on instead (once), or undefined to keep the
 * refusal. It may throw its own error (a 503 when what would make the estimate smaller is unavailable).
 */
export type SmallerEstimate = (refusal: unknown) => Promise<SpendAmount | undefined>;

/** A promise's outcome, looked at after it settled (a speculative reservation started beside the cache read). */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * The one place every model call passes, on every path (Converse, embeddings, batch): admitted by the guard
 * chain, reserved with its upper-bound cost, settled with what Bedrock billed, under an idempotency key.
 *
 * A settlement that fails after a billed call never turns the answer into an error: the caller gets the answer,
 * the failure is counted (`settleFailures`, recorded as a metric) and logged.
 */
export class SpendPort {
  private readonly chain: GuardChain;

  constructor(guards: ReadonlyArray<SpendGuard> = [], private readonly warn?: (message: string, fields: Record<string, unknown>) => void) {
    this.chain = new GuardChain(guards);
  }

  /** Whether any guard is configured: without one, estimates need not be priced. */
  get governed(): boolean {
    return !this.chain.empty;
  }

  /** Whether a guard reserves speculatively, alongside the response-cache read. */
  get speculative(): boolean {
    return this.chain.speculative;
  }

  /**
   * Before the cache lookup: breakers and request-rate limits. Throws a `PipelineError` to refuse; may cap the
   * routed tier instead (a breaker downgrading a feature). With `deferSpeculative`, speculative guards admit in
   * {@link reserveSpeculative} instead.
   */
  admit(context: SpendContext, options: { readonly deferSpeculative?: boolean } = {}): Promise<AdmitDecision> {
    return this.chain.admit(context, options);
  }

  /** The speculative guards' admit, for a cache hit whose speculative reservation was refused. */
  admitSpeculative(context: SpendContext): Promise<void> {
    return this.chain.admitSpeculative(context);
  }

  /**
   * The speculative guards' reservation, which admits the request too: started alongside the response-cache read.
   * On a hit, {@link release} it; on a miss, pass it to {@link spend} as `reserved`.
   */
  reserveSpeculative(context: SpendContext, estimate: SpendAmount): Promise<Reservation> {
    return this.chain.reserve(context, estimate, 'speculative');
  }

  /** Settles a reservation to nothing (a cache hit after a speculative reservation): the tokens are given back. */
  release(context: SpendContext, reservation: Reservation): Promise<number> {
    return this.settle(context, reservation, NO_SPEND);
  }

  /** The tightest limit a reservation left, for the rate-limit headers. */
  statusOf(reservation: Reservation): LimitStatus | undefined {
    return this.chain.statusOf(reservation);
  }

  /** Reserve, call, settle: the whole of a governed call whose outcome is known in this invocation. */
  async spend<T>(context: SpendContext, call: GovernedCall<T>): Promise<SpendOutcome<T>> {
    const reservation = call.reservation
      ?? (call.reserved ? await this.reserveRest(context, call.reserved) : await this.reserve(context, call.estimate));
    let value: T;
    try {
      value = await call.invoke();
    } catch (error) {
      await this.settle(context, reservation, call.billedOnError?.(error, reservation.estimate) ?? NO_SPEND);
      throw error;
    }
    const [settleFailures] = await Promise.all([this.settle(context, reservation, call.billed(value)), call.alongside?.(value)]);
    const limits = this.chain.statusOf(reservation);
    return { value, settleFailures, ...(limits ? { limits } : {}) };
  }

  /**
   * The reservation of a call on every guard: the speculative holds (`speculative`, started beside the cache read)
   * completed by the other guards, or all of them now. When a token or USD limit refuses it and `smaller` offers a
   * smaller estimate, the call is reserved again on that one, on every guard, once: the refused reservation was
   * withdrawn whole (all or none), so the request is counted once. A refusal that says something may stay counted
   * (`charged`) is not retried, so a request limit never counts it twice.
   */
  async reserveCall(context: SpendContext, estimate: SpendAmount, speculative: Settled<Reservation> | undefined, smaller?: SmallerEstimate): Promise<Reservation> {
    let speculativeHeld = false;
    try {
      if (!speculative) return await this.reserve(context, estimate);
      if (!speculative.ok) throw speculative.error;
      speculativeHeld = true;
      return await this.reserveRest(context, speculative.value);
    } catch (refusal) {
      if (!smaller || !isSpendLimitRefusal(refusal)) throw refusal;
      const retry = await smaller(refusal);
      if (!retry || (retry.tokens >= estimate.tokens && retry.costAtto >= estimate.costAtto)) throw refusal;
      // Speculative holds a later guard refused were released with the request still counted: reserved again without
      // counting it. A refused speculative reservation was withdrawn whole: reserved again, counting it.
      if (!speculative || speculativeHeld) return this.reserve(context, retry);
      return this.reserveRest(context, await this.reserveSpeculative(context, retry));
    }
  }

  // The non-speculative guards reserve after the speculative ones did; if they refuse, the speculative holds go back.
  private async reserveRest(context: SpendContext, reserved: Reservation): Promise<Reservation> {
    let rest: Reservation;
    try {
      rest = await this.chain.reserve(context, reserved.estimate, 'others');
    } catch (error) {
      await this.chain.settle(context, reserved, NO_SPEND, `${context.path}:${context.requestId}:refused`);
      throw error;
    }
    return { estimate: reserved.estimate, holds: [...reserved.holds, ...rest.holds] };
  }

  /** Reserves on every guard or none. For a call settled later (a batch job), keep the reservation with the job. */
  reserve(context: SpendContext, estimate: SpendAmount): Promise<Reservation> {
    return this.chain.reserve(context, estimate);
  }

  /**
   * Settles a reservation to what was billed, once: each guard deduplicates by its hold (a retried request reserves
   * anew, so its billed call settles on its own hold). `<path>:<request id>` goes along to name the request. Returns
   * how many guards failed to settle, each logged.
   */
  async settle(context: SpendContext, reservation: Reservation, actual: SpendAmount): Promise<number> {
    const failures: SettleFailure[] = await this.chain.settle(context, reservation, actual, `${context.path}:${context.requestId}`);
    for (const failure of failures) {
      this.warn?.('a guard could not settle a billed call; the answer is returned and the guard miscounts it (see the README: the container guard over-counts, the usage ledger under-counts once the hold expires)', {
        guard: failure.guard, requestId: context.requestId, path: context.path, error: String(failure.error),
        // What the guard may not have counted: the record of it when the ledger under-counts.
        billedTokens: actual.tokens, billedCacheReadTokens: actual.cacheReadTokens, billedCostAtto: actual.costAtto.toString(),
      });
    }
    return failures.length;
  }
}

/** A 429 of a token or USD limit that left nothing counted: one a smaller estimate may pass. */
function isSpendLimitRefusal(error: unknown): boolean {
  return error instanceof PipelineError && error.status === 429 && error.code === 'USAGE_LIMIT_EXCEEDED'
    && (error.details.measure === 'tokens' || error.details.measure === 'costUsd') && error.details.charged !== true;
}
