import { CreateModelInvocationJobCommand, type BedrockClient } from '@aws-sdk/client-bedrock';
import { logInfo, logWarn } from '../runtime/log';
import { mapLimit } from './concurrency';
import { BATCH_PREFIX, BatchConfig, jobNameFor } from './config';
import { batchKeys, BatchMarker, BatchRecordIndex, recordIdFor, RESERVED_NAME } from './marker';
import { BatchModelFamily, modelInputFor } from './model-format';
import { BucketObjects, isError } from './objects';
import { BatchPlan } from './plan';

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
  readonly now?: () => Date;
}

/** The outcome of submitting a day. */
export interface BatchSubmission {
  /** `started` by this run, or found `already-started` (a marker, or a job of that name, existed). */
  readonly status: 'started' | 'already-started';
  readonly jobName: string;
  readonly jobArn?: string;
  readonly records: number;
  readonly rejected: number;
  readonly markerKey: string;
}

const WRITE_CONCURRENCY = 16;

/**
 * Starts a day's batch job: results for the rejected records (except those with a reserved name, which would
 * overwrite a control file), the JSONL input and the record index in S3, then CreateModelInvocationJob with a name
 * and client token derived from the day, then the pending marker.
 *
 * Idempotent: the job name is the day's, so a second start finds the job (same client token: Bedrock returns it;
 * another token: ConflictException) instead of paying for the day twice, and the marker is written only if absent.
 */
export async function submitBatch(ctx: SubmitContext, day: string, plan: BatchPlan): Promise<BatchSubmission> {
  const { results, config } = ctx;
  const keys = batchKeys(ctx.resultsPrefix, BATCH_PREFIX, day);
  const jobName = jobNameFor(config, day);

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
    }));
    jobArn = created.jobArn;
  } catch (error) {
    if (!isError(error, 'ConflictException')) throw error;
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
    startedAt: (ctx.now ?? (() => new Date()))().toISOString(),
  };
  if (!(await results.putJson(keys.marker, marker, { onlyIfAbsent: true }))) {
    // Another run got here first: its marker stands.
    const existing = await results.getJson<BatchMarker>(keys.marker);
    return { status: 'already-started', jobName, jobArn: existing?.jobArn ?? jobArn, records: plan.accepted.length, rejected: plan.rejected.length, markerKey: keys.marker };
  }
  logInfo('batch job started', { day, jobName, jobArn, records: plan.accepted.length, rejected: plan.rejected.length, modelId: config.modelId });
  return { status, jobName, jobArn, records: plan.accepted.length, rejected: plan.rejected.length, markerKey: keys.marker };
}
