import { CreateModelInvocationJobCommand, type BedrockClient } from '@aws-sdk/client-bedrock';
import { attoToUsd } from '../../../shared/core';
import { PipelineError } from '../../pipeline/errors';
import type { Reservation, SpendContext } from '../../pipeline/guards';
import { logInfo, logWarn } from '../../shared/log';
import { mapLimit } from './concurrency';
import { BATCH_PREFIX, BatchConfig, jobNameFor } from './config';
import { batchKeys, BatchMarker, BatchRecordIndex, recordIdFor, RESERVED_NAME } from './marker';
import { BatchModelFamily, modelInputFor } from './model-format';
import { BucketObjects, isError } from './objects';
import { BatchPlan } from './plan';
import { BatchGovernance, batchSpendContext, batchUpperBound, releaseBatch, reserveBatch, storeReservation } from './spend';

/** What submitting a day needs. */
export interface SubmitContext {
  /** The results bucket: batch input, markers and results all live there. */
  readonly results: BucketObjects;
  readonly resultsPrefix: string;
  readonly bedrock: BedrockClient;
  readonly config: BatchConfig;
  readonly family: BatchModelFamily;
  readonly systemPrompt: string;
  readonly maxOutputTokens: number;
  /** The spend port the job's upper bound is reserved on, and the recorder a refusal is recorded with. */
  readonly governance: BatchGovernance;
  /** The tags the job is created with (the workflow's GenAI tags): batch spend is allocated like the rest. */
  readonly tags: Readonly<Record<string, string>>;
  readonly now?: () => Date;
}

/** Why the guard chain refused a day's job. */
export interface BatchRefusal {
  readonly status: number;
  readonly code: string;
  readonly reason: string;
  readonly retryAfterSeconds?: number;
}

/** The outcome of submitting a day. */
export interface BatchSubmission {
  /**
   * `started` by this run, found `already-started` (a marker, or a job of that name, existed), or `refused` by
   * the guard chain: no job, and the day's manifest says why.
   */
  readonly status: 'started' | 'already-started' | 'refused';
  readonly jobName: string;
  readonly jobArn?: string;
  readonly records: number;
  readonly rejected: number;
  readonly markerKey: string;
  readonly refusal?: BatchRefusal;
}

/** The manifest of a day whose job the guard chain refused. */
export interface RefusedBatchManifest {
  readonly day: string;
  readonly mode: 'batch';
  readonly status: 'refused';
  readonly code: string;
  readonly reason: string;
  readonly retryAfterSeconds?: number;
  readonly jobName: string;
  readonly records: number;
  readonly submitted: 0;
  readonly processed: 0;
  readonly rejected: number;
  readonly costUsd: 0;
  /** The most the job could have cost, which the guards had no room for. */
  readonly reservedUsd: number;
  readonly manifestKey: string;
  readonly refusedAt: string;
}

const WRITE_CONCURRENCY = 16;

/**
 * Starts a day's batch job: the job's upper-bound spend admitted and reserved on the guard chain first, then
 * results for the rejected records (except those with a reserved name, which would overwrite a control file), the
 * JSONL input and the record index in S3, then CreateModelInvocationJob (tagged) with a name and client token
 * derived from the day, then the pending marker holding the reservation, which collection settles.
 *
 * A refusal (429: a limit has no room; 503: a guard is unavailable) starts nothing: it is recorded as a rejection
 * on path `batch`, the day's manifest says why, and the run ends `refused` (a 503 is rethrown instead, so that
 * Lambda's retry tries again once the guard is back).
 *
 * Idempotent: the job name is the day's, so a second start finds the job (same client token: Bedrock returns it;
 * another token: ConflictException) instead of paying for the day twice, and the marker is written only if absent.
 */
