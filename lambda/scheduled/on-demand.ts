import { mapLimit } from './batch/concurrency';
import { reservedNameRejection } from './batch/marker';
import { BucketObjects, isError } from './batch/objects';
import type { DayRecord } from './batch/plan';
import { SCHEDULE_USER } from './batch/spend';
import { deferredResultName } from '../../shared/contract';
import { attoToUsd, usdToAtto } from '../../shared/core';
import { PipelineError } from '../pipeline/errors';
import { mayHaveBilled } from '../pipeline/stages/invoke-model';
import type { PipelineResult, Usage } from '../pipeline/types';
import { logError, logInfo, logWarn } from '../shared/log';
import { runTextRequest } from '../shared/text-request';
import { deferredRequestIdOf, INVALID_DEFERRED_RECORD, readDeferredRecord, releaseDeferredReservation, runDeferredRecord } from './deferred-records';
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
/**
 * The 429s a retry minutes later can pass: Bedrock's throttling and a throttled feature's rate (the breaker). Every
 * other 429 is a limit's decision about the tenant (a usage limit, a near-limit policy's refusal).
 */
const TRANSIENT_429_CODES: ReadonlySet<string> = new Set(['MODEL_THROTTLED', 'FEATURE_THROTTLED']);

/** The Lambda context a run reads: its time left, and its request id (kept by Lambda's retries) to own its marks. */
export type RunContext = RemainingTime & { readonly awsRequestId?: string };

/** What became of one record on demand. */
interface Outcome {
  readonly status: 'processed' | 'rejected' | 'already-done' | 'unsaved' | 'busy' | 'left';
  readonly usage?: Usage;
  readonly costUsd?: number;
}

/** One object a run processes: an uploaded record of the day, or a deferred record of the API. */
interface RunItem {
  readonly key: string;
  /** Its result's name; undefined for a deferred object whose key names no request id (it gets no result). */
  readonly name: string | undefined;
  readonly runner: RecordRunner;
  /** Its text, when the batch path already read it. */
  readonly text?: string;
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
  /** Of a deferred record's mark: the tenant it runs as. */
  readonly tenantId?: string;
}

/**
 * Every record of the day through the request pipeline (governed and recorded like any request), four at a time
 * (each read unless `read` has it), in the keys' order, then the day's deferred records (`deferredKeys`), each as the
 * request it was (see {@link deferredRunner}): results are written as records finish, the sums are exact whatever the
 * order. A record with a result already is skipped; after a failure, or with less than 30 s left, no further record
 * is started.
 */
export async function runOnDemand(
  stores: DayStores, day: string, keys: ReadonlyArray<string>, read?: ReadonlyArray<DayRecord>, context?: RunContext,
  deferredKeys: ReadonlyArray<string> = [],
): Promise<ScheduledRunSummary> {
  const items: RunItem[] = [
    ...keys.map((key, i) => ({ key, name: stores.recordName(day, key), runner: UPLOADED_RECORD, ...(read ? { text: read[i].text } : {}) })),
    ...deferredItems(day, deferredKeys),
  ];
  const outcomes = await processItems(stores, day, items, context);
  const all = tally(outcomes);
  const deferred = tally(outcomes.slice(keys.length));
  const manifestKey = stores.keys(day).manifest;
  const summary: ScheduledRunSummary = {
    day, mode: 'on-demand', records: items.length, ...counts(all), manifestKey,
    ...(deferredKeys.length > 0 ? { deferred: { records: deferredKeys.length, ...counts(deferred) } } : {}),
    ...(all.left > 0 ? { incomplete: true as const, left: all.left } : {}),
  };
  await stores.results.putJson(manifestKey, summary);
  if (all.left > 0) {
    logWarn('scheduled run left records (out of time, or another run is processing them); failing it so that Lambda retries them', { ...summary, busy: all.busy });
    throw new ScheduledRunIncompleteError(summary);
  }
  logInfo('scheduled run finished', { ...summary });
  return summary;
}

/**
 * The day's deferred records on demand beside its batch job (which carries only the uploaded records): each is
 * charged to its own tenant through the pipeline, which a job's single reservation under the workflow's identity
 * could not do. Writes no manifest (the job's collection writes the day's); the summary carries their tally.
 */
export async function runDeferredBesideBatch(
  stores: DayStores, day: string, batchDay: ScheduledRunSummary, deferredKeys: ReadonlyArray<string>, context?: RunContext,
): Promise<ScheduledRunSummary> {
  if (deferredKeys.length === 0) return batchDay;
  const deferred = tally(await processItems(stores, day, deferredItems(day, deferredKeys), context));
  const summary: ScheduledRunSummary = {
    ...batchDay, deferred: { records: deferredKeys.length, ...counts(deferred) },
    ...(deferred.left > 0 ? { incomplete: true as const, left: deferred.left } : {}),
  };
  if (deferred.left > 0) {
    logWarn('scheduled run left deferred records (out of time, or another run is processing them); failing it so that Lambda retries them', { ...summary, busy: deferred.busy });
    throw new ScheduledRunIncompleteError(summary);
  }
  logInfo('deferred records of a batch day finished', { day, ...summary.deferred });
  return summary;
}

