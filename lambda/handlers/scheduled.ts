import type { Context, ScheduledEvent } from 'aws-lambda';
import { bedrockControlClient } from '../batch/clients';
import { BatchCollection, collectDays, collectJobEvent, CollectContext, lookbackDays } from '../batch/collect';
import { BATCH_PREFIX, BatchConfig, readBatchConfig } from '../batch/config';
import { BatchCollectEvent, BatchJobStateChangeEvent, triggerOf } from '../batch/events';
import { batchKeys, BatchMarker, reservedNameRejection } from '../batch/marker';
import { batchModelFamily } from '../batch/model-format';
import { mapLimit } from '../batch/concurrency';
import { BucketObjects, isError } from '../batch/objects';
import { DayRecord, planBatch } from '../batch/plan';
import { BatchSubmission, submitBatch } from '../batch/submit';
import { attoToUsd, usdToAtto } from '../core';
import { PipelineError } from '../pipeline/errors';
import type { Usage } from '../pipeline/types';
import { effectiveCatalog } from '../pipeline/stages/price-call';
import { s3Client } from '../runtime/clients';
import { required } from '../runtime/config';
import { logInfo, logWarn } from '../runtime/log';
import { pipelineConfig } from '../runtime/pipeline-runtime';
import { dayToProcess } from '../runtime/schedule-day';
import { runTextRequest } from '../runtime/text-request';

const inputBucket = required(process.env, 'INPUT_BUCKET');
const inputPrefix = process.env.INPUT_PREFIX ?? 'records/';
const resultsBucket = required(process.env, 'RESULTS_BUCKET');
const resultsPrefix = process.env.RESULTS_PREFIX ?? 'results/';
const RECORD_INSTRUCTIONS = 'Analyse this record and give a short, factual summary.';
const READ_CONCURRENCY = 16;
// Records sent through the pipeline at once, on demand.
const RECORD_CONCURRENCY = 4;
// A run starts no more records once the Lambda has less than this left: enough to finish the records in flight and
// write the manifest before the timeout.
const TIME_RESERVE_MS = 30_000;

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
   * files (code RESERVED_NAME, see `RESERVED_RECORD_NAMES`; such a record gets no result file).
   */
  readonly rejected: number;
  /**
   * Records skipped on demand because their result was already written, by an earlier attempt of the run (Lambda's
   * retry after a failure or a timeout) or an earlier run of the day: not sent to the model, nor paid for, again.
   */
  readonly alreadyDone: number;
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
  /** Where the day's manifest is (for a batch day: where it will be once the job is collected). */
  readonly manifestKey: string;
  /** The day's batch job, in batch mode. */
  readonly batch?: BatchSubmission;
  /** Earlier batch jobs this run looked at (only when batch inference is on). */
  readonly collected?: ReadonlyArray<BatchCollection>;
}

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

/**
 * Daily schedule → the records of the day that ended → one result per record + a manifest.
 *
 * A day with at least the batch minimum of records (and batch inference on) runs as a Bedrock batch inference job
 * at the batch price; a smaller day runs on demand through the request pipeline. Every run first collects finished
 * batch jobs; `{ "collect": true }` and Bedrock's "Batch Inference Job State Change" events only collect.
 *
 * An on-demand run can be repeated safely: a record whose result exists is skipped, so Lambda's async retries
 * (after a failure, or a run that ran short of time and failed on purpose) continue the day without paying twice.
 */
