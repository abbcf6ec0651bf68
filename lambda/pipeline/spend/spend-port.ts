import { GuardChain, Reservation, SettleFailure } from '../guards/guard-chain';
import { AdmitDecision, LimitStatus, NO_SPEND, SpendAmount, SpendContext, SpendGuard } from '../guards/spend-guard';
import { PendingSpend, ReservedSpend } from './pending-spend';

/** What a governed call gave back, and how many guards could not settle it. */
export interface SpendOutcome<T> {
  readonly value: T;
  readonly settleFailures: number;
  /** The tightest limit the reservation left, when a guard reports one. */
  readonly limits?: LimitStatus;
}

/** A governed call answered, its settlement still to run ({@link SpendPort.spendThenSettle}). */
export interface AnsweredSpend<T> {
  readonly value: T;
  /** The tightest limit the reservation left, when a guard reports one. */
  readonly limits?: LimitStatus;
  /** What the call was settled to, once known (the same amount {@link settle} charges). */
  readonly billed: SpendAmount;
  /** What was reserved for the call. */
  readonly reserved: SpendAmount;
  /** Settles (beside `alongside`) once: later calls return the first call's promise. Resolves to the failures. */
  readonly settle: () => Promise<number>;
}

/** How a model call is governed. */
export interface GovernedCall<T> {
  /** The most the call can use: reserved before it. */
  readonly estimate: SpendAmount;
  /** The model call itself. */
  readonly invoke: () => Promise<T>;
  /** What Bedrock billed for a successful call, given what was reserved for it. */
  readonly billed: (value: T, reserved: SpendAmount) => SpendAmount;
  /**
   * What Bedrock billed for a failed one, given what was reserved for it (the estimate, or the smaller one a refusal
   * led to); undefined leaves the reservation held, for a stored one's owner to settle (a deferred record's run).
   * @default nothing (throttled and failed calls are not billed)
   */
  readonly billedOnError?: (error: unknown, reserved: SpendAmount) => SpendAmount | undefined;
  /** Work to run beside the settlement (a cache write): one round trip instead of two. */
  readonly alongside?: (value: T) => Promise<void>;
  /** A reservation already taken on every guard ({@link PendingSpend.miss}): nothing more is reserved. */
  readonly reservation?: Reservation;
}

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

  /**
   * Before the model call and any cache lookup: breakers and request-rate limits. Throws a `PipelineError` to
   * refuse; may cap the routed tier instead (a breaker downgrading a feature).
   */
  admit(context: SpendContext): Promise<AdmitDecision> {
    return this.chain.admit(context);
  }

  /**
   * Admits a call the response cache may still answer for free, and returns its pending spend: give it the call's
   * bound before the cache read, then say {@link PendingSpend.hit} or {@link PendingSpend.miss}. Admission here may
   * cost no round trip of its own: a guard that counts the request in its reservation does so beside the cache read.
   */
  async pending(context: SpendContext): Promise<PendingSpend> {
    const admitted = await this.chain.admit(context, this.chain.admitsWhenReserving ? 'others' : 'all');
    return new PendingSpend(this.chain, context, admitted, (reservation, actual) => this.settle(context, reservation, actual));
  }

  /**
   * The spend of a call reserved before (the pipeline's `RunOptions.reservation`: a deferred record's stored hold),
   * in {@link pending}'s terms: the guards that did not count the request in that reservation admit it (a breaker may
   * still refuse or cap it), nothing is reserved, and it settles under `settleContext` (the stored reservation's
   * identity, path `batch`).
   */
  async reserved(context: SpendContext, settleContext: SpendContext, reservation: Reservation): Promise<ReservedSpend> {
    const admitted = await this.chain.admit(context, 'others');
    return new ReservedSpend(admitted, reservation, (actual) => this.settle(settleContext, reservation, actual));
  }

  /** Reserve, call, settle: the whole of a governed call whose outcome is known in this invocation. */
  async spend<T>(context: SpendContext, call: GovernedCall<T>): Promise<SpendOutcome<T>> {
    const { value, settle, limits } = await this.spendThenSettle(context, call);
    return { value, settleFailures: await settle(), ...(limits ? { limits } : {}) };
  }

  /**
   * Reserve and call, but leave the settlement (and `alongside`) to the caller (`settle`, once however often it is
   * called): it runs after the answer reached the client. A call that throws is settled at once: nothing is answered.
   */
  async spendThenSettle<T>(context: SpendContext, call: GovernedCall<T>): Promise<AnsweredSpend<T>> {
    const reservation = call.reservation ?? await this.reserve(context, call.estimate);
    let value: T;
    try {
      value = await call.invoke();
    } catch (error) {
      const billed = call.billedOnError ? call.billedOnError(error, reservation.estimate) : NO_SPEND;
      if (billed) await this.settle(context, reservation, billed);
      throw error;
    }
    const billed = call.billed(value, reservation.estimate);
    let settling: Promise<number> | undefined;
    const settle = () => settling ??= Promise.all([this.settle(context, reservation, billed), call.alongside?.(value)]).then(([failures]) => failures);
    const limits = this.chain.statusOf(reservation);
    return { value, billed, reserved: reservation.estimate, settle, ...(limits ? { limits } : {}) };
  }

  /** The tightest limit a reservation left, when a guard reports one (before the call: the response's headers). */
  statusOf(reservation: Reservation): LimitStatus | undefined {
    return this.chain.statusOf(reservation);
  }

  /** The tightest token or USD limit a reservation left (request-rate limits left out), for a `nearLimit` policy. */
  spendStatusOf(reservation: Reservation): LimitStatus | undefined {
    return this.chain.spendStatusOf(reservation);
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