/** The items of a day's deferred records: each runs as its tenant's request, under `deferred-<request id>`. */
function deferredItems(day: string, deferredKeys: ReadonlyArray<string>): RunItem[] {
  return deferredKeys.map((key) => {
    const requestId = deferredRequestIdOf(day, key);
    return { key, name: requestId === undefined ? undefined : deferredResultName(requestId), runner: deferredRunner(requestId ?? '') };
  });
}

/** Sends every item through its runner, four at a time; the first failure fails the run once those in flight end. */
async function processItems(stores: DayStores, day: string, items: ReadonlyArray<RunItem>, context?: RunContext): Promise<Outcome[]> {
  const runId = context?.awsRequestId;
  const dayKeys = stores.keys(day);
  let failure: { readonly error: unknown } | undefined;
  const outOfTime = () => context !== undefined && context.getRemainingTimeInMillis() < TIME_RESERVE_MS;

  const outcomes = await mapLimit(items, RECORD_CONCURRENCY, async ({ key, name, runner, text }): Promise<Outcome> => {
    if (failure || outOfTime()) return { status: 'left' };
    if (name === undefined) {
      // No result: nothing the API could ask for names it.
      logWarn('deferred object rejected: its key names no request id (deferred/<day>/<request id>.json)', { day, key, code: INVALID_DEFERRED_RECORD });
      return { status: 'rejected' };
    }
    try {
      // The record's request id names the workflow (its results location) too: two workflows sharing a ledger and
      // the same record names are two requests.
      const requestId = `s3://${stores.results.bucket}/${dayKeys.result(name)}`;
      return await runRecord(stores.results, { day, key, name, resultKey: dayKeys.result(name), requestId, runId, runner },
        () => (text !== undefined ? Promise.resolve(text) : stores.input.getText(key)));
    } catch (error) {
      // The first failure fails the run once the records in flight are done; their results stand for the retry.
      failure ??= { error };
      return { status: 'left' };
    }
  });
  if (failure) throw failure.error;
  return outcomes;
}

/** The sums over outcomes. */
interface Tally {
  readonly processed: number;
  readonly rejected: number;
  readonly alreadyDone: number;
  readonly unsaved: number;
  readonly left: number;
  readonly busy: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costAtto: bigint;
}

function tally(outcomes: ReadonlyArray<Outcome>): Tally {
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
  return { processed, rejected, alreadyDone, unsaved, left, busy: outcomes.filter((o) => o.status === 'busy').length, inputTokens, outputTokens, costAtto };
}

/** A tally in the summary's terms. */
function counts(t: Tally) {
  return {
    processed: t.processed, rejected: t.rejected, alreadyDone: t.alreadyDone, ...(t.unsaved > 0 ? { unsaved: t.unsaved } : {}),
    inputTokens: t.inputTokens, outputTokens: t.outputTokens, costUsd: attoToUsd(t.costAtto),
  };
}

/**
 * How a record becomes a request. An uploaded record runs as the workflow's own request; a deferred record as the
 * API request it was (see {@link deferredRunner}).
 */
interface RecordRunner {
  /** Fields every result of the record carries. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Why the record's name cannot name its result (it is reserved), or undefined. */
  nameRejection(name: string): ReturnType<typeof reservedNameRejection>;
  /** The record's text as a request; throws a 4xx `PipelineError` for a record that cannot be one. */
  prepare(text: string): PreparedRequest;
  /** Gives back what the record's text holds reserved, once it is rejected (a deferred record's reservation). */
  release?(text: string): Promise<unknown>;
}

interface PreparedRequest {
  /** Fields the record's mark and results carry once it is read. */
  readonly fields: Readonly<Record<string, unknown>>;
  send(pipelineRequestId: string): Promise<PipelineResult>;
  /** Whether a refusal is the record's answer (a `rejected` result) rather than a failure the run's retry should see. */
  isAnswer(error: PipelineError): boolean;
}

/** An uploaded record: the workflow's own tenant, the schedule's user, the default feature and instructions. */
const UPLOADED_RECORD: RecordRunner = {
  fields: {},
  nameRejection: reservedNameRejection,
  prepare: (text) => ({
    fields: {},
    send: (id) => runTextRequest(id, SCHEDULE_USER, text, RECORD_INSTRUCTIONS),
    // A record the pipeline refuses (too large, invalid) is reported, not retried; a limit (429) fails the run.
    isAnswer: (error) => error.status < 429,
  }),
};

/**
 * A deferred record: run as its tenant's request and charged to its limits. A tenant's limit that refuses it (429
 * USAGE_LIMIT_EXCEEDED, or a near-limit policy's refusal) is its answer, as it would have been at the API: nothing is
 * charged, and one tenant's budget never holds up the day. Throttling, a paused feature or an unreachable ledger fail
 * the run as for an uploaded record, so that Lambda's retry tries again.
 */