export async function submitBatch(ctx: SubmitContext, day: string, plan: BatchPlan): Promise<BatchSubmission> {
  const { results, config, governance } = ctx;
  const keys = batchKeys(ctx.resultsPrefix, BATCH_PREFIX, day);
  const jobName = jobNameFor(config, day);
  const now = ctx.now ?? (() => new Date());

  const context = batchSpendContext(governance.config, jobName, now().getTime());
  const estimate = batchUpperBound(governance, config.modelId, plan.accepted, ctx.maxOutputTokens);
  let reservation: Reservation;
  try {
    reservation = await reserveBatch(governance, context, estimate);
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    return refuse(ctx, day, plan, jobName, context, estimate.costAtto, error);
  }

  // A record with a reserved name gets no result: its result key is one of the day's control files.
  const withResult = plan.rejected.filter((r) => r.code !== RESERVED_NAME);
  await mapLimit(withResult, WRITE_CONCURRENCY, ({ record, code, reason }) =>
    results.putJson(keys.result(record.name), { source: record.key, status: 'rejected', code, reason }));
  for (const { record } of plan.rejected.filter((r) => r.code === RESERVED_NAME)) {
    logWarn('record rejected: its name is reserved for the day\'s control files', { day, key: record.key, code: RESERVED_NAME });
  }

  const index: BatchRecordIndex = { records: plan.accepted.map((r, i) => ({ recordId: recordIdFor(i), key: r.key, name: r.name })) };
  const lines = plan.accepted.map((r, i) => JSON.stringify({
    recordId: recordIdFor(i),
    modelInput: modelInputFor(ctx.family, ctx.systemPrompt, r.text, ctx.maxOutputTokens),
  }));
  await results.putJson(keys.index, index);
  await results.putText(keys.input, `${lines.join('\n')}\n`, 'application/jsonl');

  const inputUri = `s3://${results.bucket}/${keys.input}`;
  const outputUri = `s3://${results.bucket}/${keys.outputPrefix}`;
  let jobArn: string | undefined;
  let status: BatchSubmission['status'] = 'started';
  try {
    const created = await ctx.bedrock.send(new CreateModelInvocationJobCommand({
      jobName,
      // The same token on a retry makes Bedrock return the job it already created rather than start another.
      clientRequestToken: jobName,
      roleArn: config.roleArn,
      modelId: config.modelId,
      inputDataConfig: { s3InputDataConfig: { s3Uri: inputUri, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: outputUri } },
      tags: Object.entries(ctx.tags).map(([key, value]) => ({ key, value })),
    }));
    jobArn = created.jobArn;
  } catch (error) {
    if (!isError(error, 'ConflictException')) {
      // Nothing will bill this reservation: give it back before failing the run (Lambda's retry reserves anew).
      await releaseBatch(governance, context, reservation, 'not-started');
      throw error;
    }
    // The job exists (a run that died before writing its marker started it): this reservation stands for it.
    status = 'already-started';
    logWarn('a batch job for this day already exists; not starting another', { day, jobName, error: String(error) });
  }

  const marker: BatchMarker = {
    version: 1,
    day,
    status: 'pending',
    jobName,
    ...(jobArn ? { jobArn } : {}),
    modelId: config.modelId,
    records: plan.accepted.length,
    rejected: plan.rejected.length,
    inputUri,
    outputUri,
    startedAt: now().toISOString(),
    spend: storeReservation(context, reservation),
  };
  if (!(await results.putJson(keys.marker, marker, { onlyIfAbsent: true }))) {
    // Another run got here first: its marker, and the reservation it holds, stand; this one is not needed.
    await releaseBatch(governance, context, reservation, 'duplicate');
    const existing = await results.getJson<BatchMarker>(keys.marker);
    return { status: 'already-started', jobName, jobArn: existing?.jobArn ?? jobArn, records: plan.accepted.length, rejected: plan.rejected.length, markerKey: keys.marker };
  }
  logInfo('batch job started', {
    day, jobName, jobArn, records: plan.accepted.length, rejected: plan.rejected.length, modelId: config.modelId, reservedUsd: attoToUsd(estimate.costAtto),
  });
  return { status, jobName, jobArn, records: plan.accepted.length, rejected: plan.rejected.length, markerKey: keys.marker };
}

/**
 * A refused day: recorded as a rejection on path `batch` (the same metric as a refused Converse call), and a
 * manifest saying why. No marker is written, so a later run of the day (the schedule event invoked again with the
 * day's time) plans and reserves it afresh.
 */
async function refuse(
  ctx: SubmitContext, day: string, plan: BatchPlan, jobName: string, context: SpendContext, reservedAtto: bigint, error: PipelineError,
): Promise<BatchSubmission> {
  const keys = batchKeys(ctx.resultsPrefix, BATCH_PREFIX, day);
  ctx.governance.recordRejection(error, 'batch', context, context.feature);
  const retryAfterSeconds = typeof error.details.retryAfterSeconds === 'number' ? error.details.retryAfterSeconds : undefined;
  const refusal: BatchRefusal = { status: error.status, code: error.code, reason: error.message, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  const manifest: RefusedBatchManifest = {
    day, mode: 'batch', status: 'refused', code: error.code, reason: error.message, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    jobName, records: plan.accepted.length + plan.rejected.length, submitted: 0, processed: 0, rejected: plan.rejected.length, costUsd: 0,
    reservedUsd: attoToUsd(reservedAtto), manifestKey: keys.manifest, refusedAt: (ctx.now ?? (() => new Date()))().toISOString(),
  };
  await ctx.results.putJson(keys.manifest, manifest);
  logWarn('batch job refused by the guard chain; the day is not submitted', { day, jobName, status: error.status, code: error.code, reason: error.message });
  // A guard that is unavailable (5xx) may be back within Lambda's retries; a limit with no room (429) is a decision
  // that retrying a minute later would only repeat, so the run ends without failing.
  if (error.status >= 500) throw error;
  return { status: 'refused', jobName, records: plan.accepted.length, rejected: plan.rejected.length, markerKey: keys.marker, refusal };
}
