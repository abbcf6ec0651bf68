import type { Context } from 'aws-lambda';
import type { BatchCollection } from './batch/collect';
import type { BatchSubmission } from './batch/submit';

/** What one scheduled run did. */
export interface ScheduledRunSummary {
  readonly day: string;
  /** `on-demand`: processed now through the pipeline; `batch`: submitted as a batch inference job, collected later. */
  readonly mode: 'on-demand' | 'batch';
  readonly records: number;
  /** Records this run sent through the model. */
  readonly processed: number;
  /**
   * Records this run refused before paying for them: too large, empty, or named after one of the day's control
   * files (code RESERVED_NAME, see `RESERVED_RECORD_NAMES`; such a record gets no result file); deferred records
   * refused by their tenant's limit or unreadable (INVALID_DEFERRED_RECORD; one whose key names no request id gets
   * no result file).
   */
  readonly rejected: number;
  /**
   * Records skipped on demand because their result was already written, by an earlier attempt of the run (Lambda's
   * retry after a failure or a timeout) or an earlier run of the day: not sent to the model, nor paid for, again.
   */
  readonly alreadyDone: number;
  /**
   * Records an earlier attempt sent to the model without saving the result (the write failed after the billed call,
   * or the function stopped): marked `failed` (RESULT_NOT_SAVED) rather than sent, and paid for, again.
   */
  readonly unsaved?: number;
  /** Input tokens of the day: this run's records plus those the already-done results record (read back from them). */
  readonly inputTokens: number;
  /** Output tokens of the day, counted like `inputTokens`. */
  readonly outputTokens: number;
  /**
   * The day's cost: what this run paid plus what the already-done results record (read back from them), so a day
   * finished by a retry still totals every record once. 0 for a batch day until it is collected.
   */
  readonly costUsd: number;
  /**
   * Set when the run stopped starting records because the Lambda was running out of time; the `left` records have
   * no result yet. The run then fails, so that Lambda's retry continues the day where it stopped.
   */
  readonly incomplete?: true;
  /** Records not started, when `incomplete`. */
  readonly left?: number;
  /**
   * The day's deferred records (the API's, under `deferred/<day>/`), each run on demand as its tenant's request: their
   * part of the totals above on an on-demand day; on a batch day, beside the job (whose figures are collected later).
   */
  readonly deferred?: DeferredRunSummary;
  /** Where the day's manifest is (for a batch day: where it will be once the job is collected). */
  readonly manifestKey: string;
  /** The day's batch job, in batch mode; `status: 'refused'` when the guard chain had no room for it. */
  readonly batch?: BatchSubmission;
  /** Earlier batch jobs this run looked at (only when batch inference is on). */
  readonly collected?: ReadonlyArray<BatchCollection>;
}

/** What a run did with the day's deferred records; the fields mean what the run summary's do. */
export type DeferredRunSummary = Pick<ScheduledRunSummary, 'records' | 'processed' | 'rejected' | 'alreadyDone' | 'unsaved' | 'inputTokens' | 'outputTokens' | 'costUsd'>;

/**
 * Thrown by an on-demand run that ran short of time, after writing the day's manifest (`incomplete: true`): the
 * function error makes Lambda retry the invocation, and the retry skips the records whose results are written.
 */
export class ScheduledRunIncompleteError extends Error {
  constructor(public readonly summary: ScheduledRunSummary) {
    super(`The run of ${summary.day} ran short of time with ${summary.left} of ${summary.records} records left; a retry continues where it stopped.`);
    this.name = 'ScheduledRunIncompleteError';
  }
}

/** The part of the Lambda context a run reads: how long it has left. */
export type RemainingTime = Pick<Context, 'getRemainingTimeInMillis'>;

/** What a collect-only invocation did. */
export interface CollectRunSummary {
  readonly collected: ReadonlyArray<BatchCollection>;
}

/** The summary of a day handed to a batch job (started now, found started, or refused): nothing is paid for yet. */
export function batchSummary(day: string, submission: BatchSubmission, records: number, manifestKey: string): ScheduledRunSummary {
  return {
    day, mode: 'batch', records, processed: 0, rejected: submission.rejected, alreadyDone: 0, inputTokens: 0, outputTokens: 0, costUsd: 0,
    manifestKey, batch: submission,
  };
}