function deferredRunner(requestId: string): RecordRunner {
  const fields = { requestId };
  return {
    fields,
    // Its name is generated (`deferred-<request id>`) from a checked request id.
    nameRejection: () => undefined,
    // A rejected record's hold goes back: nothing was called for it.
    release: releaseDeferredReservation,
    prepare: (text) => {
      const record = readDeferredRecord(text, requestId);
      return {
        fields: { ...fields, tenantId: record.tenantId },
        send: (id) => runDeferredRecord(id, record),
        isAnswer: (error) => error.status < 429 || (error.status === 429 && !TRANSIENT_429_CODES.has(error.code)),
      };
    },
  };
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
  readonly runner: RecordRunner;
}

/**
 * One record on demand: refused for its name, skipped when its result exists, else through the pipeline. The
 * result key is marked `invoking` before the model call, with a conditional write (S3 `If-None-Match: *`, or
 * `If-Match` over an earlier attempt's `not-started`): of two runs at once (EventBridge Scheduler delivers at least
 * once) only one calls the model, and a run after a billed call whose result could not be written never calls the
 * model for the record again.
 */
async function runRecord(results: BucketObjects, record: RecordRef, text: () => Promise<string | undefined>): Promise<Outcome> {
  const { day, key, name, resultKey, requestId, runId, runner } = record;
  const reserved = runner.nameRejection(name);
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
  const unlessChanged = earlier.etag ? { ifMatch: earlier.etag } : { onlyIfAbsent: true };
  let prepared: PreparedRequest;
  try {
    prepared = runner.prepare(input);
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    // Nothing was sent: the result says why, unless another run wrote one meanwhile.
    const written = await results.putJson(resultKey, { source: key, status: 'rejected', ...runner.fields, code: error.code, reason: error.message }, unlessChanged);
    if (!written) return busy(record);
    logWarn('record rejected before any model call', { day, key, code: error.code, reason: error.message });
    // After the final result: a retry finds it and never runs the record on a hold already given back.
    await runner.release?.(input);
    return { status: 'rejected' };
  }
  const mark = { source: key, status: 'invoking', ...prepared.fields, requestId, ...(runId ? { runId } : {}), startedAt: new Date().toISOString() };
  const owned = await results.putJson(resultKey, mark, unlessChanged);
  if (!owned) return busy(record);
  let result: PipelineResult;
  try {
    result = await prepared.send(requestId);
  } catch (error) {
    // A refusal that is the record's answer (too large, invalid, a deferred record's tenant limit) is reported, not
    // retried; anything else fails the run.
    if (error instanceof PipelineError && prepared.isAnswer(error)) {
      try {
        await results.putJson(resultKey, { source: key, status: 'rejected', ...prepared.fields, code: error.code, reason: error.message });
      } catch (writeError) {
        await markNotStarted(results, record, error.code);
        throw writeError;
      }
      await runner.release?.(input);
      return { status: 'rejected' };
    }
    // Unless the model call may have been billed (cut off mid-call, connection lost), nothing was: throttled,
    // unavailable, out of time between attempts, or a failure before the call (cache, ledger, client). The mark goes,
    // so that the retry calls the model; a maybe-billed call keeps it, so that the retry does not pay again.
    if (!mayHaveBilled(error)) await markNotStarted(results, record, error instanceof PipelineError ? error.code : errorName(error));
    else logError('record\'s model call may have been billed without an answer; it is not sent again', { day, key, code: (error as PipelineError).code });
    throw error;
  }
  await saveResult(results, resultKey, { source: key, status: 'processed', requestId, ...prepared.fields, answer: result.answer, model: result.model, usage: result.usage, cost: result.cost }, result);
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
  // A deferred record's request id and tenant, as its mark recorded them.
  const fields = { ...record.runner.fields, ...(earlier.tenantId !== undefined ? { tenantId: earlier.tenantId } : {}) };
  const kept = unsavedResults.get(resultKey);
  if (kept) {
    await saveResult(results, resultKey, { source: key, status: 'processed', requestId: kept.requestId, ...fields, answer: kept.answer, model: kept.model, usage: kept.usage, cost: kept.cost }, kept);
    return { status: 'processed', usage: kept.usage, costUsd: kept.cost.totalUsd };
  }
  const reason = `An earlier attempt (request ${earlier.requestId ?? 'unknown'}) sent the record to the model and its result was not saved; `
    + 'it is not sent again, so that it is not charged twice. Its answer, if it got one, is in the function\'s logs.';
  // Over exactly the mark read: a run that settled the record meanwhile keeps its outcome.
  if (!(await results.putJson(resultKey, { source: key, status: 'failed', ...fields, code: 'RESULT_NOT_SAVED', reason }, etag ? { ifMatch: etag } : {}))) return busy(record);
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