export async function handler(event: ScheduledEvent, context?: RemainingTime): Promise<ScheduledRunSummary>;
export async function handler(event: BatchCollectEvent | BatchJobStateChangeEvent, context?: RemainingTime): Promise<CollectRunSummary>;
export async function handler(
  event: ScheduledEvent | BatchCollectEvent | BatchJobStateChangeEvent, context?: RemainingTime,
): Promise<ScheduledRunSummary | CollectRunSummary> {
  const batch = readBatchConfig();
  const trigger = triggerOf(event);
  if (trigger.kind === 'job-state') {
    if (!batch) return { collected: [] };
    const recent = lookbackDays(dayToProcess(trigger.time), batch.lookbackDays);
    return { collected: await collectJobEvent(collectContext(batch), trigger.jobName, trigger.jobArn, recent) };
  }
  const day = dayToProcess(trigger.time);
  const collected = batch ? await collectDays(collectContext(batch), lookbackDays(day, batch.lookbackDays)) : undefined;
  if (trigger.kind === 'collect') return { collected: collected ?? [] };

  const keys = await inputObjects().listKeys(`${inputPrefix}${day}/`);
  const family = batch ? batchModelFamily(batch.modelId) : undefined;
  if (batch && !family) logWarn('batch inference is configured for a model whose batch records cannot be written; running on demand', { modelId: batch.modelId });
  let records: DayRecord[] | undefined;
  if (batch && family && keys.length >= batch.minimumRecords) {
    const started = await existingBatch(day);
    if (started) return { ...batchSummary(day, started, keys.length), collected };
    records = await readRecords(day, keys);
    const config = pipelineConfig();
    const systemPrompt = config.defaultSystemPrompt ?? RECORD_INSTRUCTIONS;
    const limits = config.features[config.defaultFeature];
    const plan = planBatch(records, systemPrompt, limits, config.defaultFeature);
    if (plan.accepted.length >= batch.minimumRecords) {
      const submission = await submitBatch({
        results: resultsObjects(), resultsPrefix, bedrock: bedrockControlClient(), config: batch, family, systemPrompt,
        maxOutputTokens: limits.maxOutputTokens,
      }, day, plan);
      return { ...batchSummary(day, submission, keys.length), collected };
    }
    logInfo('too few records to batch once the limits are applied; running on demand', { day, accepted: plan.accepted.length, minimum: batch.minimumRecords });
  }
  const summary = await runOnDemand(day, keys, records, context);
  return collected ? { ...summary, collected } : summary;
}

/** What became of one record on demand. */
interface Outcome {
  readonly status: 'processed' | 'rejected' | 'already-done' | 'left';
  readonly usage?: Usage;
  readonly costUsd?: number;
}

/** A result object as the on-demand path writes it (only what a later run reads back). */
interface StoredResult {
  readonly status?: string;
  readonly usage?: Usage;
  readonly cost?: { readonly totalUsd?: number };
}

/**
 * Every record through the request pipeline, four at a time (each read unless already read), in the keys' order:
 * results are written as records finish, the sums are exact whatever the order. A record with a result already is
 * skipped; after a failure, or with less than {@link TIME_RESERVE_MS} left, no further record is started.
 */
async function runOnDemand(day: string, keys: ReadonlyArray<string>, read?: ReadonlyArray<DayRecord>, context?: RemainingTime): Promise<ScheduledRunSummary> {
  const results = resultsObjects();
  const dayKeys = batchKeys(resultsPrefix, BATCH_PREFIX, day);
  let failure: { readonly error: unknown } | undefined;
  const outOfTime = () => context !== undefined && context.getRemainingTimeInMillis() < TIME_RESERVE_MS;

  const outcomes = await mapLimit(keys, RECORD_CONCURRENCY, async (key, i): Promise<Outcome> => {
    if (failure || outOfTime()) return { status: 'left' };
    const name = key.slice(`${inputPrefix}${day}/`.length);
    try {
      return await runRecord(results, day, key, name, dayKeys.result(name), () => (read ? Promise.resolve(read[i].text) : inputObjects().getText(key)));
    } catch (error) {
      // The first failure fails the run once the records in flight are done; their results stand for the retry.
      failure ??= { error };
      return { status: 'left' };
    }
  });
  if (failure) throw failure.error;

  let processed = 0;
  let rejected = 0;
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
    else left++;
    if (outcome.usage) {
      inputTokens += outcome.usage.inputTokens + outcome.usage.cacheReadInputTokens + outcome.usage.cacheWriteInputTokens;
      outputTokens += outcome.usage.outputTokens;
    }
    if (outcome.costUsd !== undefined) costAtto += usdToAtto(outcome.costUsd);
  }
  const manifestKey = dayKeys.manifest;
  const summary: ScheduledRunSummary = {
    day, mode: 'on-demand', records: keys.length, processed, rejected, alreadyDone, inputTokens, outputTokens, costUsd: attoToUsd(costAtto), manifestKey,
    ...(left > 0 ? { incomplete: true as const, left } : {}),
  };
  await results.putJson(manifestKey, summary);
  if (left > 0) {
    logWarn('scheduled run ran short of time; failing it so that Lambda retries the records left', { ...summary });
    throw new ScheduledRunIncompleteError(summary);
  }
  logInfo('scheduled run finished', { ...summary });
  return summary;
}

