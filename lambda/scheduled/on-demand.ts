import { mapLimit } from './batch/concurrency';
import { reservedNameRejection } from './batch/marker';
import { BucketObjects, isError } from './batch/objects';
import type { DayRecord } from './batch/plan';
import { SCHEDULE_USER } from './batch/spend';
import { attoToUsd, usdToAtto } from '../../shared/core';
import { PipelineError } from '../pipeline/errors';
import { mayHaveBilled } from '../pipeline/stages/invoke-model';
import type { PipelineResult, Usage } from '../pipeline/types';
import { logError, logInfo, logWarn } from '../shared/log';
import { runTextRequest } from '../shared/text-request';
import { RECORD_INSTRUCTIONS } from './settings';
import { DayStores } from './stores';
import { RemainingTime, ScheduledRunIncompleteError, ScheduledRunSummary } from './summary';

// Records sent through the pipeline at once, on demand.
const RECORD_CONCURRENCY = 4;
// A run starts no more records once the Lambda has less than this left: enough to finish the records in flight and
// write the manifest before the timeout.
const TIME_RESERVE_MS = 30_000;

/**
 * Retries of a result write after a billed call, 100, 200 and 400 ms apart: giving up would have Lambda's retry pay
 * for the record again (or, with the `invoking` mark, record it as not saved).
 */
const RESULT_WRITE_RETRIES = 3;
const RESULT_WRITE_BASE_DELAY_MS = 100;
/**
 * Answers this container bought but could not write, by result key: Lambda's retry, if it runs in this warm
 * container, writes them instead of recording RESULT_NOT_SAVED. Bounded; a few kilobytes each.
 */
const unsavedResults = new Map<string, PipelineResult>();
const MAX_UNSAVED_RESULTS = 50;
/**
 * An `invoking` mark of another run younger than this may belong to a run still calling the model (Lambda's longest
 * timeout, 900 s, plus a minute): the record is left to it. An older one, or one of this run's own earlier attempt
 * (Lambda's retry keeps the request id), belongs to an attempt that died.
 */
const LIVE_MARK_MS = 960_000;

/** The Lambda context a run reads: its time left, and its request id (kept by Lambda's retries) to own its marks. */
export type RunContext = RemainingTime & { readonly awsRequestId?: string };

/** What became of one record on demand. */
interface Outcome {
  readonly status: 'processed' | 'rejected' | 'already-done' | 'unsaved' | 'busy' | 'left';
  readonly usage?: Usage;
  readonly costUsd?: number;
}

/**
 * A result object as the on-demand path writes it (only what a later run reads back). `invoking` is written right
 * before the model call: a later run that finds it knows the record may have been billed, and does not call again.
 */
interface StoredResult {
  readonly status?: string;
  readonly requestId?: string;
  /** Of an `invoking` mark: the run that wrote it (Lambda's request id) and when. */
  readonly runId?: string;
  readonly startedAt?: string;
  readonly usage?: Usage;
  readonly cost?: { readonly totalUsd?: number };
}

/**
 * Every record of the day through the request pipeline (governed and recorded like any request), four at a time
 * (each read unless `read` has it), in the keys' order: results are written as records finish, the sums are exact
 * whatever the order. A record with a result already is skipped; after a failure, or with less than 30 s left, no
 * further record is started.
 */
export async function runOnDemand(
  stores: DayStores, day: string, keys: ReadonlyArray<string>, read?: ReadonlyArray<DayRecord>, context?: RunContext,
): Promise<ScheduledRunSummary> {
  const runId = context?.awsRequestId;
  const dayKeys = stores.keys(day);
  let failure: { readonly error: unknown } | undefined;
  const outOfTime = () => context !== undefined && context.getRemainingTimeInMillis() < TIME_RESERVE_MS;

  const outcomes = await mapLimit(keys, RECORD_CONCURRENCY, async (key, i): Promise<Outcome> => {
    if (failure || outOfTime()) return { status: 'left' };
    const name = stores.recordName(day, key);
    try {
      // The record's request id names the workflow (its results location) too: two workflows sharing a ledger and
      // the same record names are two requests.
      const requestId = `s3://${stores.results.bucket}/${dayKeys.result(name)}`;
      return await runRecord(stores.results, { day, key, name, resultKey: dayKeys.result(name), requestId, runId }, () => (read ? Promise.resolve(read[i].text) : stores.input.getText(key)));
    } catch (error) {
      // The first failure fails the run once the records in flight are done; their results stand for the retry.
      failure ??= { error };
      return { status: 'left' };
    }
  });
  if (failure) throw failure.error;

  let processed = 0;
  let rejected = 0;
  let unsaved = 0;
  let alreadyDone = 0;
  let left = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  // Summed exactly (integer attodollars), like every cost in the runtime.
  let costAtto = 0n;
  for (const outcome of outcomes) {
    if (outcome.status === 'processed') processed++;
    else if (outcome.status === 'rejected') rejected++;
    else if (outcome.status === 'already-done') alreadyDone++;
    else if (outcome.status === 'unsaved') unsaved++;
    // A record another run is calling the model for is left to it: this run fails, and its retry counts the result.
    else left++;
    if (outcome.usage) {
      inputTokens += outcome.usage.inputTokens + outcome.usage.cacheReadInputTokens + outcome.usage.cacheWriteInputTokens;
      outputTokens += outcome.usage.outputTokens;
    }
    if (outcome.costUsd !== undefined) costAtto += usdToAtto(outcome.costUsd);
  }
  const manifestKey = dayKeys.manifest;
  const summary: ScheduledRunSummary = {
    day, mode: 'on-demand', records: keys.length, processed, rejected, alreadyDone, ...(unsaved > 0 ? { unsaved } : {}), inputTokens, outputTokens, costUsd: attoToUsd(costAtto), manifestKey,
    ...(left > 0 ? { incomplete: true as const, left } : {}),
  };
  await stores.results.putJson(manifestKey, summary);
  if (left > 0) {
    const busyCount = outcomes.filter((o) => o.status === 'busy').length;
    logWarn('scheduled run left records (out of time, or another run is processing them); failing it so that Lambda retries them', { ...summary, busy: busyCount });
    throw new ScheduledRunIncompleteError(summary);
  }
  logInfo('scheduled run finished', { ...summary });
  return summary;
}

