import type { ScheduledEvent } from 'aws-lambda';
import { bedrockControlClient } from '../batch/clients';
import { BatchCollection, collectDays, collectJobEvent, CollectContext, lookbackDays } from '../batch/collect';
import { BATCH_PREFIX, BatchConfig, readBatchConfig } from '../batch/config';
import { BatchCollectEvent, BatchJobStateChangeEvent, triggerOf } from '../batch/events';
import { batchKeys, BatchMarker } from '../batch/marker';
import { batchModelFamily } from '../batch/model-format';
import { mapLimit } from '../batch/concurrency';
import { BucketObjects } from '../batch/objects';
import { DayRecord, planBatch } from '../batch/plan';
import { BatchSubmission, submitBatch } from '../batch/submit';
import { attoToUsd, usdToAtto } from '../core';
import { PipelineError } from '../pipeline/errors';
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

/** What one scheduled run did. */
export interface ScheduledRunSummary {
  readonly day: string;
  /** `on-demand`: processed now through the pipeline; `batch`: submitted as a batch inference job, collected later. */
  readonly mode: 'on-demand' | 'batch';
  readonly records: number;
  readonly processed: number;
  readonly rejected: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  /** Where the day's manifest is (for a batch day: where it will be once the job is collected). */
  readonly manifestKey: string;
  /** The day's batch job, in batch mode. */
  readonly batch?: BatchSubmission;
  /** Earlier batch jobs this run looked at (only when batch inference is on). */
  readonly collected?: ReadonlyArray<BatchCollection>;
}

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
 */
export async function handler(event: ScheduledEvent): Promise<ScheduledRunSummary>;
export async function handler(event: BatchCollectEvent | BatchJobStateChangeEvent): Promise<CollectRunSummary>;
export async function handler(event: ScheduledEvent | BatchCollectEvent | BatchJobStateChangeEvent): Promise<ScheduledRunSummary | CollectRunSummary> {
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
  const summary = await runOnDemand(day, keys, records);
  return collected ? { ...summary, collected } : summary;
}

/** Every record through the request pipeline, one at a time (read one at a time unless already read). */
async function runOnDemand(day: string, keys: ReadonlyArray<string>, read?: ReadonlyArray<DayRecord>): Promise<ScheduledRunSummary> {
  const results = resultsObjects();
  let processed = 0;
  let rejected = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  // Summed exactly (integer attodollars), like every cost in the runtime.
  let costAtto = 0n;
  for (const [i, key] of keys.entries()) {
    const name = key.slice(`${inputPrefix}${day}/`.length);
    const text = read ? read[i].text : ((await inputObjects().getText(key)) ?? '');
    try {
      const result = await runTextRequest(`${day}:${name}`, 'schedule', text, RECORD_INSTRUCTIONS);
      processed++;
      inputTokens += result.usage.inputTokens + result.usage.cacheReadInputTokens + result.usage.cacheWriteInputTokens;
      outputTokens += result.usage.outputTokens;
      costAtto += usdToAtto(result.cost.totalUsd);
      await results.putJson(`${resultsPrefix}${day}/${name}.json`, { source: key, status: 'processed', answer: result.answer, model: result.model, usage: result.usage, cost: result.cost });
    } catch (error) {
      // A record the pipeline refuses (too large, invalid) is reported, not retried; anything else fails the run.
      if (!(error instanceof PipelineError) || error.status >= 429) throw error;
      rejected++;
      await results.putJson(`${resultsPrefix}${day}/${name}.json`, { source: key, status: 'rejected', code: error.code, reason: error.message });
    }
  }
  const manifestKey = `${resultsPrefix}${day}/_manifest.json`;
  const summary: ScheduledRunSummary = { day, mode: 'on-demand', records: keys.length, processed, rejected, inputTokens, outputTokens, costUsd: attoToUsd(costAtto), manifestKey };
  await results.putJson(manifestKey, summary);
  logInfo('scheduled run finished', { ...summary });
  return summary;
}

function batchSummary(day: string, submission: BatchSubmission, records: number): ScheduledRunSummary {
  return {
    day, mode: 'batch', records, processed: 0, rejected: submission.rejected, inputTokens: 0, outputTokens: 0, costUsd: 0,
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
