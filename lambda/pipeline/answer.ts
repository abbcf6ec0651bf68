import type { PipelineError } from './errors';
import type { LimitStatus } from './guards/spend-guard';
import type { PipelineResult } from './types';
import type { Degradation } from './stages/near-limit';

/**
 * An answer and the work that follows it. The pipeline hands the answer over first; `finish` then settles the
 * reservation (beside the response-cache write) and records the metric, exactly once: calling it again returns the
 * same promise. The buffered API awaits it before it returns; the streaming API once the client has the whole answer
 * and before it ends the response (Lambda need not wait for work left after the end), so a client that wants only
 * the answer never waits for the ledger. `finish` never throws: a guard that cannot settle is counted
 * (`settleFailures`) and logged, as on the buffered path.
 */
export interface Answer {
  /** The answer; after a {@link failure}, what was streamed before it, priced as in {@link Settlement}. */
  readonly result: PipelineResult;
  /** A failure after the first delta was streamed (the client already has a 200 and part of the answer). */
  readonly failure?: PipelineError;
  readonly finish: () => Promise<Settlement>;
}

/** What a request was settled to. */
export interface Settlement {
  /** What the ledger was charged: the priced usage Bedrock reported, or, when none came, the reservation's bound. */
  readonly costUsd: number;
  /** The charge is the bound, not a reported usage (a stream that failed before Bedrock reported its usage). */
  readonly estimated: boolean;
  /**
   * The tightest usage limit after the settlement: the reservation's status with what the settlement gave back (the
   * bound less the charge) returned to it, in its measure. Other requests of the scope may have moved it since.
   */
  readonly limits?: LimitStatus;
  /** Guards that could not settle (the answer stands; the failure is logged). */
  readonly settleFailures: number;
}

/** What the client is told before the first token: the status line's headers and the `start` event. */
export interface AnswerHead {
  readonly requestId: string;
  readonly model: { readonly id: string; readonly tier: PipelineResult['model']['tier'] };
  readonly cache: PipelineResult['cache']['response'];
  /** The tightest limit after the reservation (rate-limit and run-remaining headers). */
  readonly limits?: LimitStatus;
  /** The feature's `nearLimit` policy degraded the call (the `x-genai-degraded` header). */
  readonly degraded?: Degradation;
}

/**
 * Where a streamed answer goes. The pipeline calls {@link start} once, before the first delta, then {@link delta}
 * per piece of text. Both are awaited, so a slow client slows the read of the model stream rather than piling text
 * up in memory. A client that left is not written to: the sink says so in {@link clientGone}, and the pipeline reads
 * the model stream to its end all the same (see `GenAiPipeline.stream`).
 */
export interface AnswerSink {
  readonly clientGone: boolean;
  start(head: AnswerHead): void | Promise<void>;
  delta(text: string): void | Promise<void>;
}