/** One record of the run, and where its result goes. */
interface RecordRef {
  readonly day: string;
  readonly key: string;
  readonly name: string;
  readonly resultKey: string;
  /** The record's request id in the pipeline (and the ledger). */
  readonly requestId: string;
  /** This run's Lambda request id, when known. */
  readonly runId?: string;
}

/**
 * One record on demand: refused for its name, skipped when its result exists, else through the pipeline. The
 * result key is marked `invoking` before the model call, with a conditional write (S3 `If-None-Match: *`, or
 * `If-Match` over an earlier attempt's `not-started`): of two runs at once (EventBridge Scheduler delivers at least
 * once) only one calls the model, and a run after a billed call whose result could not be written never calls the
 * model for the record again.
 */
async function runRecord(results: BucketObjects, record: RecordRef, text: () => Promise<string | undefined>): Promise<Outcome> {
  const { day, key, name, resultKey, requestId, runId } = record;
  const reserved = reservedNameRejection(name);
  if (reserved) {
    // No result: its key is one of the day's control files.
    logWarn('record rejected: its name is reserved for the day\'s control files', { day, key, code: reserved.code });
    return { status: 'rejected' };
  }
  const earlier = await existingResult(results, resultKey);
  if (earlier.result?.status === 'invoking') {
    if (isLiveMarkOfAnotherRun(earlier.result, runId)) return busy(record);
    return settleUnsaved(results, record, earlier.result, earlier.etag);
  }
  if (earlier.result) return { status: 'already-done', usage: earlier.result.usage, costUsd: earlier.result.cost?.totalUsd };
  const input = (await text()) ?? '';
  const mark = { source: key, status: 'invoking', requestId, ...(runId ? { runId } : {}), startedAt: new Date().toISOString() };
  const owned = await results.putJson(resultKey, mark, earlier.etag ? { ifMatch: earlier.etag } : { onlyIfAbsent: true });
  if (!owned) return busy(record);
  let result: PipelineResult;
  try {
    result = await runTextRequest(requestId, SCHEDULE_USER, input, RECORD_INSTRUCTIONS);
  } catch (error) {
    // A record the pipeline refuses (too large, invalid) is reported, not retried; anything else fails the run.
    if (error instanceof PipelineError && error.status < 429) {
      try {
        await results.putJson(resultKey, { source: key, status: 'rejected', code: error.code, reason: error.message });
      } catch (writeError) {
        await markNotStarted(results, record, error.code);
        throw writeError;
      }
      return { status: 'rejected' };
    }
    // Unless the model call may have been billed (cut off mid-call, connection lost), nothing was: throttled,
    // unavailable, out of time between attempts, or a failure before the call (cache, ledger, client). The mark goes,
    // so that the retry calls the model; a maybe-billed call keeps it, so that the retry does not pay again.
    if (!mayHaveBilled(error)) await markNotStarted(results, record, error instanceof PipelineError ? error.code : errorName(error));
    else logError('record\'s model call may have been billed without an answer; it is not sent again', { day, key, code: (error as PipelineError).code });
    throw error;
  }
  await saveResult(results, resultKey, { source: key, status: 'processed', requestId, answer: result.answer, model: result.model, usage: result.usage, cost: result.cost }, result);
  return { status: 'processed', usage: result.usage, costUsd: result.cost.totalUsd };
}

/**
 * Replaces the `invoking` mark after a failure that billed nothing, so that a retry calls the model. Best effort:
 * the caller rethrows the original error, which is the one that matters; a mark left behind makes the retry record
 * the record as not saved (never a double charge).
 */
async function markNotStarted(results: BucketObjects, record: RecordRef, code: string): Promise<void> {
  try {
    await results.putJson(record.resultKey, { source: record.key, status: 'not-started', code });
  } catch (writeError) {
    logWarn('record\'s invoking mark not cleared after a failure that billed nothing; a retry will record it as not saved', {
      day: record.day, key: record.key, code, error: String(writeError),
    });
  }
}