/** One record on demand: refused for its name, skipped when its result exists, else through the pipeline. */
async function runRecord(
  results: BucketObjects, day: string, key: string, name: string, resultKey: string, text: () => Promise<string | undefined>,
): Promise<Outcome> {
  const reserved = reservedNameRejection(name);
  if (reserved) {
    // No result: its key is one of the day's control files.
    logWarn('record rejected: its name is reserved for the day\'s control files', { day, key, code: reserved.code });
    return { status: 'rejected' };
  }
  const earlier = await existingResult(results, resultKey);
  if (earlier) return { status: 'already-done', usage: earlier.usage, costUsd: earlier.cost?.totalUsd };
  try {
    const result = await runTextRequest(`${day}:${name}`, 'schedule', (await text()) ?? '', RECORD_INSTRUCTIONS);
    await results.putJson(resultKey, { source: key, status: 'processed', answer: result.answer, model: result.model, usage: result.usage, cost: result.cost });
    return { status: 'processed', usage: result.usage, costUsd: result.cost.totalUsd };
  } catch (error) {
    // A record the pipeline refuses (too large, invalid) is reported, not retried; anything else fails the run.
    if (!(error instanceof PipelineError) || error.status >= 429) throw error;
    await results.putJson(resultKey, { source: key, status: 'rejected', code: error.code, reason: error.message });
    return { status: 'rejected' };
  }
}

/**
 * The record's result if an earlier attempt wrote one this run can count: `rejected`, or `processed` with its usage
 * and cost. Missing, unreadable or incomplete results are processed again. The handler may read the results prefix;
 * without s3:ListBucket on it (batch inference off), S3 answers a missing key with 403 instead of 404, so 403 reads
 * as missing too: at worst a record is paid for again, never skipped without a result.
 */
async function existingResult(results: BucketObjects, key: string): Promise<StoredResult | undefined> {
  let stored: StoredResult | undefined;
  try {
    stored = await results.getJson<StoredResult>(key);
  } catch (error) {
    if (error instanceof SyntaxError || isError(error, 'AccessDenied', 403)) return undefined;
    throw error;
  }
  if (stored?.status === 'rejected') return { status: 'rejected' };
  if (stored?.status === 'processed' && isUsage(stored.usage) && typeof stored.cost?.totalUsd === 'number') return stored;
  return undefined;
}

function isUsage(usage: Usage | undefined): usage is Usage {
  return usage !== undefined && [usage.inputTokens, usage.outputTokens, usage.cacheReadInputTokens, usage.cacheWriteInputTokens].every(Number.isSafeInteger);
}

function batchSummary(day: string, submission: BatchSubmission, records: number): ScheduledRunSummary {
  return {
    day, mode: 'batch', records, processed: 0, rejected: submission.rejected, alreadyDone: 0, inputTokens: 0, outputTokens: 0, costUsd: 0,
    manifestKey: batchKeys(resultsPrefix, BATCH_PREFIX, day).manifest, batch: submission,
  };
}

// A day whose batch was already started (a second run, a retry): its marker says so.
async function existingBatch(day: string): Promise<BatchSubmission | undefined> {
  const markerKey = batchKeys(resultsPrefix, BATCH_PREFIX, day).marker;
  const marker = await resultsObjects().getJson<BatchMarker>(markerKey);
  if (!marker) return undefined;
  return { status: 'already-started', jobName: marker.jobName, jobArn: marker.jobArn, records: marker.records, rejected: marker.rejected, markerKey };
}

async function readRecords(day: string, keys: ReadonlyArray<string>): Promise<DayRecord[]> {
  const objects = inputObjects();
  return mapLimit(keys, READ_CONCURRENCY, async (key) => ({
    key,
    name: key.slice(`${inputPrefix}${day}/`.length),
    text: (await objects.getText(key)) ?? '',
  }));
}

function collectContext(batch: BatchConfig): CollectContext {
  const pipeline = pipelineConfig();
  return { results: resultsObjects(), resultsPrefix, bedrock: bedrockControlClient(), config: batch, pipeline, catalog: effectiveCatalog(pipeline) };
}

function inputObjects(): BucketObjects {
  return new BucketObjects(s3Client(), inputBucket);
}

function resultsObjects(): BucketObjects {
  return new BucketObjects(s3Client(), resultsBucket);
}
