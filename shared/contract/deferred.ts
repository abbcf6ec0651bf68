/**
 * Deferred work (`NearLimitAction.DEFER`): a call the API accepted near its limit (202) as a record for the scheduled
 * workflow, which runs it with the day's records through the request pipeline, at the scheduled workflow's service
 * tier (also when the rest of the day goes to a batch job), and charges it to the tenant that asked. Pure: the API
 * writes it, the scheduled runner reads it.
 */

/**
 * Where deferred records live in the scheduled workflow's input bucket: `<prefix><YYYY-MM-DD>/<request id>.json`.
 * Only the API workflow's role may write there; the scheduled runner trusts the identity a record carries only
 * under this prefix (an uploader's records under `records/` run as the workflow's own).
 */
export const DEFERRED_PREFIX = 'deferred/';

/** One deferred call, as the API writes it (JSON). */
export interface DeferredRecord {
  readonly version: 1;
  /** The API request id: the record's name and the id the client polls with. */
  readonly requestId: string;
  /** From the caller's authentication, never from the body. */
  readonly tenantId: string;
  readonly userId: string;
  readonly feature: string;
  readonly message: string;
  readonly systemPrompt?: string;
  /** The call's knowledge-base context and conversation, as it sent them: the answer later is to the same prompt. */
  readonly context?: string;
  readonly history?: ReadonlyArray<{ readonly role: 'user' | 'assistant'; readonly content: string }>;
  readonly maxTokens?: number;
  readonly runId?: string;
  readonly parentRunId?: string;
  /** When the API accepted it (ISO 8601). */
  readonly acceptedAt: string;
  /** The limit that was near (`tenant/month/costUsd`) and its used share, as the 202 reported it. */
  readonly degradedBy?: string;
  /**
   * The call's spend, reserved when the API accepted it (a 202 is only given when it is): a long-lived hold on the
   * tenant's limits (path `batch`, kept in the usage ledger under a reference), which the scheduled run settles to
   * what the call was billed instead of reserving again. Absent from records written before deferrals were reserved:
   * those are reserved when they run.
   */
  readonly reservation?: StoredReservation;
}

/**
 * A reservation kept outside the invocation that took it (a batch job's marker, a deferred record), with the
 * identity it was taken under: settled later, maybe in another container, under that identity, on path `batch`
 * (where the usage ledger keeps the hold itself and the copy names it by reference). JSON, so the cost (a bigint of
 * attodollars) is a decimal string.
 */
export interface StoredReservation {
  readonly requestId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly feature: string;
  readonly reservedAt: string;
  readonly estimate: { readonly tokens: number; readonly cacheReadTokens: number; readonly costAtto: string };
  readonly holds: ReadonlyArray<{ readonly guard: string; readonly hold?: string }>;
}

/** The receipt a 202 carries: where and when the result will be. */
export interface DeferredReceipt {
  readonly requestId: string;
  /** The day whose records it joined (UTC, `YYYY-MM-DD`); the scheduled run after that day ends processes it. */
  readonly day: string;
  /** The API path that returns the result once it exists (404 before): `/deferred/<day>/<request id>`. */
  readonly location: string;
}

/** A deferred record's day: a UTC date, `YYYY-MM-DD`. */
export const DEFERRED_DAY_PATTERN = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;

/** The API path that returns a deferred call's result: `/deferred/<day>/<request id>`. */
export function deferredLocation(day: string, requestId: string): string {
  return `/deferred/${day}/${requestId}`;
}

/** A deferred record's key in the input bucket: `deferred/<day>/<request id>.json`. */
export function deferredRecordKey(day: string, requestId: string): string {
  return `${DEFERRED_PREFIX}${day}/${requestId}.json`;
}

/**
 * The request ids a deferred record may carry (they name its object and its result): API Gateway's request ids and
 * the pipeline's id alphabet, at most 128 characters.
 */
export const DEFERRED_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * Result names starting with this are the deferred records' own: an uploaded record whose name starts with it is
 * refused (`RESERVED_NAME`), so that no upload can stand in for a deferred result.
 */
export const DEFERRED_RESULT_PREFIX = 'deferred-';

/**
 * A deferred record's result name among the day's results: `<resultsPrefix><day>/<name>.json`, written by the
 * scheduled run and read by the API's GET route.
 */
export function deferredResultName(requestId: string): string {
  return `${DEFERRED_RESULT_PREFIX}${requestId}`;
}

/**
 * A deferred record's result (JSON). Final statuses: `processed` (the answer, usage and cost, charged to `tenantId`),
 * `rejected` (refused before any model call: its tenant's limit (429's code and reason), an invalid record or
 * prompt; nothing charged) and `failed` (an earlier attempt's result was lost: not sent again, so not charged twice).
 * `invoking` and `not-started` are a run's own marks: the result is not there yet.
 */
export interface DeferredResult {
  readonly status: 'processed' | 'rejected' | 'failed' | 'invoking' | 'not-started';
  /** The deferred record's key in the input bucket. */
  readonly source: string;
  /** The API request id (the record's name); on the final statuses. */
  readonly requestId?: string;
  /** The tenant charged; on the final statuses of a record that could be read. */
  readonly tenantId?: string;
  readonly answer?: string;
  readonly model?: { readonly id: string; readonly tier: string };
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly cacheReadInputTokens: number; readonly cacheWriteInputTokens: number };
  readonly cost?: { readonly totalUsd: number };
  readonly code?: string;
  readonly reason?: string;
}