/** Another run is calling the model for the record (it holds the mark): it is left to that run. */
function busy(record: RecordRef): Outcome {
  logWarn('record left: another run is processing it', { day: record.day, key: record.key });
  return { status: 'busy' };
}

/** Whether an `invoking` mark may belong to another run still calling the model. */
function isLiveMarkOfAnotherRun(mark: StoredResult, runId: string | undefined): boolean {
  // Marks without a run id, or this run's own: an earlier attempt that died (Lambda retries after it ended).
  if (runId === undefined || mark.runId === undefined || mark.runId === runId) return false;
  const startedAt = Date.parse(mark.startedAt ?? '');
  return Number.isFinite(startedAt) && Date.now() - startedAt < LIVE_MARK_MS;
}

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? 'Error';
}

/**
 * Writes a bought result, retrying in-process: most failed writes are brief. If every try fails, the result goes to
 * the log in full (nothing bought is lost) and is kept for a retry in this container, and the error is rethrown.
 */
async function saveResult(results: BucketObjects, resultKey: string, stored: Record<string, unknown>, result: PipelineResult): Promise<void> {
  for (let retry = 0; ; retry++) {
    try {
      await results.putJson(resultKey, stored);
      unsavedResults.delete(resultKey);
      return;
    } catch (error) {
      if (retry < RESULT_WRITE_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, RESULT_WRITE_BASE_DELAY_MS * 2 ** retry));
        continue;
      }
      logError('record result not saved; the model call was billed, its result follows', { resultKey, ...stored, error: String(error) });
      if (unsavedResults.size >= MAX_UNSAVED_RESULTS) unsavedResults.delete(unsavedResults.keys().next().value!);
      unsavedResults.set(resultKey, result);
      throw error;
    }
  }
}

/**
 * A record an earlier attempt sent to the model without writing its result. Its answer, if this container kept
 * it, is written now; otherwise the record is marked `failed` (RESULT_NOT_SAVED) rather than paid for again.
 */
async function settleUnsaved(results: BucketObjects, record: RecordRef, earlier: StoredResult, etag: string | undefined): Promise<Outcome> {
  const { day, key, resultKey } = record;
  const kept = unsavedResults.get(resultKey);
  if (kept) {
    await saveResult(results, resultKey, { source: key, status: 'processed', requestId: kept.requestId, answer: kept.answer, model: kept.model, usage: kept.usage, cost: kept.cost }, kept);
    return { status: 'processed', usage: kept.usage, costUsd: kept.cost.totalUsd };
  }
  const reason = `An earlier attempt (request ${earlier.requestId ?? 'unknown'}) sent the record to the model and its result was not saved; `
    + 'it is not sent again, so that it is not charged twice. Its answer, if it got one, is in the function\'s logs.';
  // Over exactly the mark read: a run that settled the record meanwhile keeps its outcome.
  if (!(await results.putJson(resultKey, { source: key, status: 'failed', code: 'RESULT_NOT_SAVED', reason }, etag ? { ifMatch: etag } : {}))) return busy(record);
  logError('record not processed: an earlier attempt\'s result was not saved', { day, key, code: 'RESULT_NOT_SAVED' });
  return { status: 'unsaved' };
}

/** What a run finds at a record's result key: a result it can count, and the ETag of whatever object is there. */
interface Existing {
  readonly result?: StoredResult;
  /** The object to write over (`If-Match`); none when the key is missing. */
  readonly etag?: string;
}

/**
 * The record's result if an earlier attempt wrote one this run can count (`rejected`, `failed`, `processed` with its
 * usage and cost) or an `invoking` mark; missing, unreadable, incomplete or `not-started` results are processed again.
 * The handler may read the results prefix; without s3:ListBucket on it (batch inference off), S3 answers a missing key
 * with 403 instead of 404, so 403 reads as missing too: the conditional write of the mark then decides.
 */
async function existingResult(results: BucketObjects, key: string): Promise<Existing> {
  let found: Awaited<ReturnType<BucketObjects['getTextTagged']>>;
  try {
    found = await results.getTextTagged(key);
  } catch (error) {
    if (isError(error, 'AccessDenied', 403)) return {};
    throw error;
  }
  if (!found) return {};
  const etag = found.etag;
  let stored: StoredResult | undefined;
  try {
    stored = JSON.parse(found.text) as StoredResult;
  } catch (error) {
    if (error instanceof SyntaxError) return { etag };
    throw error;
  }
  if (stored?.status === 'rejected' || stored?.status === 'failed') return { result: { status: stored.status }, etag };
  if (stored?.status === 'invoking') return { result: stored, etag };
  if (stored?.status === 'processed' && isUsage(stored.usage) && typeof stored.cost?.totalUsd === 'number') return { result: stored, etag };
  return { etag };
}

function isUsage(usage: Usage | undefined): usage is Usage {
  return usage !== undefined && [usage.inputTokens, usage.outputTokens, usage.cacheReadInputTokens, usage.cacheWriteInputTokens].every(Number.isSafeInteger);
}
